package io.mesh4j.http;

import io.mesh4j.core.call.SpiffeIds;
import jakarta.servlet.http.HttpServletRequest;
import java.security.cert.X509Certificate;
import org.jspecify.annotations.Nullable;

/**
 * Tells {@link MeshServletFilter} who the caller of a request is: its verified SPIFFE ID, or null
 * for an unauthenticated caller. Authorization policies match on what this returns, so a resolver
 * must only return identities the server has verified.
 */
@FunctionalInterface
public interface PeerIdentityResolver {

  /** The caller's verified SPIFFE ID, or null when the caller is not authenticated. */
  @Nullable String peer(HttpServletRequest request);

  /**
   * The SPIFFE ID (a {@code spiffe://} URI SAN) of the client certificate the servlet container
   * verified during the TLS handshake, read from the standard {@code
   * jakarta.servlet.request.X509Certificate} attribute; null on plain-text connections or when
   * the certificate carries no SPIFFE ID. The container's TLS setup must require client
   * certificates and trust the mesh's CA for this identity to mean anything.
   */
  static PeerIdentityResolver clientCertificate() {
    return request ->
        request.getAttribute("jakarta.servlet.request.X509Certificate")
                instanceof X509Certificate[] chain
            ? SpiffeIds.fromChain(chain)
            : null;
  }

  /**
   * The identity stored as a string in request attribute {@code name} by an earlier filter. Meant
   * for tests and for servers whose front proxy has already verified the caller; whatever sets
   * the attribute is trusted completely.
   */
  static PeerIdentityResolver fromAttribute(String name) {
    return request -> request.getAttribute(name) instanceof String peer ? peer : null;
  }
}
