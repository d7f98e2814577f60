package io.mesh4j.core.engine;

import static io.mesh4j.core.engine.RetryDefaultsTest.mesh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.testing.MeshHarness;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server's pushback on the fake ticker: a retry waits the longer of the backoff and the
 * pushback, is not made when that wait passes the deadline (the caller is told why), and a
 * negative pushback stops retrying.
 */
@Timeout(10)
class ServerPushbackTest {

  private static final long MS = 1_000_000;
  private static final Outcome UNAVAILABLE = Outcome.status(CallStatus.grpc("UNAVAILABLE"));
  private static final Outcome TOO_MANY = Outcome.status(CallStatus.http(429));

  private static OutboundCall.Builder call() {
    return OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").idempotent(true);
  }

  @Test
  void aPushbackLongerThanTheBackoffIsWaited() {
    try (MeshHarness h =
        mesh("retries: {attempts: 3, retryOn: [UNAVAILABLE, '429'], backoff: {base: 25ms, max: 80ms}}")) {
      CallPlan plan = h.plan(call().build());
      RetryDecision d = plan.nextAttempt().settle(UNAVAILABLE.withPushback(1000 * MS));
      assertThat(d.shouldRetry()).isTrue();
      assertThat(d.backoffNanos()).isEqualTo(1000 * MS);
      assertThat(h.events.snapshot()).contains("retry catalog.shop attempt 2");

      // a shorter pushback leaves the backoff (50 ms before the second retry) as it is
      RetryDecision second = plan.nextAttempt().settle(TOO_MANY.withPushback(MS));
      assertThat(second.backoffNanos()).isEqualTo(50 * MS);
    }
  }

  @Test
  void aPushbackPastTheDeadlineFailsTheCallAtOnceAndSaysWhy() {
    try (MeshHarness h = mesh("timeout: 500ms\nretries: {attempts: 3, retryOn: ['429']}")) {
      CallPlan plan = h.plan(call().build());
      Attempt first = plan.nextAttempt();
      h.ticker.advance(Duration.ofMillis(20));

      RetryDecision d = first.settle(TOO_MANY.withPushback(1000 * MS));

      assertThat(d.shouldRetry()).isFalse();
      assertThat(d.reason()).isEqualTo(RetryDecision.Reason.PUSHBACK_PAST_DEADLINE);
      assertThat(d.message())
          .isEqualTo(
              "mesh4j: not retried: the server asked to wait 1000 ms before a retry, longer than"
                  + " the 480 ms left until the deadline of the call to catalog.shop");
      assertThat(h.events.snapshot()).noneMatch(l -> l.contains("retry"));
    }
  }

  @Test
  void anyPushbackIsComparedWithTheTimeLeftWithoutOverflow() {
    // the default unary deadline of 15 s applies
    try (MeshHarness h = mesh("retries: {attempts: 3}")) {
      RetryDecision d = h.attempt(call().build()).settle(UNAVAILABLE.withPushback(Long.MAX_VALUE));
      assertThat(d.reason()).isEqualTo(RetryDecision.Reason.PUSHBACK_PAST_DEADLINE);
    }
    // without any deadline the server's word is the wait
    try (MeshHarness h = mesh("retries: {attempts: 3}")) {
      RetryDecision d =
          h.attempt(call().streaming(true).build()).settle(UNAVAILABLE.withPushback(3_600_000 * MS));
      assertThat(d.backoffNanos()).isEqualTo(3_600_000 * MS);
    }
  }

  @Test
  void aBackoffPastTheDeadlineIsTheBackoffsStopNotThePushbacks() {
    try (MeshHarness h =
        mesh("timeout: 100ms\nretries: {attempts: 3, backoff: {base: 200ms, max: 200ms}}")) {
      RetryDecision d = h.attempt(call().build()).settle(UNAVAILABLE.withPushback(150 * MS));
      assertThat(d.reason()).isEqualTo(RetryDecision.Reason.DEADLINE);
      assertThat(d.message()).isEmpty();
    }
  }

  @Test
  void aNegativePushbackStopsRetrying() {
    try (MeshHarness h = mesh("retries: {attempts: 3}")) {
      CallPlan plan = h.plan(call().build());
      RetryDecision d = plan.nextAttempt().settle(UNAVAILABLE.withPushback(-1));
      assertThat(d.reason()).isEqualTo(RetryDecision.Reason.SERVER_PUSHBACK);
      assertThat(d.message())
          .isEqualTo("mesh4j: not retried: the server asked for no retry of the call to catalog.shop");
    }
  }

  @Test
  void aPushbackNeverMakesAnOutcomeRetryable() {
    try (MeshHarness h = mesh("retries: {attempts: 3}")) {
      assertThat(h.attempt(call().build()).settle(TOO_MANY.withPushback(MS)).reason())
          .as("429 is not in the default retryOn")
          .isEqualTo(RetryDecision.Reason.NOT_RETRYABLE);
      OutboundCall post = OutboundCall.builder("catalog.shop").http("POST", "/orders").build();
      assertThat(h.attempt(post).settle(UNAVAILABLE.withPushback(MS)).reason())
          .isEqualTo(RetryDecision.Reason.NOT_IDEMPOTENT);
    }
    try (MeshHarness h = mesh("name: no-retries")) {
      assertThat(h.attempt(call().build()).settle(UNAVAILABLE.withPushback(-1)).reason())
          .isEqualTo(RetryDecision.Reason.NO_RETRY_POLICY);
    }
  }

  @Test
  void onlyFailuresCarryAPushbackAndTheSuccessStaysShared() {
    assertThatThrownBy(() -> Outcome.success().withPushback(MS))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> Outcome.cancelled().withPushback(MS))
        .isInstanceOf(IllegalStateException.class);
    assertThat(Outcome.success()).isSameAs(Outcome.success());
    assertThat(Outcome.success().hasPushback()).isFalse();

    Outcome pushed = UNAVAILABLE.withPushback(5 * MS);
    assertThat(pushed.hasPushback()).isTrue();
    assertThat(pushed.pushbackNanos()).isEqualTo(5 * MS);
    assertThat(pushed.code()).isEqualTo("UNAVAILABLE");
    assertThat(pushed.isServerFailure()).isEqualTo(UNAVAILABLE.isServerFailure());
    assertThat(UNAVAILABLE.hasPushback()).as("the original is unchanged").isFalse();
    assertThat(UNAVAILABLE.withPushback(-42).pushbackNanos()).isNegative();
  }
}
