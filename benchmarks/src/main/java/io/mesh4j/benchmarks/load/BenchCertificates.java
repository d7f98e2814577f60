package io.mesh4j.benchmarks.load;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority and its leaves for the TLS rows, written as PEM files: the
 * gRPC server's certificate (also the second HAProxy's), and a client certificate for mTLS. EC
 * P-256 keys, valid for a day; the keys are PKCS#8, which both grpc-java and HAProxy read.
 *
 * <p>The server certificate names every host a TLS row may check: {@code localhost}, {@code
 * 127.0.0.1}, and the mesh destinations used as authorities.
 */
public final class BenchCertificates {

  /** The CA certificate every TLS row trusts. */
  public static final String CA = "ca.pem";

  /** The server's certificate chain. */
  public static final String SERVER_CERT = "server.pem";

  /** The server's PKCS#8 key. */
  public static final String SERVER_KEY = "server.key";

  /** Certificate and key in one file, as HAProxy's {@code crt} wants them. */
  public static final String SERVER_BUNDLE = "server-bundle.pem";

  /** The client's certificate (a SPIFFE URI SAN). */
  public static final String CLIENT_CERT = "client.pem";

  /** The client's PKCS#8 key. */
  public static final String CLIENT_KEY = "client.key";

  private BenchCertificates() {}

  /** Writes a new CA, server and client certificates with their keys into {@code dir}. */
  public static void write(Path dir, List<String> serverDnsNames) throws IOException {
    try {
      Files.createDirectories(dir);
      Instant now = Instant.now();
      KeyPair caKeys = ecKeys();
      X500Name caName = new X500Name("CN=mesh4j benchmark CA");
      X509Certificate ca = sign(caName, caKeys, caName, caKeys.getPublic(), now, true, null);

      KeyPair serverKeys = ecKeys();
      GeneralName[] serverNames = new GeneralName[serverDnsNames.size() + 1];
      for (int i = 0; i < serverDnsNames.size(); i++) {
        serverNames[i] = new GeneralName(GeneralName.dNSName, serverDnsNames.get(i));
      }
      serverNames[serverDnsNames.size()] = new GeneralName(GeneralName.iPAddress, "127.0.0.1");
      X509Certificate server = sign(caName, caKeys, new X500Name("CN=echo server"),
          serverKeys.getPublic(), now, false, new GeneralNames(serverNames));

      KeyPair clientKeys = ecKeys();
      X509Certificate client = sign(caName, caKeys, new X500Name("CN=echo client"),
          clientKeys.getPublic(), now, false, new GeneralNames(
              new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://bench.local/ns/bench/sa/client")));

      Files.writeString(dir.resolve(CA), pem(ca));
      Files.writeString(dir.resolve(SERVER_CERT), pem(server));
      Files.writeString(dir.resolve(SERVER_KEY), pem(serverKeys.getPrivate()));
      Files.writeString(dir.resolve(SERVER_BUNDLE), pem(server) + pem(serverKeys.getPrivate()));
      Files.writeString(dir.resolve(CLIENT_CERT), pem(client));
      Files.writeString(dir.resolve(CLIENT_KEY), pem(clientKeys.getPrivate()));
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("could not create the benchmark's certificates in " + dir, e);
    }
  }

  private static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(X500Name issuer, KeyPair issuerKeys, X500Name subject,
      java.security.PublicKey subjectKey, Instant now, boolean ca, GeneralNames names)
      throws IOException, GeneralSecurityException, OperatorCreationException {
    JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
        new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(Duration.ofDays(1))), subject, subjectKey);
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    builder.addExtension(Extension.keyUsage, true, ca
        ? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)
        : new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    if (names != null) {
      builder.addExtension(Extension.subjectAlternativeName, false, names);
    }
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  private static String pem(X509Certificate certificate) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(certificate);
    }
    return out.toString();
  }

  private static String pem(PrivateKey key) throws IOException {
    StringWriter out = new StringWriter();
    try (Writer w = out; JcaPEMWriter writer = new JcaPEMWriter(w)) {
      writer.writeObject(new JcaPKCS8Generator(key, null));
    }
    return out.toString();
  }
}
