package io.mesh4j.grpc.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.grpc.MeshChannels;
import io.mesh4j.grpc.MeshServerInterceptors;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import io.mesh4j.micrometer.MeshMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Metric values for a scripted sequence of real gRPC calls on loopback, asserted exactly: request
 * counts by route, subset, method and status on both sides, retries, ejections, breaker
 * transitions and retry-budget exhaustion.
 */
@Timeout(60)
class CallMetricsTest {

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  private final MeterRegistry clientRegistry = new SimpleMeterRegistry();
  private final MeterRegistry serverRegistry = new SimpleMeterRegistry();
  private final StaticConfigSource clientPolicy = StaticConfigSource.empty();
  private final Mesh client =
      Mesh.builder()
          .configSource(clientPolicy)
          .listener(MeshMetrics.builder(clientRegistry).source("frontend.shop").build())
          .build();
  private final Mesh server =
      Mesh.builder()
          .configSource(StaticConfigSource.empty())
          .listener(MeshMetrics.bindTo(serverRegistry))
          .build();

  @BeforeEach
  void closeMeshesLast() {
    // Registered first, so closed after the channels and servers.
    grpc.register(client);
    grpc.register(server);
  }

  private Backend backend(String name) {
    return grpc.backend(name, MeshServerInterceptors.forService(server, "catalog.shop"));
  }

