package io.mesh4j.core.telemetry;

import io.mesh4j.core.call.MeshFailure;

import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.Problem;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The one way to observe the mesh: what it decides (applied and refused policy, breaker
 * transitions, ejections, retries, refusals, certificates) and every call it carries (through
 * the observers {@link #clientCall} and {@link #serverCall} return). Metrics, tracing and access
 * logs are listeners; they are never woven into the decision code. Every method has an empty
 * default, so new events never break implementations. Register listeners with {@code
 * Mesh.Builder.listener}.
 *
 * <p>The engine emits every event itself, on the thread that caused it (a caller or transport
 * thread for per-call events, the config thread for snapshot events), never while the mesh holds
 * a lock. A listener must be fast, thread-safe, must not block and must not call back into the
 * mesh. A listener or observer that throws is counted and logged once; the call goes on
 * undisturbed and the application still receives its real result. When no listener is
 * registered, no event is computed; when no listener overrides {@link #clientCall} or {@link
 * #serverCall}, calls are not observed at all.
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

  /**
   * A subset's adaptive concurrency limit changed (also once when the limit is made, with its
   * initial value).
   */
  public void concurrencyLimitChanged(String destination, @Nullable String subset, int limit) {}

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
   * A hedged call sent another attempt because none had answered within the hedging delay.
   *
   * @param attempt the number of the attempt going out, 2 or more
   */
  public void hedgeSent(String destination, int attempt) {}

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

  /**
   * The copy of a mirrored call ended with {@code outcome}; its response went nowhere.
   *
   * @param destination the shadow destination
   * @param subset the shadow subset, or null for all its endpoints
   */
  public void mirrorEnded(String destination, @Nullable String subset, Outcome outcome) {}

  /**
   * An observer for an outgoing call the engine has just planned, or {@link
   * ClientCallObserver#NONE} (the default) for calls this listener does not record, which then
   * cost nothing more. Decide sampling here.
   */
  public ClientCallObserver clientCall(ClientCallInfo call) {
    return ClientCallObserver.NONE;
  }

  /**
   * An observer for an incoming call, before the mesh admits it; {@link ServerCallObserver#NONE}
   * (the default) for calls this listener does not record.
   */
  public ServerCallObserver serverCall(ServerCallInfo call) {
    return ServerCallObserver.NONE;
  }

  /**
   * Whether this listener's observers know their call's trace id ({@link
   * ClientCallObserver#traceId()}); such listeners are asked first, so that the others (access
   * logs) receive the trace id in the call's info.
   */
  public boolean tracesCalls() {
    return false;
  }

  /**
   * Whether this listener reads the trace id in a call's info ({@link ClientCallInfo#traceId()},
   * {@link ServerCallInfo#traceId()}). When none of the listeners after a tracing one does, the
   * mesh does not ask the tracing observer for it: writing a trace id out as text costs every
   * call. True unless a listener says otherwise.
   */
  public boolean readsTraceIds() {
    return true;
  }

  /**
   * Called once when the mesh this listener is registered with is built, before any call: gives
   * access to the mesh's live settings (sampling) and its certificate's expiry.
   */
  public void attach(MeshView mesh) {}
}
