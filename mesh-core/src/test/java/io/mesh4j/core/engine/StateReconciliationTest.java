package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.breaker;
import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.outliers;
import static io.mesh4j.core.testing.Policies.policy;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static io.mesh4j.core.testing.Policies.subset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.engine.state.GuardRegistry;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.testing.MeshHarness;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class StateReconciliationTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();
  private static final Outcome FAIL = Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");

  private static MeshResource[] config(DestinationPolicy.CircuitBreaker cb, String extraEndpoint) {
    return new MeshResource[] {
      endpoints("catalog.shop", ep("10.0.0.2", Map.of("version", "v2"))),
      endpoints("other.shop", ep(extraEndpoint)),
      route("catalog.shop", List.of(subset("v2", "version", "v2")), rule().backend("v2", 1).build()),
      policy("catalog.shop").breaker(cb).build()
    };
  }

  private static void openBreaker(MeshHarness h) {
    h.attempt(CALL).settle(FAIL);
    h.attempt(CALL).settle(FAIL);
    assertThat(h.attempt(CALL).refusal().reason()).isEqualTo(MeshFailure.Reason.CIRCUIT_OPEN);
  }

  @Test
  void breakerStateSurvivesSwapWithUnchangedPolicy() {
    DestinationPolicy.CircuitBreaker cb = breaker(50, 2, 2, Duration.ofSeconds(30), 1);
    try (MeshHarness h = new MeshHarness()) {
      h.apply(config(cb, "10.9.9.1"));
      openBreaker(h);

      h.apply(config(breaker(50, 2, 2, Duration.ofSeconds(30), 1), "10.9.9.2"));

      assertThat(h.mesh.appliedVersion()).isEqualTo(2);
      assertThat(h.attempt(CALL).refusal().reason()).isEqualTo(MeshFailure.Reason.CIRCUIT_OPEN);
      assertThat(h.events.snapshot()).noneMatch(l -> l.startsWith("reset breaker"));
    }
  }

  @Test
  void breakerStartsFreshWhenItsPolicyChanged() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(config(breaker(50, 2, 2, Duration.ofSeconds(30), 1), "10.9.9.1"));
      openBreaker(h);

      h.apply(config(breaker(60, 2, 2, Duration.ofSeconds(30), 1), "10.9.9.1"));

      assertThat(h.attempt(CALL).admitted()).isTrue();
      assertThat(h.events.snapshot()).contains("reset breaker catalog.shop/v2");
    }
  }

  @Test
  void stateOfAVanishedDestinationIsDroppedAndComesBackFresh() {
    DestinationPolicy.CircuitBreaker cb = breaker(50, 2, 2, Duration.ofSeconds(30), 1);
    try (MeshHarness h = new MeshHarness()) {
      h.apply(config(cb, "10.9.9.1"));
      openBreaker(h);

      h.apply(endpoints("other.shop", ep("10.9.9.1")));
      assertThat(h.attempt(CALL).refusal().reason())
          .isEqualTo(MeshFailure.Reason.UNKNOWN_DESTINATION);

      h.apply(config(cb, "10.9.9.1"));
      assertThat(h.attempt(CALL).admitted()).isTrue();
    }
  }

  @Test
  void endpointEjectionSurvivesSwapWithUnchangedOutlierPolicy() {
    DestinationPolicy.OutlierDetection od =
        outliers(1, Duration.ofSeconds(30), Duration.ofSeconds(300), 50);
    try (MeshHarness h = new MeshHarness()) {
      MeshResource eps = endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2"));
      h.apply(eps, policy("catalog.shop").outliers(od).build());
      var a = h.attempt(CALL);
      String ejected = a.endpoint().authority();
      a.settle(FAIL);

      h.apply(eps, policy("catalog.shop").outliers(od).rateLimit(1000, 1000).build());
      for (int i = 0; i < 100; i++) {
        var b = h.attempt(CALL);
        assertThat(b.endpoint().authority()).isNotEqualTo(ejected);
        b.settle(Outcome.success());
      }
    }
  }

  @Test
  void registryKeepsReplacesAndDropsByKeyAndPolicy() {
    Object lock = new Object();
    GuardRegistry r = new GuardRegistry(lock);
    synchronized (lock) {
      r.begin();
      Object a = r.obtain("a", "p1", Object.class, Object::new);
      Object b = r.obtain("b", "p1", Object.class, Object::new);
      assertThat(r.commit()).isEmpty();

      r.begin();
      assertThat(r.obtain("a", "p1", Object.class, Object::new)).isSameAs(a);
      assertThat(r.obtain("b", "p2", Object.class, Object::new)).isNotSameAs(b);
      assertThat(r.commit()).containsExactly("b");
      assertThat(r.size()).isEqualTo(2);

      r.begin();
      r.obtain("a", "p1", Object.class, Object::new);
      r.abort();
      assertThat(r.size()).isEqualTo(2);

      r.begin();
      r.obtain("a", "p1", Object.class, Object::new);
      r.commit();
      assertThat(r.size()).isEqualTo(1);
    }
    assertThatThrownBy(r::begin).isInstanceOf(IllegalStateException.class);
  }
}
