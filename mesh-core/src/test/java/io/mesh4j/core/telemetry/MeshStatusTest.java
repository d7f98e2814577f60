package io.mesh4j.core.telemetry;

import static io.mesh4j.core.testing.Policies.breaker;
import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.outliers;
import static io.mesh4j.core.testing.Policies.policy;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static io.mesh4j.core.testing.Policies.subset;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.telemetry.MeshListener.BreakerState;
import io.mesh4j.core.telemetry.MeshStatus.DestinationStatus;
import io.mesh4j.core.telemetry.MeshStatus.EndpointStatus;
import io.mesh4j.core.telemetry.MeshStatus.SubsetStatus;
import io.mesh4j.core.testing.MeshHarness;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MeshStatusTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();
  private static final Outcome FAIL = Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");
  private static final Outcome OK = Outcome.success();

  @Test
  void beforeAnyPolicyThereIsNoVersionNoAgeAndNoDestination() {
    try (MeshHarness h = new MeshHarness()) {
      MeshStatus status = h.mesh.status();
      assertThat(status.version()).isZero();
      assertThat(status.sinceApplied()).isNull();
      assertThat(status.destinations()).isEmpty();
    }
  }

  @Test
  void listsEveryDestinationWithItsSubsetsAndTheAgeOfTheVersion() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints(
              "catalog.shop",
              ep("10.0.0.1", Map.of("version", "v1")),
              ep("10.0.0.2", Map.of("version", "v2"))),
          route(
              "catalog.shop",
              List.of(subset("v2", "version", "v2"), subset("v1", "version", "v1")),
              rule().backend("v1", 90).backend("v2", 10).build()),
          endpoints("cart.shop", ep("10.0.1.1")));
      h.ticker.advance(Duration.ofSeconds(42));

      MeshStatus status = h.mesh.status();
      assertThat(status.version()).isEqualTo(h.mesh.appliedVersion()).isPositive();
      assertThat(status.sinceApplied()).isEqualTo(Duration.ofSeconds(42));
      assertThat(status.destinations())
          .extracting(DestinationStatus::name)
          .containsExactly("cart.shop", "catalog.shop");
      DestinationStatus catalog = status.destinations().get(1);
      assertThat(catalog.endpoints()).hasSize(2);
      assertThat(catalog.subsets()).extracting(SubsetStatus::name).containsExactly("v1", "v2", null);
      SubsetStatus v2 = catalog.subsets().get(1);
      assertThat(v2.breaker()).isEqualTo(BreakerState.CLOSED);
      assertThat(v2.endpoints())
          .extracting(e -> e.endpoint().authority(), EndpointStatus::ejected)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("10.0.0.2:8080", false));
      // the subset-less destination reports its whole set as one entry
      assertThat(status.destinations().get(0).subsets())
          .singleElement()
          .satisfies(s -> assertThat(s.name()).isNull());
    }
  }

  @Test
  void showsAnOpenBreaker() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.2", Map.of("version", "v2"))),
          route(
              "catalog.shop",
              List.of(subset("v2", "version", "v2")),
              rule().backend("v2", 1).build()),
          policy("catalog.shop").breaker(breaker(50, 4, 4, Duration.ofSeconds(30), 1)).build());
      for (int i = 0; i < 4; i++) {
        h.attempt(CALL).settle(FAIL);
      }
      SubsetStatus v2 = h.mesh.status().destinations().get(0).subsets().get(0);
      assertThat(v2.name()).isEqualTo("v2");
      assertThat(v2.breaker()).isEqualTo(BreakerState.OPEN);
    }
  }

  @Test
  void showsAnEjectionUntilItsTimeIsUp() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")),
          policy("catalog.shop")
              .lb(io.mesh4j.core.policy.DestinationPolicy.LbPolicy.ROUND_ROBIN, null, false)
              .outliers(outliers(3, Duration.ofSeconds(30), Duration.ofSeconds(300), 50))
              .build());
      String bad = "10.0.0.1:8080";
      for (int i = 0; i < 1000 && !ejected(h, bad); i++) {
        Attempt a = h.attempt(CALL);
        a.settle(a.endpoint().authority().equals(bad) ? FAIL : OK);
      }
      assertThat(ejected(h, bad)).isTrue();
      assertThat(endpoint(h, bad).ejections()).isEqualTo(1);

      h.ticker.advance(Duration.ofSeconds(30));
      assertThat(ejected(h, bad)).isFalse();
    }
  }

  private static EndpointStatus endpoint(MeshHarness h, String authority) {
    return h.mesh.status().destinations().get(0).subsets().get(0).endpoints().stream()
        .filter(e -> e.endpoint().authority().equals(authority))
        .findFirst()
        .orElseThrow();
  }

  private static boolean ejected(MeshHarness h, String authority) {
    return endpoint(h, authority).ejected();
  }
}
