package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.outliers;
import static io.mesh4j.core.testing.Policies.policy;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.DestinationPolicy.LbPolicy;
import io.mesh4j.core.testing.MeshHarness;
import io.mesh4j.core.testing.ScriptedRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BalancingTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();

  @Test
  void leastRequestSendsToTheEndpointWithFewerRequestsInFlight() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")));
      Map<String, Integer> inFlight = new HashMap<>();
      List<Attempt> held = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        Attempt a = h.attempt(CALL);
        held.add(a);
        inFlight.merge(a.endpoint().authority(), 1, Integer::sum);
        assertThat(Math.abs(inFlight.getOrDefault("10.0.0.1:8080", 0)
                - inFlight.getOrDefault("10.0.0.2:8080", 0)))
            .isLessThanOrEqualTo(1);
      }
      held.forEach(a -> a.settle(Outcome.success()));
    }
  }

  @Test
  void leastRequestHonoursEndpointWeights() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints(
              "catalog.shop", ep("10.0.0.1", Map.of(), "z", 3), ep("10.0.0.2", Map.of(), "z", 1)));
      Map<String, Integer> inFlight = new HashMap<>();
      for (int i = 0; i < 400; i++) {
        inFlight.merge(h.attempt(CALL).endpoint().authority(), 1, Integer::sum);
      }
      assertThat(inFlight.get("10.0.0.1:8080")).isBetween(297, 303);
    }
  }

  @Test
  void weightedRoundRobinFollowsWeightsExactly() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints(
              "catalog.shop", ep("10.0.0.1", Map.of(), "z", 3), ep("10.0.0.2", Map.of(), "z", 1)),
          policy("catalog.shop").lb(LbPolicy.ROUND_ROBIN, null, false).build());
      Map<String, Integer> picks = new HashMap<>();
      for (int i = 0; i < 400; i++) {
        Attempt a = h.attempt(CALL);
        picks.merge(a.endpoint().authority(), 1, Integer::sum);
        a.settle(Outcome.success());
      }
      assertThat(picks).containsEntry("10.0.0.1:8080", 300).containsEntry("10.0.0.2:8080", 100);
    }
  }

  @Test
  void zoneAwarePrefersLocalZoneWhileEnoughOfItIsHealthy() {
    try (MeshHarness h = new MeshHarness(new ScriptedRandom(), "zone-a")) {
      h.apply(
          endpoints(
              "catalog.shop",
              ep("10.0.0.1", Map.of(), "zone-a", 1),
              ep("10.0.0.2", Map.of(), "zone-a", 1),
              ep("10.0.0.3", Map.of(), "zone-b", 1),
              ep("10.0.0.4", Map.of(), "zone-b", 1),
              ep("10.0.0.5", Map.of(), "zone-b", 1)),
          policy("catalog.shop")
              .outliers(outliers(1, Duration.ofSeconds(30), Duration.ofSeconds(300), 100))
              .build());
      for (int i = 0; i < 1000; i++) {
        Attempt a = h.attempt(CALL);
        assertThat(a.endpoint().zone()).isEqualTo("zone-a");
        a.settle(Outcome.success());
      }
      // one local endpoint down: only half the zone is left, so picks spread over all zones
      Attempt bad = h.attempt(CALL);
      String ejected = bad.endpoint().authority();
      bad.settle(Outcome.failure(Outcome.Kind.CONNECT_FAILURE, ""));
      Map<String, Integer> zones = new HashMap<>();
      for (int i = 0; i < 1000; i++) {
        Attempt a = h.attempt(CALL);
        assertThat(a.endpoint().authority()).isNotEqualTo(ejected);
        zones.merge(a.endpoint().zone(), 1, Integer::sum);
        a.settle(Outcome.success());
      }
      assertThat(zones.get("zone-b")).isGreaterThan(500);
    }
  }
}
