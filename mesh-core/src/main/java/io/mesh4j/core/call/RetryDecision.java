package io.mesh4j.core.call;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link Attempt#settle(Outcome)} answers: retry after a backoff, or stop and why.
 *
 * <p>Immutable. The stop decisions are shared constants, so deciding not to retry allocates
 * nothing, except for the stops whose {@link #message()} explains to the caller why a retryable
 * failure was not retried.
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
    /**
     * The server's pushback ({@link Outcome#withPushback}) asks for a wait that would end after
     * the call's deadline, so the mesh fails the call now rather than wait for nothing; {@link
     * #message()} says so.
     */
    PUSHBACK_PAST_DEADLINE,
    /**
     * The server asked for no retry (a negative or malformed gRPC {@code
     * grpc-retry-pushback-ms}); {@link #message()} says so.
     */
    SERVER_PUSHBACK,
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
  private final String message;

  private RetryDecision(Reason reason, long backoffNanos) {
    this(reason, backoffNanos, "");
  }

  private RetryDecision(Reason reason, long backoffNanos, String message) {
    this.reason = reason;
    this.backoffNanos = backoffNanos;
    this.message = message;
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

  /**
   * Do not retry, for {@code reason}, with {@code message} for the caller (a new instance, for
   * the failure path only).
   */
  public static RetryDecision stop(Reason reason, String message) {
    if (reason == Reason.RETRY) {
      throw new IllegalArgumentException("use retryAfter");
    }
    return new RetryDecision(reason, 0, message);
  }

  public boolean shouldRetry() {
    return reason == Reason.RETRY;
  }

  public Reason reason() {
    return reason;
  }

  /**
   * Whether the attempt failed with an outcome the rule retries (or, for hedging, calls
   * non-fatal), whether or not a retry follows. A hedged call whose attempt failed so waits for
   * its other attempts instead of ending with this failure.
   */
  public boolean retryableFailure() {
    return switch (reason) {
      case RETRY, MAX_ATTEMPTS, DEADLINE, PUSHBACK_PAST_DEADLINE, SERVER_PUSHBACK, BUDGET_EXHAUSTED ->
          true;
      default -> false;
    };
  }

  /** How long to wait before {@link CallPlan#nextAttempt()}; 0 when not retrying. */
  public long backoffNanos() {
    return backoffNanos;
  }

  /**
   * Why the mesh stopped, in words the adapter adds to the failure the caller sees (gRPC: the
   * status description; HTTP: the reason phrase), e.g. {@code mesh4j: not retried: ...}; empty
   * when the attempt's own failure says enough.
   */
  public String message() {
    return message;
  }

  @Override
  public String toString() {
    if (shouldRetry()) {
      return "RETRY after " + backoffNanos + "ns";
    }
    return message.isEmpty() ? "STOP " + reason : "STOP " + reason + ": " + message;
  }
}
