package io.mesh4j.controller.ca;

import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.Pem;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The controller's own TLS serving certificate, signed by the mesh's CA root, so workloads that
 * trust the root (the same {@code ca.crt} their peers chain to) can verify the controller before
 * sending it their token. It names the controller by DNS names and IP addresses, which is what
 * gRPC's hostname check compares with the target; it carries no SPIFFE ID, so it can never pass
 * as a workload.
 *
 * @param chainPem the serving certificate then the root, PEM
 * @param keyPem the serving key, PKCS#8 PEM; it exists only in the controller's memory
 * @param certificate the serving certificate
 */
public record ServingCertificate(String chainPem, String keyPem, X509Certificate certificate) {

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final SecureRandom SERIALS = new SecureRandom();

  /**
   * Signs a serving certificate for {@code names} (DNS names, or IPv4/IPv6 literals), valid for
   * {@code lifetime} but never past the root's own expiry.
   *
   * @throws IllegalArgumentException when {@code names} is empty or holds a blank name
   */
  public static ServingCertificate issue(
      CertificateAuthority.Root root, List<String> names, Duration lifetime, InstantSource clock) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("controller TLS names: none given; expected e.g. localhost or mesh4j-controller.mesh4j-system.svc");
    }
    List<GeneralName> sans = new ArrayList<>();
    for (String name : names) {
      if (name.isBlank()) {
        throw new IllegalArgumentException("controller TLS names: a name is blank; expected a DNS name or IP address");
      }
      boolean ip = IPV4.matcher(name).matches() || name.contains(":");
      sans.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, name));
    }
    KeyPair keys = Csr.generateKeyPair();
    Instant now = clock.instant();
    Instant rootEnd = root.certificate().getNotAfter().toInstant();
    Instant end = now.plus(lifetime).isAfter(rootEnd) ? rootEnd : now.plus(lifetime);
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509CertificateHolder issuer = new X509CertificateHolder(root.certificate().getEncoded());
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuer.getSubject(),
              new BigInteger(127, SERIALS).add(BigInteger.ONE),
              Date.from(now.minus(CertificateAuthority.CLOCK_SKEW)),
              Date.from(end),
              new X500Name("CN=mesh4j-controller"),
              keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
          .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(root.certificate()));
      String algorithm = root.privateKey().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
      X509Certificate cert =
          new JcaX509CertificateConverter()
              .getCertificate(b.build(new JcaContentSignerBuilder(algorithm).build(root.privateKey())));
      return new ServingCertificate(
          Pem.certificates(List.of(cert, root.certificate())), Pem.privateKey(keys.getPrivate()), cert);
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("mesh4j: cannot sign the controller's serving certificate: " + e, e);
    }
  }

  @Override
  public String toString() {
    return "ServingCertificate{" + certificate.getSubjectX500Principal() + ", until " + certificate.getNotAfter().toInstant() + "}";
  }
}
