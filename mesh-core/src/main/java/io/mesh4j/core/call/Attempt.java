package io.mesh4j.core.call;

import org.jspecify.annotations.Nullable;

/**
 * One try of a call: either admitted, with the {@link Endpoint} to send it to and the permits it
 * holds (breaker permission, concurrency slot, in-flight count), or refused by the mesh with a
 * {@link MeshFailure}. An admitted attempt must be settled exactly once with its {@link Outcome};
 * settling releases the permits, feeds the breaker and outlier detection, and answers whether to
 * retry.
 *
 * <p>Thread-safe: the transport may settle from any thread. {@link #settle} is idempotent; only
 * the first call has an effect.
 */
public interface Attempt {

  /** Whether the mesh let this attempt go out. */
  boolean admitted();

  /**
   * The endpoint to send the attempt to.
   *
   * @throws IllegalStateException if the attempt was refused
   */
  Endpoint endpoint();

  /** The subset the endpoint was picked from, or null for all endpoints of the destination. */
  @Nullable String subset();

  /**
   * Why the mesh refused the attempt.
   *
   * @throws IllegalStateException if the attempt was admitted
   */
  MeshFailure refusal();

  /** 1 for the first attempt, 2 for the first retry, and so on. */
  int number();

  /**
   * How long this attempt may take: the per-try timeout bounded by what is left of the call's
   * deadline; {@link Long#MAX_VALUE} when neither exists.
   */
  long timeoutNanos();

  /**
   * Whether {@link #timeoutNanos()} is what the call's deadline leaves rather than a shorter
   * per-try timeout: an attempt cut off by it ends the call, since no time is left for another.
   */
  boolean timeoutIsCallDeadline();

  /**
   * Reports how the attempt ended. The first call releases the permits and records the outcome;
   * later calls return a {@link RetryDecision.Reason#ALREADY_SETTLED} stop. Settling a refused
   * attempt records nothing and never retries.
   */
  RetryDecision settle(Outcome outcome);

  /**
   * Reports how the attempt ended when the adapter could not replay the call whatever the engine
   * decided: part of the response already reached the application, or the request was streamed
   * and not kept. It releases the permits and records the outcome exactly as {@link #settle}
   * does (the endpoint's health and the breaker learn from it), but considers no retry: it never
   * takes room from the retry budget and never reports a scheduled retry. It answers a {@link
   * RetryDecision.Reason#SUCCEEDED} or {@link RetryDecision.Reason#CANCELLED} stop for those
   * outcomes and a {@link RetryDecision.Reason#NOT_REPLAYABLE} stop for failures.
   *
   * <p>Shares {@link #settle}'s once-only guard: whichever of the two is called first takes
   * effect, later calls return a {@link RetryDecision.Reason#ALREADY_SETTLED} stop.
   */
  RetryDecision settleFinal(Outcome outcome);
}
