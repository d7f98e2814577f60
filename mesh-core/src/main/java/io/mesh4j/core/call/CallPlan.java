package io.mesh4j.core.call;

import org.jspecify.annotations.Nullable;

/**
 * The decision for one logical call, made once by {@link Outbound#plan}: the matched route rule,
 * the weighted subset, the deadline, the retry policy, fault injection and mirroring. It hands
 * out {@link Attempt}s; the adapter sends each admitted attempt, settles it, and asks for the
 * next one only when the settle answer says to retry (after its backoff).
 *
 * <p>Used by one logical call at a time: {@link #nextAttempt()} must not be called concurrently
 * for the same plan (hedging is not supported). Reading the other methods is thread-safe.
 */
public interface CallPlan {

  /** The destination service, {@code name.namespace}. */
  String destination();

  /**
   * The matched rule's name; {@code rule-N} (N counted from 0) for an unnamed rule, {@code
   * default} when no route rule matched.
   */
  String rule();

  /** The subset chosen by the rule's weighted split, or null for all endpoints. */
  @Nullable String subset();

  /**
   * Nanoseconds left until the call's deadline, which was fixed at planning as the sooner of the
   * rule's timeout and the caller's own deadline; when neither exists, the MeshConfig's {@code
   * defaultUnaryTimeout} for a call that does not stream, else {@link Long#MAX_VALUE}. Never
   * negative.
   */
  long remainingNanos();

  /**
   * When the deadline is the mesh's default unary timeout, the failure an adapter reports once it
   * passes (instead of its transport's bare timeout), so the caller learns which setting cut the
   * call off; null when the deadline is the caller's or the rule's, or there is none.
   */
  default @Nullable MeshFailure defaultDeadlineFailure() {
    return null;
  }

  /** How long the adapter must delay the call before its first attempt; 0 for no fault delay. */
  long faultDelayNanos();

  /** Whether an abort fault was injected; the first attempt is then refused with FAULT_ABORT. */
  boolean faultAbort();

  /** Where to send a copy of this call, or null when the call is not mirrored. */
  @Nullable MirrorTarget mirror();

  /**
   * The attempt that carries the mirror copy of this call, or null when the call is not mirrored
   * or its copy was taken already. The adapter sends the copy once, when the call's first attempt
   * goes out, and discards the response; the copy must never delay or fail the call.
   *
   * <p>An admitted copy is pinned to an endpoint of the shadow destination and subset, chosen by
   * the shadow destination's load balancer (ejected endpoints skipped), and holds the shadow
   * subset's permits: breaker permission, concurrency slot, in-flight count. Its {@link
   * Attempt#timeoutNanos()} is what is left of this call's deadline, so a copy outliving the call's
   * deadline is cut off. Settling it feeds the shadow endpoint's outlier detection and the shadow
   * subset's breaker like any attempt, because the copy is real load on real endpoints and says as
   * much about their health as any call; the guards keep copies away from a broken or saturated
   * shadow. It never retries (every settle answers a {@link RetryDecision.Reason#MIRROR} stop),
   * gets no injected fault, is not mirrored again, and does not count against the shadow
   * destination's client rate limit or retry budget, which bound the calls the application makes.
   *
   * <p>A copy the mesh cannot send is a refused attempt (unknown shadow, the call's deadline
   * already passed, no endpoints, all ejected, circuit open, ...), reported to listeners through {@code callRefused} like any
   * refusal; the adapter drops it. Same threading as {@link #nextAttempt()}.
   */
  @Nullable Attempt mirrorAttempt();

  /**
   * The next attempt: admitted with an endpoint, or refused with the reason. The first call
   * gives the first attempt; each later call gives a retry and should follow a settle answer that
   * said to retry. A retry avoids endpoints already tried while another healthy one exists.
   */
  Attempt nextAttempt();
}
