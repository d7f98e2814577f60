package io.mesh4j.ca;

import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.Pem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * The mesh's certificate authority: one or more self-signed ECDSA P-256 roots for a trust domain,
 * one of which signs short-lived workload certificates whose only identity is a SPIFFE URI.
 * The controller hosts it; tests use it in-process.
 *
 * <p><b>Root rotation with overlap</b> runs in three phases, each at least one workload
 * certificate lifetime apart so that every workload renews (and so picks up the new trust
 * bundle) in between:
 *
 * <ol>
 *   <li>{@link #beginRotation(Root)}: the new root joins the trust bundle; leaves are still signed
 *       by the old root. Workloads learn to trust the new root at their next renewal.
 *   <li>{@link #promote()}: leaves are signed by the new root. Every peer already trusts it (phase
 *       1), and every old leaf still chains to the old root, which is still in the bundle.
 *   <li>{@link #retire(X509Certificate)}: the old root leaves the bundle, once no live leaf is
 *       signed by it any more.
 * </ol>
 *
 * A peer therefore never sees a certificate that its bundle does not trust. {@link #rotationPhase}
 * and {@link #nextPhaseSafeAt} say where a rotation stands.
 *
 * <p>Thread-safe: the roots are one immutable state swapped under the object's lock; {@link #sign}
 * reads it once.
 */
public final class CertificateAuthority {

  /** How far back a leaf's validity starts, so peers whose clocks run a little behind accept it. */
  public static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

  /** The default lifetime of a generated root. */
  public static final Duration DEFAULT_ROOT_LIFETIME = Duration.ofDays(365);

  private static final SecureRandom SERIALS = new SecureRandom();

  /** Where a root rotation stands. */
  public enum RotationPhase {
    /** One root signs and is the only one trusted. */
    STABLE,
    /** A new root is trusted but the old one still signs. */
    NEW_ROOT_TRUSTED,
    /** The new root signs; the old one is still trusted for leaves it signed earlier. */
    NEW_ROOT_SIGNING
  }

  /**
   * A CA root: its private key and self-signed certificate.
   *
   * @param privateKey the root's signing key
   * @param certificate the self-signed CA certificate
   */
  public record Root(PrivateKey privateKey, X509Certificate certificate) {
    public Root {
      Objects.requireNonNull(privateKey, "privateKey");
      Objects.requireNonNull(certificate, "certificate");
    }

    /**
     * A new self-signed ECDSA P-256 root for {@code trustDomain}, valid from now for {@code
     * lifetime}. Its subject carries the trust domain and its start time, so successive roots of
     * one domain have distinct names.
     */
    public static Root generate(String trustDomain, Duration lifetime, InstantSource clock) {
      requireTrustDomain(trustDomain);
      requirePositive(lifetime, "root lifetime");
      KeyPair kp = Csr.generateKeyPair();
      Instant now = clock.instant();
      X500NameBuilder name = new X500NameBuilder(BCStyle.INSTANCE);
      name.addRDN(BCStyle.O, trustDomain);
      name.addRDN(
          BCStyle.CN,
          "mesh4j root " + DateTimeFormatter.ISO_INSTANT.format(now) + " "
              + Long.toHexString(SERIALS.nextLong()));
      X500Name subject = name.build();
      try {
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder b =
            new JcaX509v3CertificateBuilder(
                    subject,
                    serial(),
                    Date.from(now.minus(CLOCK_SKEW)),
                    Date.from(now.plus(lifetime)),
                    subject,
                    kp.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(
                    Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(
                    Extension.subjectKeyIdentifier,
                    false,
                    ext.createSubjectKeyIdentifier(kp.getPublic()));
        return new Root(kp.getPrivate(), sign(b, kp.getPrivate()));
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException("mesh4j: cannot create a CA root: " + e, e);
      }
    }

    /**
     * Reads a root from PEM: the private key and the self-signed CA certificate it belongs to.
     *
     * @param what names the source in error messages, e.g. a directory or Secret name
     * @throws IllegalArgumentException when either cannot be read, the certificate is not a CA,
     *     or the key does not belong to the certificate
     */
    public static Root fromPem(String keyPem, String certificatePem, String what) {
      PrivateKey key = Pem.readPrivateKey(keyPem, what + " (root key)");
      X509Certificate cert = Pem.readCertificates(certificatePem, what + " (root certificate)").get(0);
      if (cert.getBasicConstraints() < 0) {
        throw new IllegalArgumentException(
            what
                + ": the root certificate "
                + cert.getSubjectX500Principal()
                + " is not a CA certificate (basicConstraints CA:true expected)");
      }
      if (!keyMatches(key, cert.getPublicKey())) {
        throw new IllegalArgumentException(
            what
                + ": the root key does not belong to the root certificate "
                + cert.getSubjectX500Principal());
      }
      return new Root(key, cert);
    }

    /** The private key as a PKCS#8 PEM block. */
    public String keyPem() {
      return Pem.privateKey(privateKey);
    }

    /** The certificate as a PEM block. */
    public String certificatePem() {
      return Pem.certificates(List.of(certificate));
    }
  }

  /** The roots in force; replaced whole. */
  private record State(
      Root signing, List<X509Certificate> bundle, RotationPhase phase, Instant phaseSince,
      Duration maxLeafLifetimeInPhase, Root pending) {}

  private final String trustDomain;
  private final InstantSource clock;
  private volatile State state;

  private CertificateAuthority(String trustDomain, Root signing, List<X509Certificate> extra,
      InstantSource clock) {
    this.trustDomain = requireTrustDomain(trustDomain);
    this.clock = Objects.requireNonNull(clock, "clock");
    List<X509Certificate> bundle = new ArrayList<>();
    bundle.add(signing.certificate());
    for (X509Certificate c : extra) {
      if (!c.equals(signing.certificate())) {
        bundle.add(c);
      }
    }
    this.state = new State(signing, List.copyOf(bundle), RotationPhase.STABLE, clock.instant(),
        Duration.ZERO, signing);
  }

  /** An authority for {@code trustDomain} with a freshly generated root of the default lifetime. */
  public static CertificateAuthority generate(String trustDomain, InstantSource clock) {
    return new CertificateAuthority(
        trustDomain, Root.generate(trustDomain, DEFAULT_ROOT_LIFETIME, clock), List.of(), clock);
  }

  /**
   * An authority that signs with {@code signing} and also trusts {@code alsoTrusted} (older or
   * newer roots loaded from files or a Secret, e.g. in the middle of a rotation).
   */
  public static CertificateAuthority of(
      String trustDomain, Root signing, List<X509Certificate> alsoTrusted, InstantSource clock) {
    return new CertificateAuthority(trustDomain, signing, alsoTrusted, clock);
  }

  /** The trust domain every issued SPIFFE ID belongs to, e.g. {@code cluster.local}. */
  public String trustDomain() {
    return trustDomain;
  }

  /** Every root peers must trust: the signing root first, then the others. */
  public List<X509Certificate> trustBundle() {
    return state.bundle();
  }

  /** The root that signs new leaves. */
  public Root signingRoot() {
    return state.signing();
  }

  /** Where a root rotation stands. */
  public RotationPhase rotationPhase() {
    return state.phase();
  }

  /**
   * The earliest time the next rotation phase is safe: the current phase's start plus the longest
   * leaf lifetime signed during it, so every workload has renewed since. Before any leaf was
   * signed in the phase, the phase's start.
   */
  public Instant nextPhaseSafeAt() {
    State s = state;
    return s.phaseSince().plus(s.maxLeafLifetimeInPhase());
  }

  /**
   * Rotation phase 1: {@code next} joins the trust bundle; the current root keeps signing.
   *
   * @throws IllegalStateException when a rotation is already under way
   */
  public synchronized void beginRotation(Root next) {
    State s = state;
    if (s.phase() != RotationPhase.STABLE) {
      throw new IllegalStateException(
          "mesh4j: a root rotation is already under way (phase " + s.phase() + ")");
    }
    if (next.certificate().getBasicConstraints() < 0) {
      throw new IllegalArgumentException(
          "mesh4j: the new root " + next.certificate().getSubjectX500Principal()
              + " is not a CA certificate");
    }
    List<X509Certificate> bundle = new ArrayList<>(s.bundle());
    bundle.add(next.certificate());
    state = new State(s.signing(), List.copyOf(bundle), RotationPhase.NEW_ROOT_TRUSTED,
        clock.instant(), Duration.ZERO, next);
  }

  /**
   * Rotation phase 2: the root added by {@link #beginRotation} signs from now on. Call it once
   * every workload renewed after phase 1 (see {@link #nextPhaseSafeAt()}).
   *
   * @throws IllegalStateException when no rotation was begun
   */
  public synchronized void promote() {
    State s = state;
    if (s.phase() != RotationPhase.NEW_ROOT_TRUSTED) {
      throw new IllegalStateException(
          "mesh4j: promote() needs a rotation begun with beginRotation(), phase is " + s.phase());
    }
    List<X509Certificate> bundle = new ArrayList<>();
    bundle.add(s.pending().certificate());
    for (X509Certificate c : s.bundle()) {
      if (!c.equals(s.pending().certificate())) {
        bundle.add(c);
      }
    }
    state = new State(s.pending(), List.copyOf(bundle), RotationPhase.NEW_ROOT_SIGNING,
        clock.instant(), Duration.ZERO, s.pending());
  }

  /**
   * Rotation phase 3: {@code old} leaves the trust bundle. Call it once no live leaf is signed by
   * it (see {@link #nextPhaseSafeAt()}).
   *
   * @throws IllegalArgumentException when {@code old} is the signing root or not in the bundle
   */
  public synchronized void retire(X509Certificate old) {
    State s = state;
    if (old.equals(s.signing().certificate())) {
      throw new IllegalArgumentException(
          "mesh4j: cannot retire " + old.getSubjectX500Principal()
              + ": it is the root that signs; promote() another root first");
    }
    if (!s.bundle().contains(old)) {
      throw new IllegalArgumentException(
          "mesh4j: cannot retire " + old.getSubjectX500Principal()
              + ": it is not in the trust bundle");
    }
    List<X509Certificate> bundle = new ArrayList<>(s.bundle());
    bundle.remove(old);
    state = new State(s.signing(), List.copyOf(bundle), RotationPhase.STABLE, clock.instant(),
        Duration.ZERO, s.signing());
  }

  /**
   * The URIs a request asks for as alternative names. {@link #sign} ignores them; an issuance
   * service may use this to refuse a request that claims an identity other than the caller's.
   *
   * @throws IllegalArgumentException when {@code csrDer} is not a PKCS#10 request
   */
  public static List<String> requestedUris(byte[] csrDer) {
    PKCS10CertificationRequest csr = parse(csrDer);
    List<String> out = new ArrayList<>();
    for (var attr : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      for (ASN1Encodable v : attr.getAttrValues()) {
        Extensions ext = Extensions.getInstance(v);
        GeneralNames names = GeneralNames.fromExtensions(ext, Extension.subjectAlternativeName);
        if (names != null) {
          for (GeneralName n : names.getNames()) {
            if (n.getTagNo() == GeneralName.uniformResourceIdentifier) {
              out.add(n.getName().toString());
            }
          }
        }
      }
    }
    return out;
  }

  /**
   * Signs a workload certificate for {@code spiffeId}.
   *
   * <p>The request's signature must verify with its own public key (proof the caller holds the
   * private key) and that key must be ECDSA P-256. Any name in the request is ignored: the leaf's
   * subject is empty and its only identity is {@code spiffeId} as a critical URI alternative
   * name (no DNS name, no CN). Key usage is digitalSignature, extended key usage serverAuth and
   * clientAuth. Validity starts {@link #CLOCK_SKEW} ago and ends after {@code lifetime}, but never
   * after the signing root's own expiry.
   *
   * @return the chain, leaf first, then the signing root
   * @throws IllegalArgumentException when the request is malformed, its signature does not
   *     verify, its key is not P-256, {@code spiffeId} is not in this trust domain, or {@code
   *     lifetime} is not positive
   */
  public List<X509Certificate> sign(byte[] csrDer, String spiffeId, Duration lifetime) {
    requirePositive(lifetime, "certificate lifetime");
    requireIdInDomain(spiffeId);
    PKCS10CertificationRequest csr = parse(csrDer);
    PublicKey key;
    try {
      JcaPKCS10CertificationRequest jca = new JcaPKCS10CertificationRequest(csr);
      key = jca.getPublicKey();
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw new IllegalArgumentException(
            "mesh4j: the certificate request's signature does not verify with its public key "
                + "(no proof of possession of the private key)");
      }
    } catch (GeneralSecurityException | OperatorCreationException | PKCSException e) {
      throw new IllegalArgumentException(
          "mesh4j: cannot verify the certificate request's signature: " + e, e);
    }
    if (!(key instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize()
        != 256) {
      throw new IllegalArgumentException(
          "mesh4j: the certificate request's key is " + key.getAlgorithm()
              + ", expected an ECDSA P-256 key");
    }
    State s = state;
    Root root = s.signing();
    Instant now = clock.instant();
    Instant rootEnd = root.certificate().getNotAfter().toInstant();
    if (!now.isBefore(rootEnd)) {
      throw new IllegalStateException(
          "mesh4j: the signing root " + root.certificate().getSubjectX500Principal()
              + " expired at " + rootEnd + "; rotate the CA root");
    }
    Instant notAfter = now.plus(lifetime);
    if (notAfter.isAfter(rootEnd)) {
      notAfter = rootEnd;
    }
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  new X509CertificateHolder(root.certificate().getEncoded()).getSubject(),
                  serial(),
                  Date.from(now.minus(CLOCK_SKEW)),
                  Date.from(notAfter),
                  new X500Name(""),
                  key)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth,
                          KeyPurposeId.id_kp_clientAuth}))
              // critical because the subject is empty (RFC 5280, 4.2.1.6)
              .addExtension(
                  Extension.subjectAlternativeName,
                  true,
                  new GeneralNames(
                      new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)))
              .addExtension(
                  Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  ext.createAuthorityKeyIdentifier(root.certificate().getPublicKey()));
      X509Certificate leaf = sign(b, root.privateKey());
      noteLifetime(lifetime);
      return List.of(leaf, root.certificate());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("mesh4j: cannot sign a certificate for " + spiffeId, e);
    }
  }

  private synchronized void noteLifetime(Duration lifetime) {
    State s = state;
    if (lifetime.compareTo(s.maxLeafLifetimeInPhase()) > 0) {
      state = new State(s.signing(), s.bundle(), s.phase(), s.phaseSince(), lifetime, s.pending());
    }
  }

  private void requireIdInDomain(String spiffeId) {
    String prefix = "spiffe://" + trustDomain + "/";
    if (spiffeId == null || !spiffeId.startsWith(prefix) || spiffeId.length() == prefix.length()) {
      throw new IllegalArgumentException(
          "mesh4j: cannot issue a certificate for '" + spiffeId + "': expected a SPIFFE ID "
              + prefix + "<path> in trust domain " + trustDomain);
    }
  }

  private static PKCS10CertificationRequest parse(byte[] csrDer) {
    try {
      return new PKCS10CertificationRequest(Objects.requireNonNull(csrDer, "csrDer"));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "mesh4j: the certificate request is not a DER-encoded PKCS#10 request: " + e, e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws GeneralSecurityException {
    try {
      X509CertificateHolder h = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key));
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(h.getEncoded()));
    } catch (OperatorCreationException | IOException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static boolean keyMatches(PrivateKey key, PublicKey pub) {
    try {
      byte[] probe = "mesh4j-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      String alg = pub.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256with" + pub.getAlgorithm();
      java.security.Signature s = java.security.Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      java.security.Signature v = java.security.Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, SERIALS).add(BigInteger.ONE);
  }

  private static String requireTrustDomain(String trustDomain) {
    if (trustDomain == null || !trustDomain.matches("[a-z0-9._-]+")) {
      throw new IllegalArgumentException(
          "mesh4j: trust domain '" + trustDomain
              + "' is invalid: expected lowercase letters, digits, '.', '-' or '_'");
    }
    return trustDomain;
  }

  private static void requirePositive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("mesh4j: " + what + " must be positive, got " + d);
    }
  }

  @Override
  public String toString() {
    State s = state;
    return "CertificateAuthority{" + trustDomain + ", signing="
        + s.signing().certificate().getSubjectX500Principal() + ", roots=" + s.bundle().size()
        + ", phase=" + s.phase() + "}";
  }
}
