package io.mesh4j.core.identity;

import io.mesh4j.core.call.SpiffeIds;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One generation of a workload's identity: its private key, its certificate chain (leaf first)
 * and the trust bundle (every CA root it accepts from peers). A rotation replaces the whole
 * object, so TLS code that reads one {@code IdentityMaterial} never mixes a new key with an old
 * certificate.
 *
 * <p>Immutable; thread-safe.
 */
public final class IdentityMaterial {

  private final PrivateKey privateKey;
  private final List<X509Certificate> chain;
  private final List<X509Certificate> trustBundle;
  private final String spiffeId;

  /**
   * @param privateKey the key of the leaf certificate; it never leaves the process
   * @param chain the leaf certificate first, then any intermediates; not empty
   * @param trustBundle the CA roots peers' chains are verified against; not empty
   * @throws IllegalArgumentException when the chain or bundle is empty or the leaf names no
   *     SPIFFE ID
   */
  public IdentityMaterial(
      PrivateKey privateKey, List<X509Certificate> chain, List<X509Certificate> trustBundle) {
    this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
    this.chain = List.copyOf(chain);
    this.trustBundle = List.copyOf(trustBundle);
    if (this.chain.isEmpty()) {
      throw new IllegalArgumentException("the certificate chain is empty");
    }
    if (this.trustBundle.isEmpty()) {
      throw new IllegalArgumentException("the trust bundle is empty");
    }
    String id = SpiffeIds.fromChain(this.chain.toArray(new X509Certificate[0]));
    if (id == null) {
      throw new IllegalArgumentException(
          "the leaf certificate " + leaf().getSubjectX500Principal() + " names no spiffe:// URI");
    }
    this.spiffeId = id;
  }

  public PrivateKey privateKey() {
    return privateKey;
  }

  /** The leaf certificate first, then any intermediates. */
  public List<X509Certificate> chain() {
    return chain;
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** The CA roots peers' chains are verified against. */
  public List<X509Certificate> trustBundle() {
    return trustBundle;
  }

  /** The SPIFFE ID the leaf certificate proves, e.g. {@code spiffe://cluster.local/ns/shop/sa/web}. */
  public String spiffeId() {
    return spiffeId;
  }

  public Instant notBefore() {
    return leaf().getNotBefore().toInstant();
  }

  public Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  @Override
  public String toString() {
    return "IdentityMaterial{" + spiffeId + ", notAfter=" + notAfter() + "}";
  }
}
