package io.mesh4j.core.telemetry;

import io.mesh4j.core.Mesh;
import java.util.List;

/**
 * Per-call telemetry: metrics, tracing, access logs. Transport adapters ask the mesh's telemetry
 * ({@link Mesh#telemetry()}) for an observer when a call starts and report its attempts and its
 * end to it; implementations see only what the engine and the adapter already know, and never
 * change the call. Register implementations with {@code Mesh.Builder.telemetry}.
 *
 * <p>Implementations must be thread-safe and cheap: they run on caller and transport threads.
 * They should decide sampling when the call starts and return {@link ClientCallObserver#NONE} /
 * {@link ServerCallObserver#NONE} for calls they do not record, so those cost nothing more.
 */
public interface CallTelemetry {

  /** An observer for an outgoing call the engine has just planned. */
  ClientCallObserver clientCall(ClientCallInfo call);

  /** An observer for an incoming call, before the mesh admits it. */
  ServerCallObserver serverCall(ServerCallInfo call);

  /**
   * Called once when the mesh this telemetry is registered with is built, before any call: gives
   * access to the mesh's live settings (sampling) and identity (certificate expiry).
   */
  default void attach(Mesh mesh) {}

  /**
   * Whether this telemetry's observers know the call's trace id ({@link
   * ClientCallObserver#traceId()}); such telemetries are asked first, so that the others (access
   * logs) receive the trace id in the call's info.
   */
  default boolean tracesCalls() {
    return false;
  }

  /**
   * Whether any call is observed at all; adapters skip building the call's info when not. Only
   * {@link #none()} answers false.
   */
  default boolean enabled() {
    return true;
  }

  /** Telemetry that observes nothing; its observers are shared constants. */
  static CallTelemetry none() {
    return NoTelemetry.INSTANCE;
  }

  /**
   * One telemetry made of several: every observer hears every event; telemetries that trace
   * calls are asked first. {@link #none()} when the list is empty; the telemetry itself when it
   * holds one.
   */
  static CallTelemetry of(List<? extends CallTelemetry> telemetries) {
    List<CallTelemetry> enabled =
        telemetries.stream().filter(CallTelemetry::enabled).map(t -> (CallTelemetry) t).toList();
    if (enabled.isEmpty()) {
      return none();
    }
    if (enabled.size() == 1) {
      return enabled.get(0);
    }
    return new CompositeTelemetry(enabled);
  }
}

/** The telemetry of a mesh without any. */
enum NoTelemetry implements CallTelemetry {
  INSTANCE;

  @Override
  public ClientCallObserver clientCall(ClientCallInfo call) {
    return ClientCallObserver.NONE;
  }

  @Override
  public ServerCallObserver serverCall(ServerCallInfo call) {
    return ServerCallObserver.NONE;
  }

  @Override
  public boolean enabled() {
    return false;
  }
}
