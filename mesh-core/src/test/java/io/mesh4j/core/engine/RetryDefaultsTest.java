package io.mesh4j.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.testing.MeshHarness;
import io.mesh4j.core.testing.ScriptedRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The defaults that used to trip users: a rule without backends, a per-try timeout without
 * {@code retryOn}, HTTP 4xx statuses in {@code retryOn}, and gRPC methods marked retryable by the
 * route because their descriptor does not say they are idempotent.
 */
@Timeout(10)
class RetryDefaultsTest {

  private static final Outcome SLOW = Outcome.failure(Outcome.Kind.TIMEOUT, "DEADLINE_EXCEEDED");
  private static final Outcome UNAVAILABLE = Outcome.status(CallStatus.grpc("UNAVAILABLE"));

  private static OutboundCall get() {
    return OutboundCall.builder("catalog.shop").http("GET", "/items").build();
  }

  private static OutboundCall grpc(String service, String method) {
    // as grpc-java describes a method generated without idempotency_level
    return OutboundCall.builder("catalog.shop").grpc(service, method).build();
  }

  /** Three endpoints of catalog.shop and one rule with {@code rule} as its settings. */
  static MeshHarness mesh(String rule) {
    // the longest backoff, so that the tests know which of backoff and pushback is longer
    return mesh(
        new ScriptedRandom().alwaysHighest(MeshRandom.Purpose.JITTER),
        3,
        "outlierDetection: {enabled: false}",
        rule);
  }

  /**
   * {@code endpoints} endpoints of catalog.shop (10.0.0.1, 10.0.0.2, ...), a DestinationPolicy
   * with {@code policy} as its settings, and one rule with {@code rule} as its settings.
   */
  static MeshHarness mesh(ScriptedRandom random, int endpoints, String policy, String rule) {
    MeshHarness h = new MeshHarness(random, null);
    StringBuilder yaml =
        new StringBuilder(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: ServiceEndpoints
            metadata: {name: catalog, namespace: shop}
            spec:
              service: catalog
              endpoints:
            """);
    for (int i = 1; i <= endpoints; i++) {
      yaml.append("    - {address: 10.0.0.").append(i).append(", port: 8080}\n");
    }
    yaml.append(
            """
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog
            """)
        .append(policy.indent(2))
        .append(
            """
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog
              rules:
                -
            """)
        .append(rule.indent(6));
    h.apply(PolicySet.parse(yaml.toString()).resources().toArray(new MeshResource[0]));
    return h;
  }

  @Test
  void aRuleWithoutBackendsSendsCallsToAllTheDestinationsEndpoints() {
    try (MeshHarness h = mesh("timeout: 1s\nretries: {attempts: 2}")) {
      Set<String> reached = new HashSet<>();
      for (int i = 0; i < 60; i++) {
        CallPlan plan = h.plan(get());
        assertThat(plan.subset()).isNull();
        reached.add(plan.nextAttempt().endpoint().authority());
      }
      assertThat(reached).containsExactlyInAnyOrder("10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080");
    }
  }

  @Test
  void aPerTryTimeoutAloneRetriesASlowAttempt() {
    try (MeshHarness h = mesh("retries: {attempts: 2, perTryTimeout: 100ms}")) {
      assertThat(h.attempt(get()).settle(SLOW).shouldRetry()).isTrue();
      assertThat(h.attempt(get()).settle(UNAVAILABLE).shouldRetry())
          .as("the rest of the default list still holds")
          .isTrue();
    }
    try (MeshHarness h = mesh("retries: {attempts: 2}")) {
      assertThat(h.attempt(get()).settle(SLOW).reason())
          .as("without a per-try timeout, a timeout is the call's own deadline")
          .isEqualTo(RetryDecision.Reason.NOT_RETRYABLE);
    }
    try (MeshHarness h = mesh("retries: {attempts: 2, perTryTimeout: 100ms, retryOn: [UNAVAILABLE]}")) {
      assertThat(h.attempt(get()).settle(SLOW).reason())
          .as("a retryOn written out is taken as written")
          .isEqualTo(RetryDecision.Reason.NOT_RETRYABLE);
    }
  }

  @Test
  void statusesAndClassesOf4xxAreRetryableWhenListed() {
    Outcome tooMany = Outcome.status(CallStatus.http(429));
    Outcome notFound = Outcome.status(CallStatus.http(404));
    try (MeshHarness h = mesh("retries: {attempts: 2}")) {
      assertThat(h.attempt(get()).settle(tooMany).reason())
          .isEqualTo(RetryDecision.Reason.NOT_RETRYABLE);
    }
    try (MeshHarness h = mesh("retries: {attempts: 2, retryOn: [429]}")) {
      assertThat(h.attempt(get()).settle(tooMany).shouldRetry()).isTrue();
      assertThat(h.attempt(get()).settle(notFound).shouldRetry()).isFalse();
    }
    try (MeshHarness h = mesh("retries: {attempts: 2, retryOn: [4xx]}")) {
      assertThat(h.attempt(get()).settle(tooMany).shouldRetry()).isTrue();
      assertThat(h.attempt(get()).settle(notFound).shouldRetry()).isTrue();
      assertThat(h.attempt(get()).settle(Outcome.status(CallStatus.http(503))).shouldRetry())
          .isFalse();
    }
  }

  @Test
  void aRouteMarksGrpcMethodsRetryableWithoutTheirDescriptorsSayingSo() {
    OutboundCall check = grpc("grpc.health.v1.Health", "Check");
    OutboundCall watch = grpc("grpc.health.v1.Health", "Watch");
    OutboundCall order = grpc("shop.Orders", "Place");
    try (MeshHarness h = mesh("retries: {attempts: 2}")) {
      assertThat(h.attempt(check).settle(UNAVAILABLE).reason())
          .isEqualTo(RetryDecision.Reason.NOT_IDEMPOTENT);
    }
    try (MeshHarness h =
        mesh("retries: {attempts: 2, idempotentMethods: [grpc.health.v1.Health/Check]}")) {
      assertThat(h.attempt(check).settle(UNAVAILABLE).shouldRetry()).isTrue();
      assertThat(h.attempt(watch).settle(UNAVAILABLE).reason())
          .isEqualTo(RetryDecision.Reason.NOT_IDEMPOTENT);
    }
    try (MeshHarness h = mesh("retries: {attempts: 2, idempotentMethods: [grpc.health.v1.Health/*]}")) {
      assertThat(h.attempt(check).settle(UNAVAILABLE).shouldRetry()).isTrue();
      assertThat(h.attempt(watch).settle(UNAVAILABLE).shouldRetry()).isTrue();
      assertThat(h.attempt(order).settle(UNAVAILABLE).reason())
          .isEqualTo(RetryDecision.Reason.NOT_IDEMPOTENT);
      assertThat(
              h.attempt(OutboundCall.builder("catalog.shop").http("POST", "/orders").build())
                  .settle(Outcome.status(CallStatus.http(503)))
                  .reason())
          .as("gRPC methods only: an HTTP POST is not one")
          .isEqualTo(RetryDecision.Reason.NOT_IDEMPOTENT);
    }
  }
}
