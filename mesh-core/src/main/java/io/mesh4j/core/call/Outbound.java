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
   * Plans a call. Never fails: a call the mesh cannot route (unknown destination, no endpoints)
   * gets a plan whose first attempt is refused with the reason.
   */
  CallPlan plan(OutboundCall call);

  /**
   * Whether the current policy knows {@code destination} (it has endpoints, routes or a policy).
   * Adapters that see all of an application's traffic, such as an HTTP client interceptor, ask
   * this first and leave calls to other hosts alone, so that those raise no refusal events. One
   * volatile read and one hash lookup; no allocation.
   */
  boolean knows(String destination);
}
