package io.mesh4j.controller.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.mesh4j.core.identity.Csr;
import java.security.KeyPair;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The names a certificate request may carry: none, or exactly the caller's SPIFFE ID. */
@Timeout(30)
class CertificateRequestNamesTest {

  private static final String ME = "spiffe://cluster.local/ns/shop/sa/frontend";
  private static final KeyPair KEYS = Csr.generateKeyPair();

  private static byte[] csr(String subject, GeneralName... names) throws Exception {
    JcaPKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), KEYS.getPublic());
    if (names.length > 0) {
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    }
    return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(KEYS.getPrivate())).getEncoded();
  }

  private static void assertMismatch(byte[] csr, String asked) {
    assertThatThrownBy(() -> CertificateSigningService.checkNames(csr, ME))
        .isInstanceOfSatisfying(
            CertificateSigningService.Refused.class,
            e -> {
              assertThat(e.status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.reason).isEqualTo(IssuanceMetrics.Refusal.IDENTITY_MISMATCH);
              assertThat(e.getMessage())
                  .isEqualTo("mesh4j: CSR asks for " + asked + " but the caller authenticated as " + ME
                      + "; a workload certificate names only the caller's own SPIFFE ID");
            });
  }

  @Test
  void noNamesOrOnlyTheCallersOwnIdAreAccepted() throws Exception {
    assertThatCode(() -> CertificateSigningService.checkNames(Csr.create(KEYS), ME)).doesNotThrowAnyException();
    assertThatCode(() -> CertificateSigningService.checkNames(Csr.create(KEYS, ME), ME)).doesNotThrowAnyException();
    assertThatCode(() -> CertificateSigningService.checkNames(csr("CN=" + ME, new GeneralName(GeneralName.uniformResourceIdentifier, ME)), ME))
        .doesNotThrowAnyException();
  }

  @Test
  void anyOtherNameIsRefusedNamingIt() throws Exception {
    assertMismatch(Csr.create(KEYS, "spiffe://cluster.local/ns/shop/sa/admin"), "spiffe://cluster.local/ns/shop/sa/admin");
    assertMismatch(Csr.create(KEYS, "spiffe://evil.example/ns/shop/sa/frontend"), "spiffe://evil.example/ns/shop/sa/frontend");
    assertMismatch(
        csr("", new GeneralName(GeneralName.uniformResourceIdentifier, ME), new GeneralName(GeneralName.dNSName, "payments.internal")),
        "DNS name payments.internal");
    assertMismatch(csr("", new GeneralName(GeneralName.iPAddress, "10.0.0.7")), "IP address 10.0.0.7");
    assertMismatch(csr("", new GeneralName(GeneralName.rfc822Name, "ops@example.com")), "e-mail address ops@example.com");
    assertMismatch(csr("CN=admin"), "the subject CN=admin");
  }

  @Test
  void bytesThatAreNotARequestAreAnInvalidArgument() {
    assertThatThrownBy(() -> CertificateSigningService.checkNames(new byte[] {1, 2, 3}, ME))
        .isInstanceOfSatisfying(
            CertificateSigningService.Refused.class,
            e -> {
              assertThat(e.status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.reason).isEqualTo(IssuanceMetrics.Refusal.INVALID_CSR);
              assertThat(e.getMessage())
                  .startsWith("mesh4j: certificate request from " + ME + " refused: it is not a DER-encoded PKCS#10 request");
            });
  }
}
