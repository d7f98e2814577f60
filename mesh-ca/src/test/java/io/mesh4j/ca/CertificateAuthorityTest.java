package io.mesh4j.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.ca.CertificateAuthority.Root;
import io.mesh4j.ca.CertificateAuthority.RotationPhase;
import io.mesh4j.core.call.SpiffeIds;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.identity.Pem;
import io.mesh4j.core.testing.FakeClock;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class CertificateAuthorityTest {

  static final String WEB = "spiffe://cluster.local/ns/shop/sa/web";

  final FakeClock clock = new FakeClock(Instant.parse("2026-11-23T10:00:00Z"));
  final CertificateAuthority ca = CertificateAuthority.generate("cluster.local", clock);

  @Test
  void leafCarriesOnlyTheGivenSpiffeIdAndTheExpectedExtensions() throws Exception {
    KeyPair kp = Csr.generateKeyPair();
    List<X509Certificate> chain = ca.sign(Csr.create(kp), WEB, Duration.ofHours(24));

    X509Certificate leaf = chain.get(0);
    assertThat(chain.get(1)).isEqualTo(ca.signingRoot().certificate());
    assertThat(leaf.getPublicKey()).isEqualTo(kp.getPublic());
    assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, WEB));
    assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.17");
    assertThat(leaf.getKeyUsage()[0]).as("digitalSignature").isTrue();
    assertThat(leaf.getKeyUsage()[5]).as("keyCertSign").isFalse();
    assertThat(leaf.getExtendedKeyUsage())
        .containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertThat(leaf.getNotBefore().toInstant())
        .isEqualTo(clock.instant().minus(CertificateAuthority.CLOCK_SKEW));
    assertThat(leaf.getNotAfter().toInstant()).isEqualTo(clock.instant().plus(Duration.ofHours(24)));
    assertThat(SpiffeIds.fromChain(chain.toArray(new X509Certificate[0]))).isEqualTo(WEB);
    validate(chain, ca.trustBundle(), clock.instant());
    // usable as workload material
    assertThat(new IdentityMaterial(kp.getPrivate(), chain, ca.trustBundle()).spiffeId())
        .isEqualTo(WEB);
  }

  @Test
  void namesInTheRequestAreIgnored() throws Exception {
    byte[] csr = Csr.create(Csr.generateKeyPair(), "spiffe://cluster.local/ns/kube-system/sa/admin");
    assertThat(CertificateAuthority.requestedUris(csr))
        .containsExactly("spiffe://cluster.local/ns/kube-system/sa/admin");

    X509Certificate leaf = ca.sign(csr, WEB, Duration.ofMinutes(5)).get(0);

    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, WEB));
    assertThat(CertificateAuthority.requestedUris(Csr.create(Csr.generateKeyPair()))).isEmpty();
  }

  @Test
  void lifetimeIsCappedByTheRootsExpiry() {
    CertificateAuthority shortRoot =
        CertificateAuthority.of(
            "cluster.local", Root.generate("cluster.local", Duration.ofHours(1), clock), List.of(),
            clock);
    X509Certificate leaf =
        shortRoot.sign(Csr.create(Csr.generateKeyPair()), WEB, Duration.ofHours(24)).get(0);
    assertThat(leaf.getNotAfter())
        .isEqualTo(shortRoot.signingRoot().certificate().getNotAfter());

    clock.advance(Duration.ofHours(2));
    assertThatThrownBy(
            () -> shortRoot.sign(Csr.create(Csr.generateKeyPair()), WEB, Duration.ofMinutes(5)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("expired")
        .hasMessageContaining("rotate the CA root");
  }

  @Test
  void refusesBadRequestsWithClearMessages() {
    byte[] good = Csr.create(Csr.generateKeyPair());
    assertThatThrownBy(() -> ca.sign(new byte[] {1, 2, 3}, WEB, Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a DER-encoded PKCS#10 request");
    byte[] tampered = good.clone();
    tampered[tampered.length - 5] ^= 0x5a; // inside the signature
    assertThatThrownBy(() -> ca.sign(tampered, WEB, Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("certificate request");
    assertThatThrownBy(
            () -> ca.sign(good, "spiffe://other.domain/ns/shop/sa/web", Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'spiffe://other.domain/ns/shop/sa/web'")
        .hasMessageContaining("expected a SPIFFE ID spiffe://cluster.local/");
    assertThatThrownBy(() -> ca.sign(good, WEB, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("certificate lifetime must be positive, got PT0S");
    assertThatThrownBy(() -> CertificateAuthority.generate("Bad Domain", clock))
        .hasMessageContaining("trust domain 'Bad Domain' is invalid");
  }

  @Test
  void refusesANonP256Key() throws Exception {
    var g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(new java.security.spec.ECGenParameterSpec("secp384r1"));
    KeyPair p384 = g.generateKeyPair();
    byte[] csr =
        new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                new org.bouncycastle.asn1.x500.X500Name(""), p384.getPublic())
            .build(
                new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA384withECDSA")
                    .build(p384.getPrivate()))
            .getEncoded();
    assertThatThrownBy(() -> ca.sign(csr, WEB, Duration.ofHours(1)))
        .hasMessageContaining("expected an ECDSA P-256 key");
  }

  @Test
  void rootsRoundTripThroughPem() {
    Root root = ca.signingRoot();
    Root back = Root.fromPem(root.keyPem(), root.certificatePem(), "ca-dir");
    assertThat(back.certificate()).isEqualTo(root.certificate());
    CertificateAuthority reloaded = CertificateAuthority.of("cluster.local", back, List.of(), clock);
    List<X509Certificate> chain =
        reloaded.sign(Csr.create(Csr.generateKeyPair()), WEB, Duration.ofHours(1));
    assertThat(chain.get(1)).isEqualTo(root.certificate());

    Root other = Root.generate("cluster.local", Duration.ofDays(1), clock);
    assertThatThrownBy(() -> Root.fromPem(other.keyPem(), root.certificatePem(), "ca-dir"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ca-dir: the root key does not belong to the root certificate");
    assertThatThrownBy(() -> Root.fromPem("garbage", root.certificatePem(), "ca-dir"))
        .hasMessageContaining("ca-dir (root key)");
    assertThat(Pem.readCertificates(Pem.certificates(ca.trustBundle()), "bundle"))
        .isEqualTo(ca.trustBundle());
  }

  @Test
  void rootRotationNeverLeavesALiveLeafUntrusted() throws Exception {
    Duration life = Duration.ofMinutes(10);
    X509Certificate oldRoot = ca.signingRoot().certificate();
    List<X509Certificate> oldLeaf = ca.sign(Csr.create(Csr.generateKeyPair()), WEB, life);
    List<X509Certificate> bundleBefore = ca.trustBundle();

    Root next = Root.generate("cluster.local", Duration.ofDays(365), clock);
    ca.beginRotation(next);
    assertThat(ca.rotationPhase()).isEqualTo(RotationPhase.NEW_ROOT_TRUSTED);
    assertThat(ca.trustBundle()).containsExactly(oldRoot, next.certificate());
    List<X509Certificate> phase1Leaf = ca.sign(Csr.create(Csr.generateKeyPair()), WEB, life);
    assertThat(phase1Leaf.get(1)).as("the old root still signs").isEqualTo(oldRoot);
    // a peer that has not renewed yet still trusts leaves signed in phase 1
    validate(phase1Leaf, bundleBefore, clock.instant());
    assertThat(ca.nextPhaseSafeAt()).isEqualTo(clock.instant().plus(life));

    clock.advance(life);
    List<X509Certificate> phase1Bundle = ca.trustBundle();
    ca.promote();
    assertThat(ca.rotationPhase()).isEqualTo(RotationPhase.NEW_ROOT_SIGNING);
    List<X509Certificate> newLeaf = ca.sign(Csr.create(Csr.generateKeyPair()), WEB, life);
    assertThat(newLeaf.get(1)).isEqualTo(next.certificate());
    // peers that renewed in phase 1 trust the new leaves; new peers still trust old leaves
    validate(newLeaf, phase1Bundle, clock.instant());
    validate(phase1Leaf, ca.trustBundle(), clock.instant());
    assertThatThrownBy(() -> ca.retire(next.certificate()))
        .hasMessageContaining("it is the root that signs");

    clock.advance(life);
    ca.retire(oldRoot);
    assertThat(ca.rotationPhase()).isEqualTo(RotationPhase.STABLE);
    assertThat(ca.trustBundle()).containsExactly(next.certificate());
    validate(newLeaf, ca.trustBundle(), clock.instant().minusSeconds(1));
    assertThatThrownBy(() -> validate(oldLeaf, ca.trustBundle(), clock.instant().minus(life)))
        .isInstanceOf(CertPathValidatorException.class);
    assertThatThrownBy(ca::promote).hasMessageContaining("needs a rotation begun");
  }

  @Test
  void serialsAreUnique() {
    Set<java.math.BigInteger> serials = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      serials.add(
          ca.sign(Csr.create(Csr.generateKeyPair()), WEB, Duration.ofHours(1))
              .get(0)
              .getSerialNumber());
    }
    assertThat(serials).hasSize(20);
  }

  static void validate(List<X509Certificate> chain, List<X509Certificate> roots, Instant at)
      throws Exception {
    Set<TrustAnchor> anchors = new HashSet<>();
    for (X509Certificate r : roots) {
      anchors.add(new TrustAnchor(r, null));
    }
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    params.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(chain.subList(0, 1)),
            params);
  }
}
