package io.mesh4j.core.call;

/**
 * The server-side engine an adapter calls for every incoming request: authorization by the
 * {@code AuthorizationPolicy} resources, then the service's {@code serverRateLimit}. Obtained from
 * {@code Mesh.inbound()}.
 *
 * <p>Thread-safe and lock-free.
 */
public interface Inbound {

  /**
   * Authorizes, then admits or refuses, one incoming call. Under {@code mtls: STRICT} a call
   * without a verified peer is refused first, with {@link
   * io.mesh4j.core.call.MeshFailure.Reason#UNAUTHENTICATED}. The call is refused with {@link
   * io.mesh4j.core.call.MeshFailure.Reason#DENIED} when a {@code DENY} rule matches it, or when the
   * service has {@code ALLOW} policies and none of their rules matches it; the message names the
   * policy (or policies) responsible, e.g. {@code AuthorizationPolicy shop/pricing-readers}. An
   * authorized call then takes a token from the service's server-side limit, if it has one; a
   * denied call takes none. Listeners that observe calls hear of it from here on, through the
   * answer: the adapter runs the handler inside {@link Admission#activate()} and calls {@link
   * Admission#end} once, refused calls included.
   */
  Admission admit(InboundCall call);
}
