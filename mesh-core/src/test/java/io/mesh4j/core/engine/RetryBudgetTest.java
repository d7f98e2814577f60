package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.budget;
import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.policy;
import static io.mesh4j.core.testing.Policies.retries;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.engine.resilience.RetryBudget;
import io.mesh4j.core.testing.MeshHarness;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RetryBudgetTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").idempotent(true).build();
  private static final Outcome FAIL = Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");

  /** Runs {@code calls} calls that always fail and returns the attempts made. */
  private static long runFailingCalls(MeshHarness h, int calls) {
    long attempts = 0;
    for (int i = 0; i < calls; i++) {
      CallPlan plan = h.plan(CALL);
      for (; ; ) {
        Attempt a = plan.nextAttempt();
        assertThat(a.admitted()).isTrue();
        attempts++;
        RetryDecision d = a.settle(FAIL);
        if (!d.shouldRetry()) {
          break;
        }
      }
    }
    return attempts;
  }

  @Test
  void underTotalFailureTheBudgetHoldsRetriesToItsRatio() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")),
          route("catalog.shop", List.of(), rule().retries(retries(3, "UNAVAILABLE")).build()),
          policy("catalog.shop").budget(budget(20, 10, Duration.ofSeconds(10))).build());
      int calls = 10_000;

      long attempts = runFailingCalls(h, calls);

      // without a budget, 3 attempts per call would amplify load 3x
      long retries = attempts - calls;
      double amplification = attempts / (double) calls;
      assertThat(retries).isBetween(2099L, 2100L); // 20% of 10,000 + 10/s x 10 s
      assertThat(amplification).isBetween(1.2099, 1.21);
      assertThat(h.events.snapshot())
          .contains(
              "refused call: mesh4j: retry budget exhausted for catalog.shop (retry 1 of rule rule-0"
                  + " refused)");
    }
  }

  @Test
  void withoutBudgetPressureEveryAttemptIsUsed() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")),
          route("catalog.shop", List.of(), rule().retries(retries(3, "UNAVAILABLE")).build()),
          policy("catalog.shop").budget(budget(1000, 0, Duration.ofSeconds(10))).build());
      assertThat(runFailingCalls(h, 1000)).isEqualTo(3000);
    }
  }

  @Test
  void attemptSettledAsNotReplayableSpendsNoBudgetAndSchedulesNoRetry() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")),
          route("catalog.shop", List.of(), rule().retries(retries(3, "UNAVAILABLE")).build()),
          // room for exactly one retry in the window: 10% of 10 calls, nothing per second
          policy("catalog.shop").budget(budget(10, 0, Duration.ofSeconds(10))).build());

      for (int i = 0; i < 10; i++) {
        RetryDecision d = h.plan(CALL).nextAttempt().settleFinal(FAIL);
        assertThat(d.shouldRetry()).isFalse();
        assertThat(d.reason()).isEqualTo(RetryDecision.Reason.NOT_REPLAYABLE);
      }
      assertThat(h.events.snapshot()).noneMatch(line -> line.startsWith("retry "));
      assertThat(h.events.snapshot()).noneMatch(line -> line.contains("retry budget exhausted"));

      // the budget's one retry is still there for a call that can be replayed
      RetryDecision replayable = h.plan(CALL).nextAttempt().settle(FAIL);
      assertThat(replayable.shouldRetry()).isTrue();
      assertThat(h.events.snapshot()).contains("retry catalog.shop attempt 2");
    }
  }

  @Test
  void notReplayableSettleStillFeedsOutlierDetectionAndTakesEffectOnce() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          route("catalog.shop", List.of(), rule().retries(retries(3, "UNAVAILABLE")).build()),
          policy("catalog.shop")
              .outliers(
                  io.mesh4j.core.testing.Policies.outliers(
                      2, Duration.ofSeconds(30), Duration.ofSeconds(300), 100))
              .build());

      CallPlan plan = h.plan(CALL);
      Attempt first = plan.nextAttempt();
      assertThat(first.settleFinal(FAIL).reason()).isEqualTo(RetryDecision.Reason.NOT_REPLAYABLE);
      assertThat(first.settle(FAIL).reason()).isEqualTo(RetryDecision.Reason.ALREADY_SETTLED);
      Attempt second = h.plan(CALL).nextAttempt();
      assertThat(second.settleFinal(Outcome.success()).reason())
          .isEqualTo(RetryDecision.Reason.SUCCEEDED);
      h.plan(CALL).nextAttempt().settleFinal(FAIL);
      h.plan(CALL).nextAttempt().settleFinal(FAIL);

      assertThat(h.events.snapshot()).anyMatch(line -> line.startsWith("ejected 10.0.0.1:8080"));
    }
  }

  @Test
  void budgetWindowSlides() {
    RetryBudget b = new RetryBudget(budget(10, 0, Duration.ofSeconds(10)));
    long t = 1_000_000_000_000L;
    for (int i = 0; i < 100; i++) {
      b.recordCall(t);
    }
    int allowed = 0;
    while (b.tryRetry(t)) {
      allowed++;
    }
    assertThat(allowed).isEqualTo(10);
    // ten seconds later the old calls and retries have left the window
    t += Duration.ofSeconds(10).toNanos();
    assertThat(b.tryRetry(t)).isFalse();
    for (int i = 0; i < 50; i++) {
      b.recordCall(t);
    }
    allowed = 0;
    while (b.tryRetry(t)) {
      allowed++;
    }
    assertThat(allowed).isEqualTo(5);
  }
}
