package io.mesh4j.core.call;

import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * One logical call, from the engine's decision to its end. {@link Outbound#plan} makes it once,
 * from one read of the policy in effect: the matched route rule, the weighted subset, the
 * deadline, the retry policy, fault injection and mirroring. The engine owns the call's life; the
 * adapter only moves bytes:
 *
 * <ol>
 *   <li>When {@link #known()} is false the destination is not in the policy; an adapter that sees
 *       all of an application's traffic (an HTTP client) sends the call as if the mesh were not
 *       there, and nothing is observed.
 *   <li>It waits {@link #faultDelayNanos()} with {@link #pause} (blocking adapters) or {@link
 *       #resumeAfter} (asynchronous ones).
 *   <li>It takes {@link #nextAttempt(HeaderSetter)}: admitted with an endpoint, or refused with the
 *       reason; a refused attempt ends the call with the refusal's status.
 *   <li>It sends an admitted attempt and {@linkplain Attempt#settle settles} it; when the answer
 *       says to retry, it waits the backoff the same way and takes the next attempt.
 *   <li>It calls {@link #end} exactly once, when the application learns the call's end, and then
 *       delivers that end to the application.
 * </ol>
 *
 * <p>The engine reports every step to the mesh's listeners (attempt started and ended, call
 * ended, refusals, retries), each observer shielded: an observer that throws never disturbs the
 * call. Waits never outlast the call's deadline, and a call {@linkplain #cancel cancelled} while
 * it waits gets no further attempt.
 *
 * <p>A call whose rule hedges ({@link #hedgeDelayNanos()} is finite) may also have several
 * attempts out at once: the adapter sends the first, and every {@link #hedgeDelayNanos()} without
 * an answer it takes a {@link #hedge} and sends it too. The first attempt that answers
 * (successfully, or with a failure the settle answer does not retry) wins: the adapter settles
 * the others as cancelled, cancels them and delivers the winner's answer. When a settle answer
 * says to retry, the adapter takes the next attempt with {@link #nextAttempt} after the answer's
 * wait, as for any retry. When every attempt has failed and no more may go out (a {@link #hedge}
 * returned null, or a settle answer said why not), the last failure ends the call.
 *
 * <p>Used by one logical call at a time: {@link #nextAttempt}, {@link #hedge} and {@linkplain
 * Attempt#settle settling} a hedged call's attempts must not run concurrently for the same plan
 * (an adapter that hedges runs them under one lock). {@link #cancel} may be called from any
 * thread; the other methods are read-only or take effect once.
 */
public interface CallPlan {

  /**
   * Whether the destination is in the policy in effect. When it is not, every attempt is refused
   * with {@link MeshFailure.Reason#UNKNOWN_DESTINATION}; an adapter that carries calls to any
   * host checks this first and leaves the call alone.
   */
  boolean known();

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
   * Nanoseconds left until the call's deadline: the sooner of the rule's timeout and the caller's
   * own deadline; when neither exists, the MeshConfig's {@code defaultUnaryTimeout} for a call
   * that does not stream, else {@link Long#MAX_VALUE}. Never negative. The rule's timeout counts
   * from the first attempt (as a route timeout counts from the end of the request), or from
   * planning when the plan delays the call with an injected fault, which counts against it.
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

  /**
   * How long to delay the call before its first attempt: the injected fault delay, cut short at
   * the call's deadline (where the first attempt is then refused); 0 for no delay.
   */
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
   * much about their health as any call, and reports {@code mirrorEnded} to listeners. It never
   * retries (every settle answers a {@link RetryDecision.Reason#MIRROR} stop), gets no injected
   * fault, is not mirrored again, and does not count against the shadow destination's client rate
   * limit or retry budget, which bound the calls the application makes.
   *
   * <p>A copy the mesh cannot send is a refused attempt (unknown shadow, the call's deadline
   * already passed, no endpoints, all ejected, circuit open, ...), reported to listeners through
   * {@code callRefused} like any refusal; the adapter drops it. Same threading as {@link
   * #nextAttempt()}.
   */
  @Nullable Attempt mirrorAttempt();

  /**
   * The changes the matched rule (and the backend it chose) makes to the request's headers; the
   * adapter applies them to the call's headers once, before the first attempt. Reading them
   * allocates nothing.
   */
  default HeaderEdits requestHeaderEdits() {
    return HeaderEdits.NONE;
  }

  /** The changes the matched rule makes to the response's headers before the application sees them. */
  default HeaderEdits responseHeaderEdits() {
    return HeaderEdits.NONE;
  }

  /** HTTP only: the host and path the matched rule sends the request with, or null to keep them. */
  default @Nullable HttpRewrite rewrite() {
    return null;
  }

  /**
   * HTTP only: the redirect the matched rule answers with, or null. With one, the adapter takes no
   * attempt: it answers the application with the redirect's status and {@code Location} and ends
   * the plan with that status.
   */
  default @Nullable HttpRedirect redirect() {
    return null;
  }

  /**
   * The next attempt: admitted with an endpoint, or refused with the reason (also {@link
   * MeshFailure.Reason#CANCELLED} once the call was cancelled). The first call gives the first
   * attempt; each later call gives a retry and should follow a settle answer that said to retry.
   * A retry avoids endpoints already tried while another healthy one exists. Observers hear an
   * admitted attempt start and may write its request headers (trace context) through {@code
   * headers}, so the adapter passes the attempt's own, fresh headers.
   */
  Attempt nextAttempt(HeaderSetter headers);

  /** {@link #nextAttempt(HeaderSetter)} for an attempt whose headers observers cannot write. */
  default Attempt nextAttempt() {
    return nextAttempt(HeaderSetter.NONE);
  }

  /**
   * How long to wait for an answer before sending a {@link #hedge}: the rule's hedging delay
   * while the call is hedged and may take more attempts; {@link Long#MAX_VALUE} when the rule does
   * not hedge, the call is not safe to replay, or no more attempts may go out.
   */
  default long hedgeDelayNanos() {
    return Long.MAX_VALUE;
  }

  /**
   * The next hedged attempt, sent while earlier ones are still out because none answered within
   * {@link #hedgeDelayNanos()}. It takes room from the destination's retry budget and is picked
   * like a retry (an endpoint not tried yet where possible). Null when no hedge may go out: the
   * call is not hedged, its attempts are used up, its deadline passed, it was cancelled, the
   * budget has no room, or the mesh refused the attempt (listeners hear why). A null hedge never
   * ends the call: the attempts already out carry on.
   */
  default @Nullable Attempt hedge(HeaderSetter headers) {
    return null;
  }

  /**
   * Blocks the calling thread for {@code nanos} (a fault delay or a retry's backoff) on the
   * mesh's sleeper, for adapters that run a call on one thread. Returns early, with false, once
   * the call is {@linkplain #cancel cancelled} or {@code cancelled} says the application gave up
   * (checked at least every 10 ms); the next attempt is then refused.
   *
   * @return whether the call may go on
   * @throws InterruptedException if the thread is interrupted while waiting
   */
  boolean pause(long nanos, BooleanSupplier cancelled) throws InterruptedException;

  /**
   * Runs {@code next} after {@code nanos} (a fault delay or a retry's backoff) on the mesh's
   * sleeper thread, for asynchronous adapters; {@code next} must not block. A call {@linkplain
   * #cancel cancelled} before then never runs {@code next}: the adapter that cancels ends it.
   */
  void resumeAfter(long nanos, Runnable next);

  /**
   * Marks the call cancelled by its application: a pending {@link #resumeAfter} never runs, a
   * {@link #pause} returns, and every later attempt is refused. An attempt in flight is the
   * adapter's to cancel on its transport. Idempotent, thread-safe.
   */
  void cancel();

  /**
   * Ends the call: observers hear how it ended (with the mesh's refusal when a refused attempt
   * ended it) and how long it took on the mesh's ticker. The adapter calls this exactly once,
   * before it hands the end to the application; later calls have no effect. Never throws.
   *
   * @param status what the application sees
   * @param requestBytes request bytes sent on the last attempt, or -1 when unknown
   * @param responseBytes response bytes received, or -1 when unknown
   */
  void end(CallStatus status, long requestBytes, long responseBytes);
}
