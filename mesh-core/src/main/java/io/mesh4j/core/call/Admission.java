package io.mesh4j.core.call;

/**
 * The server-side answer for one incoming call, and the call's life on the server from then on:
 * admitted, or refused with a {@link MeshFailure}. The engine observes the call from its arrival;
 * the adapter runs the handler inside {@link #activate()} (so that the handler's own calls join
 * the call's trace) and calls {@link #end} exactly once with what the caller was answered.
 *
 * <p>Thread-safe. An unobserved admitted call gets a shared constant.
 */
public interface Admission {

  /** Whether the call may proceed. */
  boolean isAdmitted();

  /**
   * Why the call was refused.
   *
   * @throws IllegalStateException if it was admitted
   */
  MeshFailure refusal();

  /**
   * Makes the call's context (its trace) current on this thread until the scope is closed, on
   * this thread. Never throws.
   */
  default TelemetryScope activate() {
    return TelemetryScope.NONE;
  }

  /**
   * Ends the call: observers hear the status the caller was answered (with the refusal, for a
   * refused call) and how long the call took. Only the first call has an effect. Never throws.
   *
   * @param requestBytes request bytes received, or -1 when unknown
   * @param responseBytes response bytes sent, or -1 when unknown
   */
  default void end(CallStatus status, long requestBytes, long responseBytes) {}

  /** An admitted call nobody observes. */
  static Admission admitted() {
    return Admitted.INSTANCE;
  }

  /** A call refused for {@code failure} that nobody observes. */
  static Admission refused(MeshFailure failure) {
    return new Refused(failure);
  }
}

/** The answer of {@link Admission#admitted()}. */
enum Admitted implements Admission {
  INSTANCE;

  @Override
  public boolean isAdmitted() {
    return true;
  }

  @Override
  public MeshFailure refusal() {
    throw new IllegalStateException("the call was admitted");
  }
}

/** The answer of {@link Admission#refused}. */
record Refused(MeshFailure refusal) implements Admission {
  @Override
  public boolean isAdmitted() {
    return false;
  }
}
