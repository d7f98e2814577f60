package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.retries;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.policy.TrafficRoute;
import io.mesh4j.core.testing.MeshHarness;
import io.mesh4j.core.testing.ScriptedRandom;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class DeadlineAndRetryTest {

  private static final Outcome UNAVAILABLE =
      Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");

  private static OutboundCall.Builder call() {
    return OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").idempotent(true);
  }

  private static TrafficRoute.Retry retry(int attempts, Duration perTry) {
    return new TrafficRoute.Retry(
        attempts,
        perTry,
        List.of("UNAVAILABLE", "connect-failure", "5xx"),
        new TrafficRoute.Backoff(Duration.ofMillis(25), Duration.ofMillis(80)),
        false,
        null);
  }

  private static MeshHarness mesh(ScriptedRandom random, TrafficRoute.Rule rule, int endpoints) {
    MeshHarness h = new MeshHarness(random, null);
    var eps = new java.util.ArrayList<io.mesh4j.core.policy.ServiceEndpoints.Endpoint>();
    for (int i = 1; i <= endpoints; i++) {
      eps.add(ep("10.0.0." + i));
    }
    // every attempt of these tests fails; ejections would change which endpoints are left
    h.apply(
        endpoints("catalog.shop", eps),
        route("catalog.shop", List.of(), rule),
        io.mesh4j.core.testing.Policies.policy("catalog.shop")
            .outliers(io.mesh4j.core.testing.Policies.noOutliers())
            .build());
    return h;
  }

  @Test
  void deadlineIsTheSoonerOfRouteTimeoutAndCallerDeadline() {
    try (MeshHarness h =
        mesh(new ScriptedRandom(), rule().timeout(Duration.ofSeconds(2)).build(), 1)) {
      long ms = 1_000_000;
      assertThat(h.plan(call().timeRemainingNanos(500 * ms).build()).remainingNanos())
          .isEqualTo(500 * ms);
      assertThat(h.plan(call().timeRemainingNanos(5000 * ms).build()).remainingNanos())
          .isEqualTo(2000 * ms);
      CallPlan plan = h.plan(call().build());
      assertThat(plan.remainingNanos()).isEqualTo(2000 * ms);
      // The rule's timeout counts from the first attempt, as a route timeout counts from the end
      // of the request (gRPC's unary calls wait for theirs after planning).
      h.ticker.advance(Duration.ofMillis(700));
      assertThat(plan.remainingNanos()).isEqualTo(2000 * ms);
      assertThat(plan.nextAttempt().timeoutNanos()).isEqualTo(2000 * ms);
      h.ticker.advance(Duration.ofMillis(1500));
      assertThat(plan.remainingNanos()).isEqualTo(500 * ms);
    }
    try (MeshHarness h = mesh(new ScriptedRandom(), rule().build(), 1)) {
      long ms = 1_000_000;
      assertThat(h.plan(call().build()).remainingNanos()).isEqualTo(15_000 * ms);
      assertThat(h.plan(call().streaming(true).build()).remainingNanos()).isEqualTo(Long.MAX_VALUE);
      assertThat(h.plan(call().timeRemainingNanos(7).build()).remainingNanos()).isEqualTo(7);
      CallPlan farOff = h.plan(call().timeRemainingNanos(Long.MAX_VALUE - 1).build());
      assertThat(farOff.remainingNanos()).isEqualTo(Long.MAX_VALUE);
      assertThat(farOff.nextAttempt().admitted()).isTrue();
    }
  }

  @Test
  void perTryTimeoutIsBoundedByWhatIsLeftAndNoAttemptStartsAfterTheDeadline() {
    ScriptedRandom random = new ScriptedRandom().alwaysLowest(MeshRandom.Purpose.JITTER);
    TrafficRoute.Rule r =
        rule().timeout(Duration.ofSeconds(1)).retries(retry(5, Duration.ofMillis(300))).build();
    try (MeshHarness h = mesh(random, r, 3)) {
      CallPlan plan = h.plan(call().build());
      Attempt first = plan.nextAttempt();
      assertThat(first.timeoutNanos()).isEqualTo(Duration.ofMillis(300).toNanos());
      h.ticker.advance(Duration.ofMillis(900));
      assertThat(first.settle(UNAVAILABLE).shouldRetry()).isTrue();
      Attempt second = plan.nextAttempt();
      assertThat(second.timeoutNanos()).isEqualTo(Duration.ofMillis(100).toNanos());
      h.ticker.advance(Duration.ofMillis(100));
      assertThat(second.settle(UNAVAILABLE).reason()).isEqualTo(RetryDecision.Reason.DEADLINE);
      Attempt late = plan.nextAttempt();
      assertThat(late.refusal().reason()).isEqualTo(MeshFailure.Reason.DEADLINE_EXCEEDED);
    }
  }

  @Test
  void aRetryNeverGoesToAnEndpointAlreadyTriedWhileAnotherIsHealthy() {
    try (MeshHarness h = mesh(new ScriptedRandom(), rule().retries(retries(3, "UNAVAILABLE")).build(), 3)) {
      // 40 calls with 2 retries each stay inside the default retry budget (20% + 10/s x 10s)
      for (int call = 0; call < 40; call++) {
        CallPlan plan = h.plan(call().build());
        Set<String> tried = new HashSet<>();
        for (int i = 0; i < 3; i++) {
          Attempt a = plan.nextAttempt();
          assertThat(tried.add(a.endpoint().authority())).isTrue();
          RetryDecision d = a.settle(UNAVAILABLE);
          assertThat(d.shouldRetry()).isEqualTo(i < 2);
        }
      }
    }
    try (MeshHarness h = mesh(new ScriptedRandom(), rule().retries(retries(3, "UNAVAILABLE")).build(), 1)) {
      CallPlan plan = h.plan(call().build());
      plan.nextAttempt().settle(UNAVAILABLE);
      assertThat(plan.nextAttempt().endpoint().authority()).isEqualTo("10.0.0.1:8080");
    }
  }

  @Test
  void retriesFollowRetryOnIdempotencyAndMaxAttempts() {
    try (MeshHarness h = mesh(new ScriptedRandom(), rule().retries(retries(2, "UNAVAILABLE", "connect-failure")).build(), 3)) {
      assertThat(h.attempt(call().build()).settle(Outcome.success()).reason())
          .isEqualTo(RetryDecision.Reason.SUCCEEDED);
      assertThat(h.attempt(call().build()).settle(Outcome.failure(Outcome.Kind.STATUS, "NOT_FOUND")).reason())
          .isEqualTo(RetryDecision.Reason.NOT_RETRYABLE);
      OutboundCall post = OutboundCall.builder("catalog.shop").http("POST", "/orders").build();
      assertThat(h.attempt(post).settle(UNAVAILABLE).reason())
          .isEqualTo(RetryDecision.Reason.NOT_IDEMPOTENT);
      assertThat(h.attempt(post).settle(Outcome.failure(Outcome.Kind.CONNECT_FAILURE, "")).shouldRetry())
          .as("a connect failure never reached the server, so a POST may be replayed")
          .isTrue();
      CallPlan plan = h.plan(call().build());
      assertThat(plan.nextAttempt().settle(UNAVAILABLE).shouldRetry()).isTrue();
      assertThat(plan.nextAttempt().settle(UNAVAILABLE).reason())
          .isEqualTo(RetryDecision.Reason.MAX_ATTEMPTS);
    }
    try (MeshHarness h = mesh(new ScriptedRandom(), rule().build(), 1)) {
      assertThat(h.attempt(call().build()).settle(UNAVAILABLE).reason())
          .isEqualTo(RetryDecision.Reason.NO_RETRY_POLICY);
    }
  }

  @Test
  void withoutAPolicyOnlyARequestThatNeverLeftIsSentAgainOnceElsewhere() {
    Outcome connectFailure = Outcome.failure(Outcome.Kind.CONNECT_FAILURE, "UNAVAILABLE");
    try (MeshHarness h = mesh(new ScriptedRandom(), rule().build(), 2)) {
      OutboundCall post = OutboundCall.builder("catalog.shop").http("POST", "/orders").build();
      CallPlan plan = h.plan(post);
      Attempt first = plan.nextAttempt();
      RetryDecision d = first.settle(connectFailure);
      assertThat(d.shouldRetry()).as("nothing was sent, so even a POST is safe").isTrue();
      assertThat(d.backoffNanos()).isZero();
      Attempt second = plan.nextAttempt();
      assertThat(second.endpoint().authority()).isNotEqualTo(first.endpoint().authority());
      assertThat(second.settle(connectFailure).reason())
          .as("once only")
          .isEqualTo(RetryDecision.Reason.NO_RETRY_POLICY);
      assertThat(h.attempt(call().build()).settle(UNAVAILABLE).reason())
          .as("an answer of the server is retried only by a policy")
          .isEqualTo(RetryDecision.Reason.NO_RETRY_POLICY);
      assertThat(
              h.attempt(call().build())
                  .settle(Outcome.failure(Outcome.Kind.RESET, "UNAVAILABLE"))
                  .reason())
          .as("a request that may have reached the server is not sent again")
          .isEqualTo(RetryDecision.Reason.NO_RETRY_POLICY);
    }
  }

  @Test
  void backoffIsFullJitterUnderAnExponentialCap() {
    ScriptedRandom random = new ScriptedRandom().alwaysHighest(MeshRandom.Purpose.JITTER);
    try (MeshHarness h = mesh(random, rule().retries(retry(5, null)).build(), 3)) {
      CallPlan plan = h.plan(call().build());
      long ms = 1_000_000;
      assertThat(plan.nextAttempt().settle(UNAVAILABLE).backoffNanos()).isEqualTo(25 * ms);
      assertThat(plan.nextAttempt().settle(UNAVAILABLE).backoffNanos()).isEqualTo(50 * ms);
      assertThat(plan.nextAttempt().settle(UNAVAILABLE).backoffNanos()).isEqualTo(80 * ms);
      assertThat(plan.nextAttempt().settle(UNAVAILABLE).backoffNanos()).isEqualTo(80 * ms);
    }
    ScriptedRandom low = new ScriptedRandom().alwaysLowest(MeshRandom.Purpose.JITTER);
    try (MeshHarness h = mesh(low, rule().retries(retry(5, null)).build(), 3)) {
      assertThat(h.attempt(call().build()).settle(UNAVAILABLE).backoffNanos()).isZero();
    }
  }

  @Test
  void settleIsIdempotent() {
    try (MeshHarness h = mesh(new ScriptedRandom(), rule().retries(retries(3, "UNAVAILABLE")).build(), 2)) {
      Attempt a = h.attempt(call().build());
      assertThat(a.settle(UNAVAILABLE).shouldRetry()).isTrue();
      assertThat(a.settle(UNAVAILABLE).reason()).isEqualTo(RetryDecision.Reason.ALREADY_SETTLED);
      assertThat(a.settle(Outcome.success()).reason())
          .isEqualTo(RetryDecision.Reason.ALREADY_SETTLED);
    }
  }
}
