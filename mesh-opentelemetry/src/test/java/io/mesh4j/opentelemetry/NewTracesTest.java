package io.mesh4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.testing.MeshHarness;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * New traces of the mesh's own SDK: an unsampled one is made without the SDK and sends what the
 * SDK would have sent; a sampled one keeps the trace id it was sampled on.
 */
@Timeout(30)
class NewTracesTest {

  private static final String TRACEPARENT = "00-[0-9a-f]{32}-[0-9a-f]{16}-0[23]";

  private static MeshResource[] policy(double percent) {
    return PolicySet.parse(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata: {name: mesh}
            spec:
              tracing: {samplingPercent: %s}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: ServiceEndpoints
            metadata: {name: catalog, namespace: shop}
            spec:
              service: catalog
              endpoints: [{address: 10.0.0.1, port: 8080}]
            """
                .formatted(percent))
        .resources()
        .toArray(new MeshResource[0]);
  }

  /** One call through the engine; returns the headers its attempt was sent with. */
  private static Map<String, String> call(MeshHarness h) {
    CallPlan plan = h.plan(OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build());
    Map<String, String> headers = new HashMap<>();
    Attempt attempt = plan.nextAttempt(headers::put);
    attempt.settle(Outcome.success());
    plan.end(CallStatus.grpc("OK"), -1, -1);
    return headers;
  }

  @Test
  void anUnsampledNewTraceSendsWhatTheSdkWouldAndRecordsNothing() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (MeshTracing tracing = MeshTracing.withSpanProcessor(SimpleSpanProcessor.create(spans));
        MeshHarness h = new MeshHarness(ticker -> tracing)) {
      h.apply(policy(0));

      String traceparent = call(h).get("traceparent");

      assertThat(spans.getFinishedSpanItems()).isEmpty();
      assertThat(traceparent).matches(TRACEPARENT).endsWith("-02");
      // The flags of the SDK's own unsampled new trace, and the W3C propagator's header for the
      // same context.
      try (SdkTracerProvider sdk = SdkTracerProvider.builder().setSampler(Sampler.alwaysOff()).build()) {
        Span own = sdk.get("test").spanBuilder("call").startSpan();
        assertThat(own.getSpanContext().getTraceFlags()).isEqualTo(NewTraces.Unsampled.FLAGS);
      }
      String[] parts = traceparent.split("-");
      SpanContext same =
          SpanContext.create(parts[1], parts[2], NewTraces.Unsampled.FLAGS, TraceState.getDefault());
      Map<String, String> w3c = new HashMap<>();
      W3CTraceContextPropagator.getInstance()
          .inject(Context.root().with(Span.wrap(same)), w3c, Map::put);
      assertThat(w3c).containsExactly(Map.entry("traceparent", traceparent));
    }
  }

  @Test
  void anUnsampledContextWritesItsIdsAsTheSdkDoes() {
    NewTraces.Unsampled context = new NewTraces.Unsampled(0x0123456789abcdefL, -1L, 42L);

    assertThat(context.getTraceId()).isEqualTo("0123456789abcdefffffffffffffffff");
    assertThat(context.getSpanId()).isEqualTo("000000000000002a");
    assertThat(context.isValid()).isTrue();
    assertThat(context.isSampled()).isFalse();
    assertThat(context.traceparent())
        .isEqualTo("00-0123456789abcdefffffffffffffffff-000000000000002a-02");
  }

  @Test
  void theSdkTakesTheTraceIdDrawnForASampledNewTraceOnce() {
    try (SdkTracerProvider sdk =
        SdkTracerProvider.builder()
            .setSampler(Sampler.alwaysOn())
            .setIdGenerator(NewTraces.INSTANCE)
            .build()) {
      NewTraces.startingTrace(1, 2);
      String first;
      String second;
      try {
        first = sdk.get("test").spanBuilder("a").startSpan().getSpanContext().getTraceId();
        second = sdk.get("test").spanBuilder("b").startSpan().getSpanContext().getTraceId();
      } finally {
        NewTraces.endStarting();
      }

      assertThat(first).isEqualTo("00000000000000010000000000000002");
      assertThat(second).isNotEqualTo(first).matches("[0-9a-f]{32}");
    }
  }

  @Test
  void newTracesAreSampledAtTheShareOnTheirOwnTraceIds() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (MeshTracing tracing = MeshTracing.withSpanProcessor(SimpleSpanProcessor.create(spans));
        MeshHarness h = new MeshHarness(ticker -> tracing)) {
      h.apply(policy(50));
      int calls = 4_000;
      List<String> sent = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        sent.add(call(h).get("traceparent"));
      }

      List<SpanData> sampled = spans.getFinishedSpanItems();
      // Sampled once (by the share), not twice (which would give a quarter): the bounds are more
      // than 12 standard deviations from either.
      assertThat(sampled.size()).isBetween(calls * 4 / 10, calls * 6 / 10);
      assertThat(sent).allMatch(t -> t.matches(TRACEPARENT));
      Set<String> sentSampled =
          sent.stream().filter(t -> t.endsWith("-03")).map(t -> t.substring(3, 35)).collect(Collectors.toSet());
      assertThat(sampled).extracting(SpanData::getTraceId).containsExactlyInAnyOrderElementsOf(sentSampled);
      // Each decision is the trace-id ratio on the id sent: the low half under half the range.
      long bound = (long) (0.5 * Long.MAX_VALUE);
      for (String t : sent) {
        long low = Long.parseUnsignedLong(t.substring(19, 35), 16);
        assertThat(Math.abs(low) < bound).isEqualTo(t.endsWith("-03"));
      }
    }
  }

  @Test
  void theSdkIsBuiltOnlyWhenASpanNeedsIt() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (MeshTracing tracing = MeshTracing.withSpanProcessor(SimpleSpanProcessor.create(spans));
        MeshHarness h = new MeshHarness(ticker -> tracing)) {
      MeshTracing.Deferred sdk = (MeshTracing.Deferred) tracing.openTelemetry();
      h.apply(policy(0));
      for (int i = 0; i < 100; i++) {
        assertThat(call(h).get("traceparent")).matches(TRACEPARENT);
      }
      assertThat(sdk.built()).as("built for unsampled new traces").isFalse();

      h.apply(policy(100));
      call(h);
      assertThat(sdk.built()).isTrue();
      assertThat(spans.getFinishedSpanItems()).hasSize(1);
    }
  }

  @Test
  void closingBeforeAnySpanStopsTheProcessorAndItsExporter() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    MeshTracing tracing = MeshTracing.withSpanProcessor(SimpleSpanProcessor.create(spans));
    assertThat(spans.export(List.of()).isSuccess()).isTrue();

    tracing.close();

    assertThat(((MeshTracing.Deferred) tracing.openTelemetry()).built()).isFalse();
    assertThat(spans.export(List.of()).isSuccess()).as("exporter stopped").isFalse();
  }
}
