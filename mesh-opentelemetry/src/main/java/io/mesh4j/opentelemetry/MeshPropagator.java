package io.mesh4j.opentelemetry;

import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The mesh's propagation: sends W3C {@code traceparent}/{@code tracestate} and {@code baggage};
 * reads them back, and reads B3 ({@code b3} or {@code X-B3-*}) from callers that send no W3C
 * trace context, when {@code opentelemetry-extension-trace-propagators} is on the class path.
 * Thread-safe (immutable).
 */
public final class MeshPropagator implements TextMapPropagator {

  private static final MeshPropagator INSTANCE = new MeshPropagator();

  private final TextMapPropagator w3c = W3CTraceContextPropagator.getInstance();
  private final TextMapPropagator baggage = W3CBaggagePropagator.getInstance();

  private MeshPropagator() {}

  /** The propagator. */
  public static MeshPropagator get() {
    return INSTANCE;
  }

  @Override
  public Collection<String> fields() {
    return List.of("traceparent", "tracestate", "baggage");
  }

  @Override
  public <C> void inject(Context context, @Nullable C carrier, TextMapSetter<C> setter) {
    if (carrier != null
        && Span.fromContext(context).getSpanContext() instanceof NewTraces.Unsampled unsampled) {
      // What the W3C propagator writes for it (no trace state), without its ids' text first.
      setter.set(carrier, "traceparent", unsampled.traceparent());
    } else {
      w3c.inject(context, carrier, setter);
    }
    baggage.inject(context, carrier, setter);
  }

  @Override
  public <C> Context extract(Context context, @Nullable C carrier, TextMapGetter<C> getter) {
    Context extracted = w3c.extract(context, carrier, getter);
    if (!Span.fromContext(extracted).getSpanContext().isValid()) {
      TextMapPropagator b = B3.PROPAGATOR;
      if (b != null) {
        extracted = b.extract(extracted, carrier, getter);
      }
    }
    return baggage.extract(extracted, carrier, getter);
  }

  /**
   * The B3 extractor, looked up the first time a call comes without W3C trace context (until then,
   * none of it is loaded); absent when its optional jar is.
   */
  private static final class B3 {
    static final @Nullable TextMapPropagator PROPAGATOR = propagator();

    private static @Nullable TextMapPropagator propagator() {
      try {
        Class.forName(
            "io.opentelemetry.extension.trace.propagation.B3Propagator",
            false,
            MeshPropagator.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        return null;
      }
      return io.opentelemetry.extension.trace.propagation.B3Propagator.injectingSingleHeader();
    }
  }
}
