package io.mesh4j.core.call;

/**
 * The client-side engine an adapter calls for every outgoing request. Obtained from {@code
 * Mesh.outbound()}.
 *
 * <p>Thread-safe and lock-free: each call reads the current policy snapshot once and works only
 * on it, so a policy update never changes a call that is already planned.
 */
public interface Outbound {

  /**
   * Plans a call from one read of the policy in effect. Never fails: a call the mesh cannot route
   * gets a plan whose attempts are refused with the reason; a destination the policy does not
   * know gets a plan that says so ({@link CallPlan#known()}) and costs nothing until an attempt is
   * taken.
   */
  CallPlan plan(OutboundCall call);
}
