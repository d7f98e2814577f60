package io.mesh4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MeshPropagatorTest {

  private static final TextMapGetter<Map<String, String>> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return carrier.keySet();
        }

        @Override
        public @Nullable String get(@Nullable Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private final MeshPropagator propagator = MeshPropagator.get();

  @Test
  void sendsW3cTraceContextAndBaggageOnlyAndReadsThemBack() {
    SpanContext span =
        SpanContext.create(
            "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault());
    Context context =
        Context.root().with(Span.wrap(span)).with(Baggage.builder().put("tenant", "acme").build());
    Map<String, String> headers = new HashMap<>();

    propagator.inject(context, headers, Map::put);

    assertThat(headers)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "baggage", "tenant=acme"));
    Context back = propagator.extract(Context.root(), headers, GETTER);
    assertThat(Span.fromContext(back).getSpanContext().getTraceId())
        .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(Baggage.fromContext(back).getEntryValue("tenant")).isEqualTo("acme");
  }

  @Test
  void acceptsMultiHeaderB3WhenNoW3cContextCame() {
    // Header lookups are case-insensitive, as in servlet requests and gRPC metadata.
    Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7");
    headers.put("x-b3-spanid", "e457b5a2e4d86bd1");
    headers.put("x-b3-sampled", "1");

    SpanContext extracted =
        Span.fromContext(propagator.extract(Context.root(), headers, GETTER)).getSpanContext();

    assertThat(extracted.getTraceId()).isEqualTo("80f198ee56343ba864fe8b2a57d3eff7");
    assertThat(extracted.getSpanId()).isEqualTo("e457b5a2e4d86bd1");
    assertThat(extracted.isSampled()).isTrue();
  }

  @Test
  void w3cWinsWhenACallerSendsBoth() {
    Map<String, String> headers =
        Map.of(
            "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1");

    assertThat(
            Span.fromContext(propagator.extract(Context.root(), headers, GETTER))
                .getSpanContext()
                .getTraceId())
        .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
  }
}
