package io.mesh4j.http;

import jakarta.servlet.http.HttpServletRequest;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
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
    return request -> {
      Object chain = request.getAttribute("jakarta.servlet.request.X509Certificate");
      if (!(chain instanceof X509Certificate[] certs) || certs.length == 0) {
        return null;
      }
      try {
        Collection<List<?>> sans = certs[0].getSubjectAlternativeNames();
        if (sans == null) {
          return null;
        }
        for (List<?> san : sans) {
          // type 6 is uniformResourceIdentifier
          if (san.size() >= 2
              && Integer.valueOf(6).equals(san.get(0))
              && san.get(1) instanceof String uri
              && uri.startsWith("spiffe://")) {
            return uri;
          }
        }
      } catch (CertificateParsingException e) {
        return null;
      }
      return null;
    };
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
