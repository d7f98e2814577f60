package io.mesh4j.core.call;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
/**
 * What {@link Attempt#settle(Outcome)} answers: retry after a backoff, or stop and why.
 *
 * <p>Immutable. The stop decisions are shared constants, so deciding not to retry allocates
 * nothing.
 */
public final class RetryDecision {

  /** Why the engine retries or stops. */
  public enum Reason {
    /** Retry after {@link #backoffNanos()}. */
    RETRY,
    /** The attempt succeeded. */
    SUCCEEDED,
    /** The attempt was cancelled by the caller. */
    CANCELLED,
    /** The matched rule has no retry policy. */
    NO_RETRY_POLICY,
    /** The outcome is not in the rule's {@code retryOn} list. */
    NOT_RETRYABLE,
    /** The call is not idempotent and the rule does not allow replaying it. */
    NOT_IDEMPOTENT,
    /** The rule's attempts are used up. */
    MAX_ATTEMPTS,
    /** The backoff would end after the call's deadline. */
    DEADLINE,
    /** The destination's retry budget has no room. */
    BUDGET_EXHAUSTED,
    /**
     * The adapter settled the attempt with {@link Attempt#settleFinal}: it cannot replay the call
     * (a response already reached the application, or the request was streamed), so no retry was
     * considered and no budget was spent.
     */
    NOT_REPLAYABLE,
    /** The attempt carried a mirror copy, which is never retried. */
    MIRROR,
    /** The attempt was refused by the mesh; a refusal is final for the call. */
    REFUSED,
    /** The attempt had been settled before; this answer repeats nothing. */
    ALREADY_SETTLED
  }

  // One shared answer per reason, so that a stop allocates nothing.
  private static final Map<Reason, RetryDecision> STOPS = new EnumMap<>(Reason.class);

  static {
    for (Reason r : Reason.values()) {
      STOPS.put(r, new RetryDecision(r, 0));
    }
  }

  private final Reason reason;
  private final long backoffNanos;

  private RetryDecision(Reason reason, long backoffNanos) {
    this.reason = reason;
    this.backoffNanos = backoffNanos;
  }

  /** Retry after waiting {@code backoffNanos}. */
  public static RetryDecision retryAfter(long backoffNanos) {
    return new RetryDecision(Reason.RETRY, backoffNanos);
  }

  /** Do not retry, for {@code reason} (anything but {@link Reason#RETRY}). */
  public static RetryDecision stop(Reason reason) {
    if (reason == Reason.RETRY) {
      throw new IllegalArgumentException("use retryAfter");
    }
    return Objects.requireNonNull(STOPS.get(reason));
  }

  public boolean shouldRetry() {
    return reason == Reason.RETRY;
  }

  public Reason reason() {
    return reason;
  }

  /** How long to wait before {@link CallPlan#nextAttempt()}; 0 when not retrying. */
  public long backoffNanos() {
    return backoffNanos;
  }

  @Override
  public String toString() {
    return shouldRetry() ? "RETRY after " + backoffNanos + "ns" : "STOP " + reason;
  }
}
