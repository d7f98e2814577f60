package io.mesh4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.PolicySet;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MeshSamplerTest {

  private static final String LOW_TRACE = "00000000000000000000000000000001";
  private static final String HIGH_TRACE = "00000000000000007fffffffffffffff";

  private static MeshConfig.Spec sampling(double percent) {
    return PolicySet.parse(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata: {name: mesh}
            spec:
              tracing: {samplingPercent: %s}
            """
                .formatted(percent))
        .meshConfig()
        .orElseThrow()
        .spec();
  }

  private final AtomicReference<MeshConfig.Spec> settings = new AtomicReference<>(sampling(1));
  private final MeshSampler sampler = MeshSampler.fromSettings(settings::get);

  private SamplingDecision root(String traceId) {
    return sampler
        .shouldSample(Context.root(), traceId, "GET", SpanKind.CLIENT, Attributes.empty(), List.of())
        .getDecision();
  }

  private SamplingDecision child(boolean parentSampled) {
    SpanContext parent =
        SpanContext.createFromRemoteParent(
            HIGH_TRACE,
            "00f067aa0ba902b7",
            parentSampled ? TraceFlags.getSampled() : TraceFlags.getDefault(),
            TraceState.getDefault());
    return sampler
        .shouldSample(
            Context.root().with(Span.wrap(parent)), HIGH_TRACE, "GET", SpanKind.SERVER, Attributes.empty(), List.of())
        .getDecision();
  }

  @Test
  void newTracesAreSampledByTraceIdAtTheSettingsShareReadLive() {
    // A trace id in the lowest 1% of the range is sampled at 1%, the highest is not.
    assertThat(root(LOW_TRACE)).isEqualTo(SamplingDecision.RECORD_AND_SAMPLE);
    assertThat(root(HIGH_TRACE)).isEqualTo(SamplingDecision.DROP);

    settings.set(sampling(100));
    assertThat(root(HIGH_TRACE)).isEqualTo(SamplingDecision.RECORD_AND_SAMPLE);

    settings.set(sampling(0));
    assertThat(root(LOW_TRACE)).isEqualTo(SamplingDecision.DROP);
  }

  @Test
  void aParentsDecisionWinsOverTheShare() {
    settings.set(sampling(0));
    assertThat(child(true)).isEqualTo(SamplingDecision.RECORD_AND_SAMPLE);

    settings.set(sampling(100));
    assertThat(child(false)).isEqualTo(SamplingDecision.DROP);
  }

  @Test
  void newTracesAreDecidedAsOpenTelemetrysTraceIdRatioDecidesThem() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(42);
    for (double percent : new double[] {0, 0.01, 1, 12.5, 50, 99.99, 100}) {
      settings.set(sampling(percent));
      Sampler reference =
          percent >= 100
              ? Sampler.alwaysOn()
              : percent <= 0 ? Sampler.alwaysOff() : Sampler.traceIdRatioBased(percent / 100);
      for (int i = 0; i < 20_000; i++) {
        long low =
            switch (i) {
              case 0 -> 0;
              case 1 -> Long.MIN_VALUE;
              case 2 -> Long.MAX_VALUE;
              case 3 -> -1;
              default -> random.nextLong();
            };
        String traceId = String.format(java.util.Locale.ROOT, "%016x%016x", random.nextLong(), low);
        SamplingDecision expected =
            reference
                .shouldSample(Context.root(), traceId, "GET", SpanKind.CLIENT, Attributes.empty(), List.of())
                .getDecision();
        assertThat(root(traceId)).as("%s%% of %s", percent, traceId).isEqualTo(expected);
        assertThat(sampler.samplesNewTrace(low))
            .isEqualTo(expected == SamplingDecision.RECORD_AND_SAMPLE);
      }
    }
  }
}
