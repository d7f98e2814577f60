package io.mesh4j.core.identity;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Signs the workload's certificate signing requests: the mesh's certificate authority as seen
 * from the application (the controller over gRPC, or an in-process authority). The issuer decides
 * the identity from how the caller authenticated, never from the request's contents.
 *
 * <p>Implementations are thread-safe; {@link #issue} may block for a network round trip.
 */
@FunctionalInterface
public interface CertificateIssuer {

  /**
   * Signs {@code csrDer}, a DER-encoded PKCS#10 request.
   *
   * @return the signed chain (leaf first) and the trust bundle in force
   * @throws IssuanceException when the request is refused or the authority cannot be reached; its
   *     message says which and why
   */
  Issued issue(byte[] csrDer) throws IssuanceException;

  /**
   * What an issuer returns.
   *
   * @param chain the signed leaf first, then any intermediates
   * @param trustBundle every CA root peers' certificates may chain to
   */
  record Issued(List<X509Certificate> chain, List<X509Certificate> trustBundle) {
    public Issued {
      chain = List.copyOf(chain);
      trustBundle = List.copyOf(trustBundle);
    }
  }
}
