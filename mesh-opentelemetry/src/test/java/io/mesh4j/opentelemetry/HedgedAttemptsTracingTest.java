package io.mesh4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.testing.MeshHarness;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A hedged call's span shows every attempt: the winner's outcome and the cancelled loser. */
@Timeout(10)
class HedgedAttemptsTracingTest {

  @Test
  void aHedgedCallsSpanCarriesAnEventPerAttempt() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (MeshTracing tracing = MeshTracing.withSpanProcessor(SimpleSpanProcessor.create(spans));
        MeshHarness h = new MeshHarness(ticker -> tracing)) {
      h.apply(
          PolicySet.parse(
                  """
                  apiVersion: mesh4j.io/v1alpha1
                  kind: MeshConfig
                  metadata: {name: mesh}
                  spec:
                    tracing: {samplingPercent: 100}
                  ---
                  apiVersion: mesh4j.io/v1alpha1
                  kind: ServiceEndpoints
                  metadata: {name: catalog, namespace: shop}
                  spec:
                    service: catalog
                    endpoints:
                      - {address: 10.0.0.1, port: 8080}
                      - {address: 10.0.0.2, port: 8080}
                  ---
                  apiVersion: mesh4j.io/v1alpha1
                  kind: TrafficRoute
                  metadata: {name: catalog, namespace: shop}
                  spec:
                    destination: catalog
                    rules:
                      - hedging: {delay: 50ms}
                  """)
              .resources()
              .toArray(new MeshResource[0]));

      CallPlan plan =
          h.plan(
              OutboundCall.builder("catalog.shop")
                  .grpc("shop.Catalog", "GetItem")
                  .idempotent(true)
                  .build());
      Attempt first = plan.nextAttempt();
      h.ticker.advance(Duration.ofMillis(50));
      Attempt hedge = plan.hedge(HeaderSetter.NONE);
      assertThat(hedge).isNotNull();
      hedge.settle(Outcome.success());
      first.settle(Outcome.cancelled());
      plan.end(CallStatus.grpc("OK"), -1, -1);

      SpanData span = spans.getFinishedSpanItems().get(0);
      List<EventData> attempts = span.getEvents();
      assertThat(attempts)
          .extracting(e -> e.getAttributes().get(AttributeKey.longKey("mesh4j.retry.attempt")))
          .containsExactly(2L, 1L);
      assertThat(attempts)
          .extracting(e -> e.getAttributes().get(AttributeKey.stringKey("mesh4j.outcome")))
          .containsExactly("SUCCESS", "CANCELLED");
      assertThat(span.getAttributes().get(AttributeKey.longKey("mesh4j.retry.attempt")))
          .isEqualTo(2L);
    }
  }
}
