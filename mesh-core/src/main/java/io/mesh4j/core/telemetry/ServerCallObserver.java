package io.mesh4j.core.telemetry;

import io.mesh4j.core.call.TelemetryScope;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.MeshFailure;
import org.jspecify.annotations.Nullable;

/**
 * Observes one incoming call from its arrival to its end. The adapter opens {@link #activate()}
 * around the handler's work so that the handler's own calls join the trace, and calls {@link
 * #callEnded} exactly once. An observer that throws is counted and logged once by the engine; the call goes on.
 */
public interface ServerCallObserver {

  /** Observes nothing; the observer of every call when no telemetry is configured. */
  ServerCallObserver NONE = new ServerCallObserver() {};

  /** Makes the call's context current on this thread until the scope is closed. */
  default TelemetryScope activate() {
    return TelemetryScope.NONE;
  }

  /**
   * The call ended.
   *
   * @param status what the caller was answered
   * @param durationNanos from the call's arrival to its end, on the mesh's ticker
   * @param requestBytes request bytes received, or -1 when unknown
   * @param responseBytes response bytes sent, or -1 when unknown
   * @param refusal the mesh's own refusal (denied, rate limited), or null
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
