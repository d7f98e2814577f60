package io.mesh4j.core.engine;

import static io.mesh4j.core.engine.RetryDefaultsTest.mesh;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.testing.MeshHarness;
import io.mesh4j.core.testing.ScriptedRandom;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engine's side of hedging on the fake ticker: which calls are hedged, how many attempts go
 * out, where they go, what settling a hedged attempt answers, and the retry budget they share.
 */
@Timeout(10)
class HedgingTest {

  private static final long MS = 1_000_000;
  private static final Outcome UNAVAILABLE = Outcome.status(CallStatus.grpc("UNAVAILABLE"));
  private static final Outcome INVALID = Outcome.status(CallStatus.grpc("INVALID_ARGUMENT"));
  private static final String HEDGING = "hedging: {delay: 50ms, maxAttempts: 3}";

  private static OutboundCall idempotent() {
    return OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").idempotent(true).build();
  }

  @Test
  void anIdempotentCallIsHedgedAfterTheDelayToAnotherEndpointUntilItsAttemptsAreUsedUp() {
    try (MeshHarness h = mesh(HEDGING)) {
      CallPlan plan = h.plan(idempotent());
      Attempt first = plan.nextAttempt();
      assertThat(plan.hedgeDelayNanos()).isEqualTo(50 * MS);

      h.ticker.advance(Duration.ofMillis(50));
      Attempt second = plan.hedge(HeaderSetter.NONE);
      h.ticker.advance(Duration.ofMillis(50));
      Attempt third = plan.hedge(HeaderSetter.NONE);

      assertThat(second).isNotNull();
      assertThat(third).isNotNull();
      assertThat(second.number()).isEqualTo(2);
      assertThat(third.number()).isEqualTo(3);
      assertThat(java.util.Set.of(
              first.endpoint().authority(), second.endpoint().authority(), third.endpoint().authority()))
          .as("each hedge goes to an endpoint not tried yet")
          .hasSize(3);
      assertThat(plan.hedgeDelayNanos()).isEqualTo(Long.MAX_VALUE);
      assertThat(plan.hedge(HeaderSetter.NONE)).isNull();
      assertThat(h.events.snapshot())
          .contains("hedge catalog.shop attempt 2", "hedge catalog.shop attempt 3");

      // the first answer wins; the adapter settles the others as cancelled
      assertThat(second.settle(Outcome.success()).reason()).isEqualTo(RetryDecision.Reason.SUCCEEDED);
      assertThat(first.settle(Outcome.cancelled()).reason()).isEqualTo(RetryDecision.Reason.CANCELLED);
      assertThat(third.settle(Outcome.cancelled()).reason()).isEqualTo(RetryDecision.Reason.CANCELLED);
    }
  }

  @Test
  void aNonFatalFailureSendsTheNextAttemptAtOnceAndTheAttemptsOutCountAgainstTheMaximum() {
    try (MeshHarness h = mesh(HEDGING)) {
      CallPlan plan = h.plan(idempotent());
      Attempt first = plan.nextAttempt();
      RetryDecision d = first.settle(UNAVAILABLE);
      assertThat(d.shouldRetry()).isTrue();
      assertThat(d.backoffNanos()).as("no backoff between hedged attempts").isZero();

      Attempt second = plan.nextAttempt();
      h.ticker.advance(Duration.ofMillis(50));
      Attempt third = plan.hedge(HeaderSetter.NONE);
      assertThat(third).isNotNull();

      // three attempts are out or done: a failure of the second cannot ask for a fourth
      assertThat(second.settle(UNAVAILABLE).reason()).isEqualTo(RetryDecision.Reason.MAX_ATTEMPTS);
    }
  }

  @Test
  void aFatalFailureEndsTheCall() {
    try (MeshHarness h = mesh(HEDGING)) {
      CallPlan plan = h.plan(idempotent());
      assertThat(plan.nextAttempt().settle(INVALID).reason())
          .isEqualTo(RetryDecision.Reason.NOT_RETRYABLE);
    }
    try (MeshHarness h = mesh("hedging: {delay: 50ms, nonFatalCodes: [UNAVAILABLE, INVALID_ARGUMENT]}")) {
      assertThat(h.attempt(idempotent()).settle(INVALID).shouldRetry()).isTrue();
    }
  }

  @Test
  void aNegativePushbackStopsHedgingAndAPositiveOneDelaysTheNextAttempt() {
    try (MeshHarness h = mesh(HEDGING)) {
      assertThat(h.attempt(idempotent()).settle(UNAVAILABLE.withPushback(-1)).reason())
          .isEqualTo(RetryDecision.Reason.SERVER_PUSHBACK);
      assertThat(h.attempt(idempotent()).settle(UNAVAILABLE.withPushback(200 * MS)).backoffNanos())
          .isEqualTo(200 * MS);
    }
  }

