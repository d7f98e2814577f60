package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static io.mesh4j.core.testing.Policies.subset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.PolicyResult;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.testing.MeshHarness;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A rule whose backends are other services: the canary as Gateway API writes it. */
@Timeout(30)
class ServiceBackendsTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();

  @Test
  void splitsByWeightAcrossTheBackendServicesEndpoints() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1", Map.of())),
          endpoints("catalog-v1.shop", ep("10.0.1.1", Map.of()), ep("10.0.1.2", Map.of())),
          endpoints("catalog-v2.shop", ep("10.0.2.1", Map.of())),
          route(
              "catalog.shop",
              List.of(),
              rule().serviceBackend("catalog-v1.shop", null, 80).serviceBackend("catalog-v2.shop", null, 20).build()));

      Map<String, Integer> bySubset = new HashMap<>();
      int n = 20_000;
      for (int i = 0; i < n; i++) {
        CallPlan plan = h.plan(CALL);
        Attempt a = plan.nextAttempt();
        String host = a.endpoint().address();
        // Never the parent's own endpoint: the rule sends everything to the backend services.
        assertThat(host).startsWith("catalog-v1.shop".equals(plan.subset()) ? "10.0.1." : "10.0.2.");
        bySubset.merge(plan.subset(), 1, Integer::sum);
        a.settle(Outcome.success());
      }
      assertThat(bySubset.keySet()).containsExactlyInAnyOrder("catalog-v1.shop", "catalog-v2.shop");
      assertThat(bySubset.get("catalog-v1.shop") / (double) n).isCloseTo(0.80, within(0.01));
    }
  }

  @Test
  void aSubsetOfABackendServiceIsTheOneItsOwnRouteDefines() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog-v2.shop", ep("10.0.2.1", Map.of("track", "stable")), ep("10.0.2.2", Map.of("track", "edge"))),
          route(
              "catalog-v2.shop",
              List.of(subset("edge", "track", "edge")),
              rule().backend("edge", 1).build()),
          route("catalog.shop", List.of(), rule().serviceBackend("catalog-v2.shop", "edge", 1).build()));

      for (int i = 0; i < 100; i++) {
        CallPlan plan = h.plan(CALL);
        Attempt a = plan.nextAttempt();
        assertThat(plan.subset()).isEqualTo("catalog-v2.shop/edge");
        assertThat(a.endpoint().address()).isEqualTo("10.0.2.2");
        a.settle(Outcome.success());
      }
    }
  }

  @Test
  void aBackendServiceWithoutEndpointsFailsItsShareSayingWhich() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog-v1.shop", ep("10.0.1.1", Map.of())),
          route("catalog.shop", List.of(), rule().serviceBackend("catalog-v2.shop", null, 1).build()));

      Attempt a = h.plan(CALL).nextAttempt();
      assertThat(a.admitted()).isFalse();
      MeshFailure failure = a.refusal();
      assertThat(failure.reason()).isEqualTo(MeshFailure.Reason.NO_ENDPOINTS);
      assertThat(failure.getMessage()).contains("catalog-v2.shop");
    }
  }

  @Test
  void anUndefinedSubsetOfABackendServiceIsRefusedWithItsPath() {
    try (MeshHarness h = new MeshHarness()) {
      ApplyResult result =
          h.tryApply(
              endpoints("catalog-v2.shop", ep("10.0.2.1", Map.of())),
              route("catalog.shop", List.of(), rule().serviceBackend("catalog-v2.shop", "edge", 1).build()));

      assertThat(result.applied()).isFalse();
      assertThat(result.problems())
          .extracting(Problem::path)
          .containsExactly("spec.rules[0].backends[0].subset");
    }
    // The validator says it first, and why.
    PolicyResult validated =
        PolicyResult.of(List.of(route("catalog.shop", List.of(), rule().serviceBackend("catalog-v2.shop", "edge", 1).build())));
    assertThat(validated.problems())
        .extracting(Problem::path, Problem::expected)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "spec.rules[0].backends[0].subset",
                "must name a subset of catalog-v2.shop, but no TrafficRoute defines subsets for it"));
  }
}
