package io.mesh4j.core.telemetry;

import io.mesh4j.core.call.MeshFailure;

import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.Problem;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Observes what the mesh decides: applied and refused policy, breaker transitions, ejections,
 * retries and refusals. Metrics, tracing and access logs are listeners; they are never woven
 * into the decision code. Every method is empty, so new events never break implementations.
 *
 * <p>Listeners are called on the thread that caused the event (a caller thread for per-call
 * events, the config thread for snapshot events), never while the mesh holds a lock. A listener
 * must be fast, thread-safe, must not block and must not call back into the mesh. A listener
 * that throws is caught and logged once; the call goes on undisturbed. When no listener is
 * registered, no event is computed.
 */
public abstract class MeshListener {

  /** The observable states of a circuit breaker. */
  public enum BreakerState {
    /** Calls flow; outcomes are counted. */
    CLOSED,
    /** Calls are refused until the wait in the open state is over. */
    OPEN,
    /** A limited number of trial calls decide whether to close or to open again. */
    HALF_OPEN
  }

  /** A policy set was compiled and is now in effect. */
  public void snapshotApplied(long version) {}

  /**
   * A policy set was refused; the previous one stays in effect.
   *
   * @param version the refused set's version, or -1 when its source could not even read it
   */
  public void snapshotRefused(long version, List<Problem> problems) {}

  /**
   * Long-lived state (a breaker, a budget, a limiter, outlier counters) started fresh because
   * its policy changed.
   *
   * @param key what the state belongs to, e.g. {@code breaker catalog.shop/v2}
   */
  public void stateReset(String key) {}

  /** A subset's circuit breaker changed state. */
  public void breakerStateChanged(
      String destination, @Nullable String subset, BreakerState from, BreakerState to) {}

  /** Outlier detection ejected an endpoint for {@code durationNanos}. */
  public void endpointEjected(
      String destination, Endpoint endpoint, long durationNanos, String reason) {}

  /** An ejected endpoint's ejection time ran out; it gets picks again. */
  public void endpointReturned(String destination, Endpoint endpoint) {}

  /**
   * The engine decided to retry a call after {@code outcome}.
   *
   * @param nextAttempt the number of the attempt about to start, 2 or more
   */
  public void retryScheduled(
      String destination, int nextAttempt, long backoffNanos, Outcome outcome) {}

  /**
   * The mesh refused a call, an attempt or a retry on its own (rate limit, breaker, fault, spent
   * retry budget, ...); {@link MeshFailure#reason()} says which.
   */
  public void callRefused(MeshFailure failure) {}

  /**
   * A fault was injected into a call to {@code destination}: a delay (when {@code delayNanos > 0})
   * and/or an abort.
   */
  public void faultInjected(String destination, long delayNanos, boolean abort) {}

  /**
   * The workload received a new certificate and put it in force.
   *
   * @param spiffeId the identity it proves
   * @param notAfter when it expires
   */
  public void certificateRenewed(String spiffeId, Instant notAfter) {}

  /**
   * An attempt to obtain a certificate failed; the current one (if any) stays in force.
   *
   * @param message what failed and why, starting with {@code mesh4j:}
   * @param retryable whether the rotator will try again (after a backoff)
   * @param notAfter when the certificate in force expires, or null when there is none
   */
  public void certificateRenewalFailed(String message, boolean retryable, @Nullable Instant notAfter) {}

  /**
   * The certificate in force is close to expiry and no renewal has succeeded: an alarm. Reported
   * once per certificate when it enters the alarm window, then after every failed renewal.
   */
  public void certificateExpiring(String spiffeId, Instant notAfter) {}

  /** The mesh's TLS code refused a peer (a handshake) or a call (how it arrived). */
  public void tlsRefused(TlsRefusal refusal) {}
}
