package io.mesh4j.core.telemetry;

import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.Outcome;
import org.jspecify.annotations.Nullable;

/**
 * Observes one outgoing call from its plan to its end. The adapter calls {@link
 * #attemptStarted} for every admitted attempt before sending it, {@link #attemptEnded} when that
 * attempt is settled, and {@link #callEnded} exactly once when the application learns the call's
 * end. Attempts never overlap; the methods may run on different threads, one after another.
 * An observer that throws is counted and logged once by the engine; the call goes on.
 */
public interface ClientCallObserver {

  /** Observes nothing; the observer of every call when no telemetry is configured. */
  ClientCallObserver NONE = new ClientCallObserver() {};

  /**
   * An admitted attempt is about to go out; {@code headers} writes its request headers (trace
   * context propagation).
   */
  default void attemptStarted(Attempt attempt, HeaderSetter headers) {}

  /** The attempt was settled with {@code outcome}. */
  default void attemptEnded(Attempt attempt, Outcome outcome) {}

  /**
   * The call ended.
   *
   * @param status what the application saw
   * @param durationNanos from the start of the call to its end, on the mesh's ticker
   * @param requestBytes request bytes sent on the last attempt, or -1 when unknown
   * @param responseBytes response bytes received, or -1 when unknown
   * @param refusal the mesh's own refusal that ended the call, or null
   */
  default void callEnded(
      CallStatus status,
      long durationNanos,
      long requestBytes,
      long responseBytes,
      @Nullable MeshFailure refusal) {}

  /** The trace id of the call, when this observer traces it; null otherwise. */
  default @Nullable String traceId() {
    return null;
  }
}
