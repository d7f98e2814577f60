package io.mesh4j.controller.ca;

import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.identity.Pem;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's TLS key, read at every handshake, so a serving certificate signed again after
 * a root rotation is presented to the next connection without restarting the gRPC server.
 * Connections already open keep the certificate they were opened with, which their peers already
 * verified.
 *
 * <p>Thread-safe: the key and chain are one immutable value swapped whole, so a handshake never
 * pairs a key with another generation's certificate.
 */
public final class ServingKeyManager extends X509ExtendedKeyManager {

  private static final Logger log = LoggerFactory.getLogger(ServingKeyManager.class);
  // A handshake asks for the alias, then the chain and the key in separate calls; naming each
  // generation lets a swap between those calls still hand out a matching pair.
  @SuppressWarnings("ArrayRecordComponent") // never compared or hashed; a swap replaces it whole
  private record Material(
      String alias, ServingCertificate serving, PrivateKey key, X509Certificate[] chain) {}

  private final List<String> names;
  private final Duration lifetime;
  private final InstantSource clock;
  private volatile Material material;
  private volatile @Nullable Material previous;
  private int generations;

  /**
   * Signs a first serving certificate with {@code root}.
   *
   * @param names the DNS names and IP addresses the certificate names
   * @param lifetime how long each serving certificate lasts (never past its root)
   */
  public ServingKeyManager(CertificateAuthority.Root root, List<String> names, Duration lifetime, InstantSource clock) {
    this.names = List.copyOf(names);
    this.lifetime = Objects.requireNonNull(lifetime, "lifetime");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.material = issue(root);
  }

  private Material issue(CertificateAuthority.Root root) {
    ServingCertificate serving = ServingCertificate.issue(root, names, lifetime, clock);
    generations++;
    return new Material(
        "mesh4j-controller-" + generations,
        serving,
        Pem.readPrivateKey(serving.keyPem(), "the serving key"),
        Pem.readCertificates(serving.chainPem(), "the serving chain").toArray(new X509Certificate[0]));
  }

  /** Signs a new serving certificate with {@code root}, unless the current one is from it already. */
  synchronized void follow(CertificateAuthority.Root root) {
    Material m = material;
    if (m.chain()[m.chain().length - 1].equals(root.certificate())) {
      return;
    }
    Material next = issue(root);
    previous = m;
    material = next;
    log.info("Serving certificate signed again by the new signing root {}: {}",
        root.certificate().getSubjectX500Principal(), material.serving());
  }

  /** The serving certificate presented now. */
  public ServingCertificate current() {
    return material.serving();
  }

  @Override
  public @Nullable String chooseServerAlias(String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    // The key is ECDSA; offering it for an RSA suite would fail the handshake instead of letting
    // the engine pick an EC suite.
    return keyType != null && keyType.startsWith("EC") ? material.alias() : null;
  }

  @Override
  public @Nullable String chooseEngineServerAlias(String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return chooseServerAlias(keyType, issuers, null);
  }

  @Override
  public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
    String alias = chooseServerAlias(keyType, issuers, null);
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public X509Certificate @Nullable [] getCertificateChain(String alias) {
    Material m = generation(alias);
    return m == null ? null : m.chain().clone();
  }

  @Override
  public @Nullable PrivateKey getPrivateKey(String alias) {
    Material m = generation(alias);
    return m == null ? null : m.key();
  }

  private @Nullable Material generation(@Nullable String alias) {
    Material m = material;
    if (m.alias().equals(alias)) {
      return m;
    }
    Material p = previous;
    return p != null && p.alias().equals(alias) ? p : null;
  }

  @Override
  public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
    return null;
  }

  @Override
  public @Nullable String chooseClientAlias(String[] keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return null;
  }
}