  private static String call(ManagedChannel channel, MethodDescriptor<String, String> method) {
    return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT, "hi");
  }

  private double clientCount(String destination, String route, String subset, String method, String status) {
    Timer timer =
        clientRegistry
            .find("mesh4j.client.requests")
            .tags(
                "source", "frontend.shop",
                "destination", destination,
                "route", route,
                "subset", subset,
                "method", method,
                "status", status)
            .timer();
    return timer == null ? 0 : timer.count();
  }

  private double serverCount(String status) {
    return serverRegistry.find("mesh4j.server.requests").tag("status", status).timers().stream()
        .mapToLong(Timer::count)
        .sum();
  }

  private double counter(String name, String... tags) {
    var counter = clientRegistry.find(name).tags(tags).counter();
    return counter == null ? 0 : counter.count();
  }

  @Test
  void scriptedCallsProduceExactCountsOnBothSides() {
    Backend a = backend("a");
    Backend b = backend("b");
    Backend c = backend("c");
    Backend ledger = backend("ledger");
    clientPolicy.push(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog.shop
          endpoints:
            - {address: 127.0.0.1, port: %d, labels: {version: v1}}
            - {address: 127.0.0.1, port: %d, labels: {version: v1}}
            - {address: 127.0.0.1, port: %d, labels: {version: v2}}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
          rules:
            - name: other
              matches: [{grpc: {service: test.Echo, method: Other}}]
              backends: [{subset: v2}]
            - name: reads
              backends: [{subset: v1}]
              retries: {attempts: 2, retryOn: [UNAVAILABLE], backoff: {base: 1ms, max: 2ms}}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: DestinationPolicy
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          # round robin keeps choosing b until it is ejected (peak-EWMA would avoid it sooner)
          loadBalancer: {policy: ROUND_ROBIN}
          outlierDetection: {consecutiveFailures: 2, baseEjectionTime: 300s, maxEjectionPercent: 50}
          circuitBreaker:
            failureRateThreshold: 100
            minimumCalls: 2
            slidingWindowSize: 2
            waitInOpenState: 300s
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: ledger, namespace: shop}
        spec:
          service: ledger.shop
          endpoints:
            - {address: 127.0.0.1, port: %d}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: ledger, namespace: shop}
        spec:
          destination: ledger.shop
          rules:
            - name: entries
              backends: [{}]
              retries: {attempts: 3, retryOn: [UNAVAILABLE], backoff: {base: 1ms, max: 2ms}}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: DestinationPolicy
        metadata: {name: ledger, namespace: shop}
        spec:
          destination: ledger.shop
          retryBudget: {retryPercent: 0, minRetriesPerSecond: 0}
        """
            .formatted(a.port(), b.port(), c.port(), ledger.port()));
    ManagedChannel catalog = grpc.channel(MeshChannels.forService(client, "catalog.shop"));
    ManagedChannel ledgerChannel = grpc.channel(MeshChannels.forService(client, "ledger.shop"));

    // 1. Four good reads.
    for (int i = 0; i < 4; i++) {
      assertThat(call(catalog, EchoService.UNARY)).isIn("a", "b");
    }

    // 2. b fails: each call that lands on b is retried on a, until b's second failure ejects it.
    b.failWith(Status.UNAVAILABLE.withDescription("b is down"));
    int bBefore = b.calls();
    int reads = 0;
    while (b.calls() < bBefore + 2) {
      assertThat(call(catalog, EchoService.UNARY)).isEqualTo("a");
      reads++;
      assertThat(reads).as("calls until b was tried twice").isLessThan(500);
    }
    for (int i = 0; i < 5; i++) {
      assertThat(call(catalog, EchoService.UNARY)).isEqualTo("a");
    }
    reads += 5;

    // 3. v2 fails: two failures open its breaker; the third call is refused by the mesh. The
    //    ejection of c is refused by maxEjectionPercent, since b is already ejected.
    c.failWith(Status.UNAVAILABLE.withDescription("c is down"));
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> call(catalog, EchoService.OTHER))
          .isInstanceOf(StatusRuntimeException.class)
          .hasMessageContaining("c is down");
    }
    assertThatThrownBy(() -> call(catalog, EchoService.OTHER))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("mesh4j: circuit open");

    // 4. The ledger's retry budget is zero: every retry is refused.
    ledger.failWith(Status.UNAVAILABLE.withDescription("ledger is down"));
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> call(ledgerChannel, EchoService.UNARY))
          .isInstanceOf(StatusRuntimeException.class)
          .hasMessageContaining("ledger is down");
    }

    // Client side: one timer sample per logical call, whatever its attempts.
    assertThat(clientCount("catalog.shop", "reads", "v1", "test.Echo/Unary", "OK"))
        .isEqualTo(4 + reads);
    assertThat(clientCount("catalog.shop", "reads", "v1", "test.Echo/Unary", "UNAVAILABLE"))
        .isZero();
    assertThat(clientCount("catalog.shop", "other", "v2", "test.Echo/Other", "UNAVAILABLE"))
        .isEqualTo(3);
    assertThat(clientCount("ledger.shop", "entries", "none", "test.Echo/Unary", "UNAVAILABLE"))
        .isEqualTo(3);
    assertThat(clientRegistry.find("mesh4j.client.requests").timers()).hasSize(3);

    assertThat(counter("mesh4j.retries", "destination", "catalog.shop")).isEqualTo(2);
    assertThat(counter("mesh4j.retries", "destination", "ledger.shop")).isZero();
    assertThat(counter("mesh4j.ejections", "destination", "catalog.shop")).isEqualTo(1);
    assertThat(
            counter(
                "mesh4j.breaker.transitions",
                "destination", "catalog.shop", "subset", "v2", "to", "open"))
        .isEqualTo(1);
    assertThat(clientRegistry.find("mesh4j.breaker.transitions").counters()).hasSize(1);
    assertThat(
            clientRegistry
                .get("mesh4j.breaker.state")
                .tags("destination", "catalog.shop", "subset", "v2")
                .gauge()
                .value())
        .isEqualTo(2);
    assertThat(counter("mesh4j.refusals", "destination", "catalog.shop", "reason", "circuit_open"))
        .isEqualTo(1);
    assertThat(
            counter(
                "mesh4j.refusals", "destination", "ledger.shop", "reason", "retry_budget_exhausted"))
        .isEqualTo(3);

    // Server side: every attempt that reached a server, by status.
    assertThat(serverCount("OK")).isEqualTo(4 + reads);
    assertThat(serverCount("UNAVAILABLE")).isEqualTo(2 + 2 + 3);
    assertThat(a.calls() + b.calls() + c.calls() + ledger.calls()).isEqualTo(4 + reads + 7);
    assertThat(
            serverRegistry
                .get("mesh4j.server.requests")
                .tags("source", "unknown", "destination", "catalog.shop", "method", "test.Echo/Other")
                .timer()
                .count())
        .isEqualTo(2);

    // Service-level buckets: every read is under the 10 s bucket.
    Timer okReads =
        clientRegistry
            .get("mesh4j.client.requests")
            .tags("route", "reads", "status", "OK")
            .timer();
    CountAtBucket[] buckets = okReads.takeSnapshot().histogramCounts();
    assertThat(Arrays.stream(buckets).map(x -> x.bucket(java.util.concurrent.TimeUnit.MILLISECONDS)))
        .containsExactly(5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0);
    assertThat(buckets[buckets.length - 1].count()).isEqualTo(4 + reads);
  }
}
