package io.mesh4j.core.telemetry;

import io.mesh4j.core.call.TelemetryScope;
import org.jspecify.annotations.Nullable;

/**
 * Observes one incoming call from its arrival to its end, through the call's {@code Admission}:
 * the adapter runs the handler's work inside {@link #activate()} so that the handler's own calls
 * join the trace, and the engine calls {@link #callEnded} exactly once. An observer that throws
 * is counted and logged once by the engine; the call goes on.
 */
public interface ServerCallObserver {

  /** Observes nothing; what a listener returns for calls it does not record. */
  ServerCallObserver NONE = new ServerCallObserver() {};

  /** Makes the call's context current on this thread until the scope is closed. */
  default TelemetryScope activate() {
    return TelemetryScope.NONE;
  }

  /** The call ended, once: its answer was sent, or the caller cancelled it. */
  default void callEnded(CallEnd end) {}

  /** The trace id of the call, when this observer traces it; null otherwise. */
  default @Nullable String traceId() {
    return null;
  }
}
