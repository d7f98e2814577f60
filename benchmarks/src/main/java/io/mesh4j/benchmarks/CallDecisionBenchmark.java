package io.mesh4j.benchmarks;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.base.Ticker;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.Outbound;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.source.StaticConfigSource;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The whole per-call decision for one unary call, through the public API only: match among ten
 * rules (the tenth matches), weighted split 90/10 between two subsets, a peak-EWMA (or
 * least-request) pick among four endpoints, breaker permission, concurrency slot and adaptive
 * concurrency slot, then settling with a success (breaker, balancer, adaptive limit and outlier
 * recording, retry decision); with {@code resilience=HEDGING} the rule hedges instead of retrying.
 *
 * <p>{@code window=COUNT} and {@code window=TIME_FAKE_TICKER} run the breaker's closed state on the
 * guard's count and time windows (the latter with an injected ticker, which the time window
 * honours); {@code window=NO_BREAKER} drops the circuit breaker to show what the rest of the
 * decision costs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CallDecisionBenchmark {

  private static final String TEN_RULES =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: catalog, namespace: shop}
      spec:
        destination: catalog
        subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        rules:
          - {name: r1, matches: [{grpc: {service: shop.Catalog, method: DeleteItem}}], backends: [{subset: v1}]}
          - {name: r2, matches: [{grpc: {service: shop.Catalog, method: PutItem}}], backends: [{subset: v1}]}
          - {name: r3, matches: [{headers: [{name: x-canary, exact: "true"}]}], backends: [{subset: v2}]}
          - {name: r4, matches: [{headers: [{name: x-debug, present: true}]}], backends: [{subset: v2}]}
          - {name: r5, matches: [{grpc: {service: shop.Admin}}], backends: [{subset: v1}]}
          - {name: r6, matches: [{method: POST, path: {prefix: /admin/}}], backends: [{subset: v1}]}
          - {name: r7, matches: [{path: {regex: "/orders/[0-9]+"}}], backends: [{subset: v1}]}
          - {name: r8, matches: [{headers: [{name: x-tenant, prefix: "beta-"}]}], backends: [{subset: v2}]}
          - {name: r9, matches: [{grpc: {service: shop.Catalog, method: ListItems}}], backends: [{subset: v1}]}
          - name: r10
            matches: [R10_MATCH]
            timeout: 2s
            RESILIENCE
            backends: [{subset: v1, weight: 90}, {subset: v2, weight: 10}]
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: DestinationPolicy
      metadata: {name: catalog, namespace: shop}
      spec:
        destination: catalog
        loadBalancer: {policy: BALANCER}
        circuitBreaker: {failureRateThreshold: 50, minimumCalls: 20, slidingWindowType: WINDOW, slidingWindowSize: 100}
        outlierDetection: {consecutiveFailures: 5, baseEjectionTime: 30s, maxEjectionPercent: 50}
        adaptiveConcurrency: {initialLimit: 100}
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: catalog, namespace: shop}
      spec:
        service: catalog
        endpoints:
          - {address: 10.0.0.1, port: 8080, labels: {version: v1}}
          - {address: 10.0.0.2, port: 8080, labels: {version: v1}}
          - {address: 10.0.0.3, port: 8080, labels: {version: v2}}
          - {address: 10.0.0.4, port: 8080, labels: {version: v2}}
      """;

  /** An adapter-style view of one gRPC call: nothing is copied per call. */
  private static final OutboundCall CALL =
      new OutboundCall() {
        @Override
        public String destination() {
          return "catalog.shop";
        }

        @Override
        public String grpcService() {
          return "shop.Catalog";
        }

        @Override
        public String grpcMethod() {
          return "GetItem";
        }

        // what the gRPC adapter answers too: its method descriptor's own field
        @Override
        public String grpcFullMethod() {
          return "shop.Catalog/GetItem";
        }

        @Override
        public @Nullable String header(String lowerCaseName) {
          return lowerCaseName.equals("x-user") ? "user-4242" : null;
        }

        @Override
        public boolean idempotent() {
          return true;
        }
      };

  @Param({"COUNT", "TIME_FAKE_TICKER", "NO_BREAKER"})
  public String window;

  /**
   * What the matching rule (r10) tests: {@code GRPC_METHOD} the call's gRPC method, {@code
   * HEADER_REGEX} a header against a regular expression, so the regex engine is on the measured
   * path (the other rules' regex is on the HTTP path, which a gRPC call does not have).
   */
  @Param({"GRPC_METHOD", "HEADER_REGEX"})
  public String route;

  /**
   * How the matching rule recovers: {@code RETRIES} (3 attempts, per-try timeout) or {@code
   * HEDGING} (a second attempt after 50 ms without an answer; the call asks for the delay, as the
   * gRPC adapter does, and is answered before it).
   */
  @Param({"RETRIES", "HEDGING"})
  public String resilience;

  private boolean hedging;

  /** The load balancer: the default {@code PEAK_EWMA}, or {@code LEAST_REQUEST}. */
  @Param({"PEAK_EWMA"})
  public String balancer;

  private Mesh mesh;
  private Outbound outbound;

  @Setup(Level.Trial)
  public void setUp() {
    boolean time = window.startsWith("TIME");
    String yaml =
        TEN_RULES
            .replace("BALANCER", balancer)
            .replace(
                "RESILIENCE",
                resilience.equals("HEDGING")
                    ? "hedging: {delay: 50ms, maxAttempts: 2}"
                    : "retries: {attempts: 3, perTryTimeout: 500ms, retryOn: [UNAVAILABLE,"
                        + " connect-failure]}")
            .replace("WINDOW", time ? "TIME" : "COUNT")
            .replace(
                "R10_MATCH",
                route.equals("HEADER_REGEX")
                    ? "{headers: [{name: x-user, regex: \"user-[0-9]{1,8}\"}]}"
                    : "{grpc: {service: shop.Catalog, method: GetItem}}");
    if (window.equals("NO_BREAKER")) {
      yaml = yaml.replaceAll("(?m)^  circuitBreaker: .*\\n", "");
      if (yaml.contains("circuitBreaker")) {
        throw new IllegalStateException("the breaker was not removed from the policy");
      }
    }
    Mesh.Builder b = Mesh.builder().configSource(StaticConfigSource.of(PolicySet.parse(yaml)));
    if (time) {
      // any ticker but the system one; it still reads the system clock so that time moves
      Ticker system = Ticker.system();
      b.ticker(() -> system.nanos());
    }
    mesh = b.build();
    outbound = mesh.outbound();
    hedging = resilience.equals("HEDGING");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    mesh.close();
  }

  @Benchmark
  public RetryDecision planPickAndSettle() {
    CallPlan plan = outbound.plan(CALL);
    Attempt attempt = plan.nextAttempt();
    // Every adapter arms the attempt's timeout.
    if (attempt.timeoutNanos() <= 0) {
      throw new IllegalStateException("no time left for the attempt");
    }
    if (hedging && plan.hedgeDelayNanos() == Long.MAX_VALUE) {
      throw new IllegalStateException("the call is not hedged");
    }
    return attempt.settle(Outcome.success());
  }
}
