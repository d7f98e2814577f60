package io.mesh4j.core.call;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads a caller's SPIFFE ID from the certificate chain its TLS handshake presented, the same way
 * for every transport: server adapters use it to fill {@link InboundCall.Builder#peer(String)}.
 *
 * <p>Stateless and thread-safe.
 */
public final class SpiffeIds {

  /** The {@code GeneralName} tag of a {@code uniformResourceIdentifier} alternative name. */
  private static final int URI_SAN = 6;

  private SpiffeIds() {}

  /**
   * The first {@code spiffe://} URI subject alternative name of the leaf (first) certificate of
   * {@code chain}, or null when the chain is null or empty, the leaf is not an X.509 certificate,
   * or it names no SPIFFE ID. The chain must already have been verified by the TLS stack: this
   * only reads it.
   */
  public static @Nullable String fromChain(Certificate @Nullable [] chain) {
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return null;
    }
    Collection<List<?>> sans;
    try {
      sans = leaf.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      // An unreadable extension proves no identity; the caller is treated as unauthenticated.
      return null;
    }
    if (sans == null) {
      return null;
    }
    for (List<?> san : sans) {
      if (san.size() >= 2
          && Integer.valueOf(URI_SAN).equals(san.get(0))
          && san.get(1) instanceof String uri
          && uri.startsWith("spiffe://")) {
        return uri;
      }
    }
    return null;
  }
}
