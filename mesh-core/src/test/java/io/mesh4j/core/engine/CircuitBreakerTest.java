package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.breaker;
import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.policy;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static io.mesh4j.core.testing.Policies.subset;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.testing.MeshHarness;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class CircuitBreakerTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();
  private static final Outcome FAIL = Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");
  private static final Outcome OK = Outcome.success();

  static MeshHarness v2Mesh(DestinationPolicy.CircuitBreaker cb) {
    MeshHarness h = new MeshHarness();
    h.apply(
        endpoints("catalog.shop", ep("10.0.0.2", Map.of("version", "v2"))),
        route("catalog.shop", List.of(subset("v2", "version", "v2")), rule().backend("v2", 1).build()),
        policy("catalog.shop").breaker(cb).build());
    return h;
  }

  @Test
  void breakerOpensAtThresholdRejectsWithReasonHalfOpensAfterWaitAndClosesOnSuccess() {
    try (MeshHarness h = v2Mesh(breaker(50, 10, 10, Duration.ofSeconds(30), 2))) {
      // 4 successes and 6 failures: the 10th call completes the window at 60% >= 50%
      for (int i = 0; i < 10; i++) {
        Attempt a = h.attempt(CALL);
        assertThat(a.admitted()).as("call %d", i).isTrue();
        a.settle(i < 4 ? OK : FAIL);
      }

      Attempt refused = h.attempt(CALL);
      assertThat(refused.admitted()).isFalse();
      assertThat(refused.refusal().reason()).isEqualTo(MeshFailure.Reason.CIRCUIT_OPEN);
      assertThat(refused.refusal().getMessage())
          .isEqualTo("mesh4j: circuit open for catalog.shop/v2 (failure rate 60% >= 50%)");
      assertThat(refused.settle(OK).reason())
          .isEqualTo(io.mesh4j.core.call.RetryDecision.Reason.REFUSED);

      h.ticker.advance(Duration.ofSeconds(30));
      assertThat(h.attempt(CALL).admitted()).isFalse();

      h.ticker.advance(Duration.ofMillis(1));
      Attempt trial1 = h.attempt(CALL);
      Attempt trial2 = h.attempt(CALL);
      assertThat(trial1.admitted()).isTrue();
      assertThat(trial2.admitted()).isTrue();
      Attempt third = h.attempt(CALL);
      assertThat(third.refusal().getMessage())
          .isEqualTo("mesh4j: circuit open for catalog.shop/v2 (half-open, 2 trial calls in flight)");

      trial1.settle(OK);
      trial2.settle(OK);
      assertThat(h.attempt(CALL).admitted()).isTrue();
      assertThat(h.events.snapshot())
          .containsSubsequence(
              "breaker catalog.shop/v2 CLOSED->OPEN",
              "breaker catalog.shop/v2 OPEN->HALF_OPEN",
              "breaker catalog.shop/v2 HALF_OPEN->CLOSED");
    }
  }

  @Test
  void timeWindowBreakerFollowsTheInjectedClock() {
    DestinationPolicy.CircuitBreaker cb =
        new DestinationPolicy.CircuitBreaker(
            50.0, 100.0, Duration.ofSeconds(60), 4, DestinationPolicy.SlidingWindowType.TIME, 10,
            Duration.ofSeconds(5), 1, null);
    try (MeshHarness h = v2Mesh(cb)) {
      // three failures, then the window (10 s) moves past them: they no longer count
      for (int i = 0; i < 3; i++) {
        h.attempt(CALL).settle(FAIL);
      }
      h.ticker.advance(Duration.ofSeconds(11));
      for (int i = 0; i < 3; i++) {
        h.attempt(CALL).settle(Outcome.success());
      }
      h.attempt(CALL).settle(FAIL);
      assertThat(h.attempt(CALL).admitted()).as("1 failure in 4 calls").isTrue();

      for (int i = 0; i < 4; i++) {
        h.attempt(CALL).settle(FAIL);
      }
      Attempt refused = h.attempt(CALL);
      assertThat(refused.refusal().reason()).isEqualTo(MeshFailure.Reason.CIRCUIT_OPEN);
      h.ticker.advance(Duration.ofSeconds(5).plusMillis(1));
      assertThat(h.attempt(CALL).admitted()).isTrue();
    }
  }

  @Test
  void breakerStaysClosedBelowThreshold() {
    try (MeshHarness h = v2Mesh(breaker(50, 10, 10, Duration.ofSeconds(30), 2))) {
      for (int i = 0; i < 100; i++) {
        Attempt a = h.attempt(CALL);
        assertThat(a.admitted()).isTrue();
        a.settle(i % 10 < 4 ? FAIL : OK); // 40% failures
      }
    }
  }

  @Test
  void maxConcurrentRequestsRefusesBeyondTheLimit() {
    DestinationPolicy.CircuitBreaker cb =
        new DestinationPolicy.CircuitBreaker(
            50.0, 100.0, Duration.ofSeconds(60), 10, DestinationPolicy.SlidingWindowType.COUNT,
            10, Duration.ofSeconds(30), 2, 2);
    try (MeshHarness h = v2Mesh(cb)) {
      Attempt a = h.attempt(CALL);
      Attempt b = h.attempt(CALL);
      Attempt c = h.attempt(CALL);
      assertThat(a.admitted()).isTrue();
      assertThat(b.admitted()).isTrue();
      assertThat(c.refusal().reason()).isEqualTo(MeshFailure.Reason.MAX_CONCURRENCY);
      assertThat(c.refusal().getMessage())
          .isEqualTo("mesh4j: too many concurrent requests for catalog.shop/v2 (2 requests in flight)");

      a.settle(OK);
      a.settle(OK); // a second settle must not free a second slot
      assertThat(h.attempt(CALL).admitted()).isTrue();
      assertThat(h.attempt(CALL).admitted()).isFalse();
    }
  }

  @Test
  void cancelledAttemptsDoNotCountAgainstTheBreaker() {
    try (MeshHarness h = v2Mesh(breaker(50, 4, 4, Duration.ofSeconds(30), 1))) {
      for (int i = 0; i < 100; i++) {
        h.attempt(CALL).settle(Outcome.cancelled());
      }
      assertThat(h.attempt(CALL).admitted()).isTrue();
    }
  }
}
