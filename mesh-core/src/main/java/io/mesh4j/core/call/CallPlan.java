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
   * rule's timeout and the caller's own deadline; {@link Long#MAX_VALUE} when neither exists.
   * Never negative.
   */
  long remainingNanos();

  /** How long the adapter must delay the call before its first attempt; 0 for no fault delay. */
  long faultDelayNanos();

  /** Whether an abort fault was injected; the first attempt is then refused with FAULT_ABORT. */
  boolean faultAbort();

  /** Where to send a copy of this call, or null when the call is not mirrored. */
  @Nullable MirrorTarget mirror();

  /**
   * The next attempt: admitted with an endpoint, or refused with the reason. The first call
   * gives the first attempt; each later call gives a retry and should follow a settle answer that
   * said to retry. A retry avoids endpoints already tried while another healthy one exists.
   */
  Attempt nextAttempt();
}
