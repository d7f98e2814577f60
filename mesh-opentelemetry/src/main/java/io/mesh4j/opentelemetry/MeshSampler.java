package io.mesh4j.opentelemetry;

import io.mesh4j.core.policy.MeshConfig;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Parent-based ratio sampling driven by the mesh settings: a span with a parent follows the
 * parent's decision (so a caller's choice holds along the whole trace); a new trace is sampled
 * with the share {@code MeshConfig} {@code tracing.samplingPercent} names, read at every decision,
 * so a policy update changes it with no SDK rebuild. The ratio decision is OpenTelemetry's
 * trace-id ratio, so every service of a trace that decides alike decides the same.
 *
 * <p>Thread-safe.
 */
public final class MeshSampler implements Sampler {

  private final Sampler delegate;

  private MeshSampler(Supplier<MeshConfig.Spec> settings) {
    this.delegate = Sampler.parentBased(new LiveRatio(settings));
  }

  /** A sampler reading the sampling share from {@code settings} ({@code mesh::settings}). */
  public static MeshSampler fromSettings(Supplier<MeshConfig.Spec> settings) {
    return new MeshSampler(Objects.requireNonNull(settings, "settings"));
  }

  @Override
  public SamplingResult shouldSample(
      Context parentContext,
      String traceId,
      String name,
      SpanKind spanKind,
      Attributes attributes,
      List<LinkData> parentLinks) {
    return delegate.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
  }

  @Override
  public String getDescription() {
    return "MeshSampler{parentBased(mesh4j tracing.samplingPercent)}";
  }

  /** The root sampler: a trace-id ratio rebuilt only when the share changes. */
  private static final class LiveRatio implements Sampler {
    private final Supplier<MeshConfig.Spec> settings;
    private volatile Ratio current = new Ratio(-1, Sampler.alwaysOff());

    LiveRatio(Supplier<MeshConfig.Spec> settings) {
      this.settings = settings;
    }

    @Override
    public SamplingResult shouldSample(
        Context parentContext,
        String traceId,
        String name,
        SpanKind spanKind,
        Attributes attributes,
        List<LinkData> parentLinks) {
      double percent = settings.get().tracing().samplingPercent();
      Ratio r = current;
      if (r.percent() != percent) {
        // 100% means every trace: the ratio sampler would still drop the one largest trace id.
        Sampler sampler =
            percent >= 100
                ? Sampler.alwaysOn()
                : percent <= 0 ? Sampler.alwaysOff() : Sampler.traceIdRatioBased(percent / 100.0);
        r = new Ratio(percent, sampler);
        current = r;
      }
      return r.sampler()
          .shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
    }

    @Override
    public String getDescription() {
      return "mesh4j tracing.samplingPercent";
    }
  }

  private record Ratio(double percent, Sampler sampler) {}
}
