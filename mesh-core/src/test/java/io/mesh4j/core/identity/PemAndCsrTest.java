package io.mesh4j.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pins the JDK-only PEM and PKCS#10 encodings against material OpenSSL wrote, so mesh-core needs
 * no cryptography library to read the files a controller or an operator hands it.
 */
class PemAndCsrTest {

  // openssl ecparam -name prime256v1 -genkey -noout
  static final String SEC1_KEY =
      "-----BEGIN EC PRIVATE KEY-----\n"
          + "MHcCAQEEIM2YOEV0jEkBGwj7EIcV3zEl1Ax7WNFfQCF82Mwv0dqloAoGCCqGSM49\n"
          + "AwEHoUQDQgAE5uetf4roH2NtNNHeHyU/8D7ELUhOrkrwWJJCCugvDdONH0EhXN9X\n"
          + "7tPsy8jIzM2bunDq1UQ8fi3yKrIob4UNQg==\n"
          + "-----END EC PRIVATE KEY-----\n";

  // the same key through openssl pkcs8 -topk8 -nocrypt
  static final String PKCS8_KEY =
      "-----BEGIN PRIVATE KEY-----\n"
          + "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzZg4RXSMSQEbCPsQ\n"
          + "hxXfMSXUDHtY0V9AIXzYzC/R2qWhRANCAATm561/iugfY2000d4fJT/wPsQtSE6u\n"
          + "SvBYkkIK6C8N040fQSFc31fu0+zLyMjMzZu6cOrVRDx+LfIqsihvhQ1C\n"
          + "-----END PRIVATE KEY-----\n";

  // openssl req -new -x509 -key <that key> -subj "/O=cluster.local/CN=pem test"
  static final String CERTIFICATE =
      "-----BEGIN CERTIFICATE-----\n"
          + "MIIBrDCCAVGgAwIBAgIUGdjCelDGaynjJnBC1AXTrtV2JRowCgYIKoZIzj0EAwIw\n"
          + "KzEWMBQGA1UECgwNY2x1c3Rlci5sb2NhbDERMA8GA1UEAwwIcGVtIHRlc3QwHhcN\n"
          + "MjYxMjA1MDAyMzQ1WhcNMzYxMjAyMDAyMzQ1WjArMRYwFAYDVQQKDA1jbHVzdGVy\n"
          + "LmxvY2FsMREwDwYDVQQDDAhwZW0gdGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
          + "A0IABObnrX+K6B9jbTTR3h8lP/A+xC1ITq5K8FiSQgroLw3TjR9BIVzfV+7T7MvI\n"
          + "yMzNm7pw6tVEPH4t8iqyKG+FDUKjUzBRMB0GA1UdDgQWBBRQd7ELN6dUlkPPxUeo\n"
          + "IXtk27reOjAfBgNVHSMEGDAWgBRQd7ELN6dUlkPPxUeoIXtk27reOjAPBgNVHRMB\n"
          + "Af8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDtEmrsZ6dmCjvu8MsFP2prbS3t\n"
          + "nt2bFVxwxh3zJ2nbPwIhANHqdjjAoWuEuOj5YHW83GBh94y7E5lA1v2ODlSG1Lyj\n"
          + "-----END CERTIFICATE-----\n";

  @Test
  void readsBothPrivateKeyFormsOpenSslWrites() {
    PrivateKey sec1 = Pem.readPrivateKey(SEC1_KEY, "sec1");
    PrivateKey pkcs8 = Pem.readPrivateKey("comment before the block\n" + PKCS8_KEY, "pkcs8");
    assertThat(sec1).isInstanceOf(ECPrivateKey.class);
    assertThat(((ECPrivateKey) sec1).getS()).isEqualTo(((ECPrivateKey) pkcs8).getS());
    PrivateKey again = Pem.readPrivateKey(Pem.privateKey(sec1), "again");
    assertThat(((ECPrivateKey) again).getS()).isEqualTo(((ECPrivateKey) sec1).getS());
  }

  @Test
  void writesWhatItReadsBlockForBlock() {
    List<X509Certificate> chain = Pem.readCertificates(CERTIFICATE + CERTIFICATE, "chain");
    assertThat(chain).hasSize(2);
    assertThat(chain.get(0).getSubjectX500Principal().getName())
        .isEqualTo("CN=pem test,O=cluster.local");
    assertThat(Pem.certificates(List.of(chain.get(0)))).isEqualTo(CERTIFICATE);
  }

  @Test
  void refusesWhatIsNotWhatWasAskedFor() {
    assertThatThrownBy(() -> Pem.readCertificates(CERTIFICATE + PKCS8_KEY, "mixed"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mixed: expected only CERTIFICATE blocks, found PRIVATE KEY");
    assertThatThrownBy(() -> Pem.readCertificates("no pem here", "empty"))
        .hasMessageContaining("empty: no CERTIFICATE block found");
    assertThatThrownBy(() -> Pem.readPrivateKey(CERTIFICATE, "cert"))
        .hasMessageContaining("found CERTIFICATE");
    assertThatThrownBy(
            () ->
                Pem.readPrivateKey(
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "junk"))
        .hasMessageContaining("junk: not a readable PEM private key");
  }

  @Test
  void aRequestIsSignedByTheKeyItCarries() throws Exception {
    KeyPair kp = Csr.generateKeyPair();
    byte[][] request = Der.children(Csr.create(kp));
    assertThat(request.length).isEqualTo(3);
    byte[][] info = Der.children(request[0]);
    assertThat(info[0]).containsExactly(Der.INTEGER, 1, 0);
    assertThat(info[1]).containsExactly(Der.SEQUENCE, 0);
    assertThat(KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(info[2])))
        .isEqualTo(kp.getPublic());
    assertThat(request[1]).isEqualTo(Der.tlv(Der.SEQUENCE, Der.oid("1.2.840.10045.4.3.2")));
    byte[] bits = Der.contents(request[2]);
    Signature verify = Signature.getInstance("SHA256withECDSA");
    verify.initVerify(kp.getPublic());
    verify.update(request[0]);
    assertThat(verify.verify(Arrays.copyOfRange(bits, 1, bits.length))).isTrue();
  }

  @Test
  void aRequestedNameTravelsAsAnExtensionRequest() {
    String id = "spiffe://cluster.local/ns/default/sa/" + "x".repeat(200);
    byte[][] info = Der.children(Der.children(Csr.create(Csr.generateKeyPair(), id))[0]);
    byte[] attributes = info[3];
    assertThat(new String(attributes, StandardCharsets.US_ASCII)).contains(id);
    byte[][] attribute = Der.children(Der.children(attributes)[0]);
    assertThat(attribute[0]).isEqualTo(Der.oid("1.2.840.113549.1.9.14"));
  }

  @Test
  void oidsAndLongLengthsEncodeAsDer() {
    assertThat(Der.oid("2.5.29.17")).containsExactly(0x06, 0x03, 0x55, 0x1d, 0x11);
    assertThat(Der.oid("1.2.840.113549.1.9.14"))
        .containsExactly(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e);
    byte[] big = Der.tlv(Der.OCTET_STRING, new byte[300]);
    assertThat(Arrays.copyOf(big, 4)).containsExactly(0x04, 0x82, 0x01, 0x2c);
    assertThat(Der.contents(big)).hasSize(300);
    assertThat(new BigInteger(1, Der.contents(Der.tlv(Der.INTEGER, new byte[] {5})))).isEqualTo(5);
  }
}
