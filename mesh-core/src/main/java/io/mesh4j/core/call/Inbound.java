package io.mesh4j.core.call;

/**
 * The server-side engine an adapter calls for every incoming request. Today it applies the
 * service's {@code serverRateLimit}; authorization joins it later. Obtained from {@code
 * Mesh.inbound()}.
 *
 * <p>Thread-safe and lock-free.
 */
public interface Inbound {

  /**
   * Admits or refuses one incoming call to {@code service} ({@code name.namespace}). A service
   * without a server-side limit admits every call.
   */
  Admission admit(String service);
}
