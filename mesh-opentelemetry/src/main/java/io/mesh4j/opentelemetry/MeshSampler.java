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

  private final LiveRatio root;
  private final Sampler delegate;

  private MeshSampler(Supplier<MeshConfig.Spec> settings) {
    this.root = new LiveRatio(settings);
    this.delegate = Sampler.parentBased(root);
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

  /**
   * Whether a new trace (a span without a parent) whose trace id ends in the 64 bits {@code
   * traceIdLow} is sampled: the decision {@link #shouldSample} makes for it.
   */
  boolean samplesNewTrace(long traceIdLow) {
    return root.samples(traceIdLow);
  }

  @Override
  public String getDescription() {
    return "MeshSampler{parentBased(mesh4j tracing.samplingPercent)}";
  }

  /** The root sampler: OpenTelemetry's trace-id ratio, its bound recomputed when the share changes. */
  private static final class LiveRatio implements Sampler {
    private final Supplier<MeshConfig.Spec> settings;
    private volatile Ratio current = new Ratio(-1, Long.MIN_VALUE);

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
      return samples(lowBits(traceId)) ? SamplingResult.recordAndSample() : SamplingResult.drop();
    }

    /**
     * As OpenTelemetry's {@code TraceIdRatioBasedSampler}: the magnitude of the trace id's low 64
     * bits under ratio x {@code Long.MAX_VALUE}; 100% takes every trace, the largest id too.
     */
    boolean samples(long traceIdLow) {
      double percent = settings.get().tracing().samplingPercent();
      Ratio r = current;
      if (r.percent() != percent) {
        r = new Ratio(percent, percent <= 0 ? Long.MIN_VALUE : (long) (percent / 100 * Long.MAX_VALUE));
        current = r;
      }
      return percent >= 100 || Math.abs(traceIdLow) < r.bound();
    }

    /** The low 64 bits of a 32-digit hexadecimal trace id. */
    private static long lowBits(String traceId) {
      long v = 0;
      for (int i = traceId.length() - 16; i < traceId.length(); i++) {
        v = (v << 4) | Character.digit(traceId.charAt(i), 16);
      }
      return v;
    }

    @Override
    public String getDescription() {
      return "mesh4j tracing.samplingPercent";
    }
  }

  private record Ratio(double percent, long bound) {}
}