  @Test
  void aCallThatIsNotSafeToReplayIsNeverHedged() {
    try (MeshHarness h = mesh(HEDGING)) {
      OutboundCall notIdempotent =
          OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "PlaceOrder").build();
      CallPlan plan = h.plan(notIdempotent);
      Attempt first = plan.nextAttempt();
      assertThat(plan.hedgeDelayNanos()).isEqualTo(Long.MAX_VALUE);
      h.ticker.advance(Duration.ofMillis(60));
      assertThat(plan.hedge(HeaderSetter.NONE)).isNull();
      assertThat(first.settle(UNAVAILABLE).reason()).isEqualTo(RetryDecision.Reason.NOT_IDEMPOTENT);

      OutboundCall post = OutboundCall.builder("catalog.shop").http("POST", "/orders").build();
      assertThat(h.plan(post).hedgeDelayNanos()).isEqualTo(Long.MAX_VALUE);
    }
    // a method the rule marks as safe is hedged
    try (MeshHarness h =
        mesh("hedging: {delay: 50ms, idempotentMethods: ['shop.Catalog/PlaceOrder']}")) {
      OutboundCall marked =
          OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "PlaceOrder").build();
      CallPlan plan = h.plan(marked);
      plan.nextAttempt();
      assertThat(plan.hedge(HeaderSetter.NONE)).isNotNull();
    }
  }

  @Test
  void hedgesTakeRoomFromTheRetryBudgetAndARefusedHedgeLeavesTheCallToItsFirstAttempt() {
    // default budget: 20% of the calls plus 10 per second over its 10 s window
    try (MeshHarness h = mesh("hedging: {delay: 50ms}")) {
      int hedged = 0;
      int calls = 1000;
      for (int i = 0; i < calls; i++) {
        CallPlan plan = h.plan(idempotent());
        Attempt first = plan.nextAttempt();
        Attempt hedge = plan.hedge(HeaderSetter.NONE);
        if (hedge != null) {
          hedged++;
          hedge.settle(Outcome.cancelled());
        }
        first.settle(Outcome.success());
        plan.end(CallStatus.grpc("OK"), -1, -1);
      }
      assertThat(hedged).isEqualTo(calls / 5 + 100);
      assertThat(h.events.snapshot())
          .anyMatch(l -> l.startsWith("refused call: mesh4j: ")
              && l.endsWith("(hedge 2 of rule rule-0 refused)"));
    }
  }

  /**
   * Issue 17's scenario on the fake ticker: of two endpoints one stalls 500 ms on 10% of its
   * calls, the other answers in 5 ms; one caller, 2,000 calls. Round robin, so that the stalling
   * endpoint keeps half the calls (peak-EWMA would move most of them away, which is the balancer's
   * merit, not hedging's). Without hedging the stalls set the p99; with {@code delay: 50ms} a
   * hedge to the other endpoint answers first.
   */
  @Test
  void hedgingCutsTheTailOfAnEndpointThatStallsAndStaysWithinTheBudget() {
    long[] plain = simulateStalls("name: plain");
    long[] hedged = simulateStalls("hedging: {delay: 50ms}");
    long plainP99 = plain[plain.length * 99 / 100 - 1];
    long hedgedP99 = hedged[hedged.length * 99 / 100 - 1];
    System.out.printf(
        "stalling endpoint, 2000 calls: p99 %d ms without hedging, %d ms with hedging%n",
        plainP99 / MS, hedgedP99 / MS);
    assertThat(plainP99).isGreaterThanOrEqualTo(500 * MS);
    assertThat(hedgedP99).isLessThan(100 * MS);
  }

  private static final int CALLS = 2000;

  /** Latencies of {@link #CALLS} sequential calls, sorted; asserts the attempts stayed in budget. */
  private static long[] simulateStalls(String rule) {
    java.util.Random stalls = new java.util.Random(17);
    try (MeshHarness h = twoEndpoints(rule)) {
      long[] latencies = new long[CALLS];
      int attempts = 0;
      for (int i = 0; i < CALLS; i++) {
        long start = h.ticker.nanos();
        CallPlan plan = h.plan(idempotent());
        Attempt first = plan.nextAttempt();
        attempts++;
        long firstEnd = start + latency(first, stalls);
        long delay = plan.hedgeDelayNanos();
        Attempt hedge = null;
        long hedgeEnd = Long.MAX_VALUE;
        if (delay != Long.MAX_VALUE && firstEnd - start > delay) {
          h.ticker.advanceNanos(delay);
          hedge = plan.hedge(HeaderSetter.NONE);
          if (hedge != null) {
            attempts++;
            hedgeEnd = h.ticker.nanos() + latency(hedge, stalls);
          }
        }
        boolean firstWins = firstEnd <= hedgeEnd;
        h.ticker.advanceNanos(Math.min(firstEnd, hedgeEnd) - h.ticker.nanos());
        (firstWins ? first : hedge).settle(Outcome.success());
        if (hedge != null) {
          (firstWins ? hedge : first).settle(Outcome.cancelled());
        }
        plan.end(CallStatus.grpc("OK"), -1, -1);
        latencies[i] = h.ticker.nanos() - start;
      }
      // every attempt after the first came out of the budget: 20% of the calls plus 100
      assertThat(attempts - CALLS).isLessThanOrEqualTo(CALLS / 5 + 100);
      java.util.Arrays.sort(latencies);
      return latencies;
    }
  }

  /** 10.0.0.2 stalls 500 ms on 10% of its calls; every other answer takes 5 ms. */
  private static long latency(Attempt a, java.util.Random stalls) {
    boolean stalling = a.endpoint().address().equals("10.0.0.2");
    return stalling && stalls.nextInt(10) == 0 ? 500 * MS : 5 * MS;
  }

  private static MeshHarness twoEndpoints(String rule) {
    return mesh(new ScriptedRandom(23), 2, "loadBalancer: {policy: ROUND_ROBIN}", rule);
  }

  @Test
  void noHedgeLeavesAfterTheDeadlineOrACancel() {
    try (MeshHarness h = mesh("timeout: 80ms\n" + HEDGING)) {
      CallPlan plan = h.plan(idempotent());
      plan.nextAttempt();
      h.ticker.advance(Duration.ofMillis(80));
      assertThat(plan.hedge(HeaderSetter.NONE)).isNull();
    }
    try (MeshHarness h = mesh(HEDGING)) {
      CallPlan plan = h.plan(idempotent());
      plan.nextAttempt();
      plan.cancel();
      assertThat(plan.hedge(HeaderSetter.NONE)).isNull();
    }
  }
}
