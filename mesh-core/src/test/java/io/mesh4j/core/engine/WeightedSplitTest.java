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
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.testing.MeshHarness;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class WeightedSplitTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();

  @Test
  void ninetyTenSplitLandsWithinOnePercentOver100000Picks() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints(
              "catalog.shop",
              ep("10.0.0.1", Map.of("version", "v1")),
              ep("10.0.0.2", Map.of("version", "v1")),
              ep("10.0.0.3", Map.of("version", "v2"))),
          route(
              "catalog.shop",
              List.of(subset("v1", "version", "v1"), subset("v2", "version", "v2")),
              rule().backend("v1", 90).backend("v2", 10).build()));

      int v1 = 0;
      int n = 100_000;
      for (int i = 0; i < n; i++) {
        CallPlan plan = h.plan(CALL);
        Attempt a = plan.nextAttempt();
        assertThat(a.endpoint().labels()).containsEntry("version", plan.subset());
        if ("v1".equals(plan.subset())) {
          v1++;
        }
        a.settle(io.mesh4j.core.call.Outcome.success());
      }

      assertThat(v1 / (double) n).isCloseTo(0.90, within(0.01));
    }
  }

  @Test
  void zeroWeightBackendGetsNothing() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints(
              "catalog.shop",
              ep("10.0.0.1", Map.of("version", "v1")),
              ep("10.0.0.3", Map.of("version", "v2"))),
          route(
              "catalog.shop",
              List.of(subset("v1", "version", "v1"), subset("v2", "version", "v2")),
              rule().backend("v1", 1).backend("v2", 0).build()));

      for (int i = 0; i < 1000; i++) {
        assertThat(h.plan(CALL).subset()).isEqualTo("v1");
      }
    }
  }
}
