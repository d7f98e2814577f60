package io.mesh4j.core.telemetry;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.Outcome;
import org.jspecify.annotations.Nullable;

/**
 * Observes one outgoing call from its plan to its end. The engine calls {@link #attemptStarted}
 * for every admitted attempt before the adapter sends it, {@link #attemptEnded} when that attempt
 * is settled, and {@link #callEnded} exactly once, before the application learns the call's end.
 * Attempts overlap only in a hedged call; the methods may run on different threads, never two at
 * once for one call. An observer that throws is counted and logged once by the engine; the call
 * goes on.
 */
public interface ClientCallObserver {

  /** Observes nothing; what a listener returns for calls it does not record. */
  ClientCallObserver NONE = new ClientCallObserver() {};

  /**
   * An admitted attempt is about to go out; {@code headers} writes its request headers (trace
   * context propagation).
   */
  default void attemptStarted(Attempt attempt, HeaderSetter headers) {}

  /** The attempt was settled with {@code outcome}. */
  default void attemptEnded(Attempt attempt, Outcome outcome) {}

  /** The call ended, once, before the application learns it. */
  default void callEnded(CallEnd end) {}

  /** The trace id of the call, when this observer traces it; null otherwise. */
  default @Nullable String traceId() {
    return null;
  }
}
