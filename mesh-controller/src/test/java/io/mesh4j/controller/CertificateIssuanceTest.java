package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mesh4j.controller.ca.DirectoryRootStore;
import io.mesh4j.controller.ca.TokenFileAuthenticator;
import io.mesh4j.core.call.SpiffeIds;
import io.mesh4j.core.identity.CertificateIssuer;
import io.mesh4j.client.ControllerCertificateIssuer;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.IssuanceException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A workload asks a local-mode controller for its certificate over real gRPC on 127.0.0.1,
 * authenticated by a bootstrap token: what is issued, what is refused, what is counted.
 */
@Timeout(120)
class CertificateIssuanceTest {

  private static final String FRONTEND_TOKEN = "frontend-0123456789abcdef";
  private static final String FRONTEND = "spiffe://mesh.test/ns/shop/sa/frontend";

  @TempDir Path dir;
  private Path config;
  private Path ca;
  private Path tokens;
  private MeshController controller;

  @BeforeEach
  void start() throws IOException {
    config = Files.createDirectories(dir.resolve("config"));
    ca = dir.resolve("ca");
    LocalDirectory.write(
        config,
        "mesh.yaml",
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh, namespace: mesh4j-system}
        spec:
          trustDomain: mesh.test
          certificateLifetime: 30m
        """);
    tokens = dir.resolve("tokens");
    Files.writeString(
        tokens,
        """
        # bootstrap tokens
        frontend-0123456789abcdef   shop/frontend
        catalog-0123456789abcdef    shop/catalog
        """);
    controller = startController(0);
  }

  private MeshController startController(int port) throws IOException {
    return MeshController.startLocal(
        new MeshController.LocalOptions(
            config,
            new InetSocketAddress("127.0.0.1", port),
            new InetSocketAddress("127.0.0.1", 0),
            MeshController.Security.plaintext(
                TokenFileAuthenticator.load(tokens),
                new DirectoryRootStore(ca, Duration.ofDays(30), InstantSource.system()))));
  }

  @AfterEach
  void stop() {
    if (controller != null) {
      controller.close();
    }
  }

  private ControllerCertificateIssuer issuer(String token, int port) throws IOException {
    Path file = dir.resolve("token-" + Math.abs(token.hashCode()));
    Files.writeString(file, token + "\n");
    return ControllerCertificateIssuer.builder("127.0.0.1:" + port)
        .tokenFile(file)
        // Generous: a loaded build machine can take seconds to answer a first call.
        .timeout(Duration.ofSeconds(30))
        .build();
  }

  @Test
  void signsTheIdentityTheTokenProvesWithTheMeshLifetimeAndAChainThatVerifiesToTheBundle()
      throws Exception {
    KeyPair keys = Csr.generateKeyPair();
    CertificateIssuer.Issued issued;
    try (ControllerCertificateIssuer issuer = issuer(FRONTEND_TOKEN, controller.grpcPort())) {
      issued = issuer.issue(Csr.create(keys));
    }

    X509Certificate leaf = issued.chain().get(0);
    assertThat(leaf.getPublicKey()).isEqualTo(keys.getPublic());
    assertThat(leaf.getSubjectAlternativeNames())
        .containsExactly(List.of(6, FRONTEND)); // exactly one SAN: the URI derived from the token
    assertThat(SpiffeIds.fromChain(new X509Certificate[] {leaf})).isEqualTo(FRONTEND);
    Duration lifetime =
        Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant());
    // 30m from MeshConfig, plus the authority's one minute of clock-skew allowance.
    assertThat(lifetime).isEqualTo(Duration.ofMinutes(31));
    assertThat(issued.trustBundle()).containsExactlyElementsOf(controller.certificateAuthority().trustBundle());

    PKIXParameters params =
        new PKIXParameters(
            issued.trustBundle().stream().map(r -> new TrustAnchor(r, null)).collect(Collectors.toSet()));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);

    assertThat(metrics()).contains("mesh4j_controller_certificates_issued_total 1\n");
  }

  @Test
  void aRequestForAnotherIdentityIsRefusedNamingBothAndCounted() throws Exception {
    try (ControllerCertificateIssuer issuer = issuer(FRONTEND_TOKEN, controller.grpcPort())) {
      byte[] csr = Csr.create(Csr.generateKeyPair(), "spiffe://mesh.test/ns/shop/sa/admin");
      assertThatThrownBy(() -> issuer.issue(csr))
          .isInstanceOfSatisfying(
              IssuanceException.class,
              e -> {
                assertThat(e.retryable()).isFalse();
                assertThat(e.getMessage())
                    .isEqualTo(
                        "mesh4j: the controller at 127.0.0.1:" + controller.grpcPort()
                            + " refused the certificate request (PERMISSION_DENIED: mesh4j: CSR asks"
                            + " for spiffe://mesh.test/ns/shop/sa/admin but the caller authenticated"
                            + " as " + FRONTEND + "; a workload certificate names only the caller's"
                            + " own SPIFFE ID)");
              });
      // Asking for its own identity explicitly is fine.
      assertThat(issuer.issue(Csr.create(Csr.generateKeyPair(), FRONTEND)).chain()).hasSize(2);
    }
    String metrics = metrics();
    assertThat(metrics).contains("mesh4j_controller_certificate_refusals_total{reason=\"identity_mismatch\"} 1\n");
    assertThat(metrics).contains("mesh4j_controller_certificates_issued_total 1\n");
  }

  @Test
  void aBadTokenIsRefusedAsUnauthenticatedAndCounted() throws Exception {
    try (ControllerCertificateIssuer issuer = issuer("not-a-listed-token-at-all", controller.grpcPort())) {
      assertThatThrownBy(() -> issuer.issue(Csr.create(Csr.generateKeyPair())))
          .isInstanceOfSatisfying(
              IssuanceException.class,
              e -> {
                assertThat(e.retryable()).isFalse();
                assertThat(e.getMessage())
                    .isEqualTo(
                        "mesh4j: the controller at 127.0.0.1:" + controller.grpcPort()
                            + " refused the certificate request (UNAUTHENTICATED: mesh4j: certificate"
                            + " request refused: the bearer token is not listed in the controller's"
                            + " token file)");
              });
    }
    assertThat(metrics())
        .contains("mesh4j_controller_certificate_refusals_total{reason=\"unauthenticated\"} 1\n")
        .contains("mesh4j_controller_certificates_issued_total 0\n");
  }

  @Test
  void aRevokedTokenStopsWorkingWithoutARestart() throws Exception {
    try (ControllerCertificateIssuer issuer = issuer(FRONTEND_TOKEN, controller.grpcPort())) {
      assertThat(issuer.issue(Csr.create(Csr.generateKeyPair())).chain()).hasSize(2);
      Files.writeString(tokens, "catalog-0123456789abcdef    shop/catalog\n# frontend revoked\n");
      assertThatThrownBy(() -> issuer.issue(Csr.create(Csr.generateKeyPair())))
          .isInstanceOf(IssuanceException.class)
          .hasMessageContaining("UNAUTHENTICATED");
    }
  }

  @Test
  void aMalformedRequestIsAnInvalidArgument() throws Exception {
    try (ControllerCertificateIssuer issuer = issuer(FRONTEND_TOKEN, controller.grpcPort())) {
      assertThatThrownBy(() -> issuer.issue(new byte[] {0x30, 0x03, 0x01, 0x02, 0x03}))
          .isInstanceOfSatisfying(
              IssuanceException.class,
              e -> {
                assertThat(e.retryable()).isFalse();
                assertThat(e.getMessage())
                    .startsWith(
                        "mesh4j: the controller at 127.0.0.1:" + controller.grpcPort()
                            + " refused the certificate request (INVALID_ARGUMENT: mesh4j: certificate"
                            + " request from " + FRONTEND + " refused: it is not a DER-encoded PKCS#10 request");
              });
    }
    assertThat(metrics()).contains("mesh4j_controller_certificate_refusals_total{reason=\"invalid_csr\"} 1\n");
  }

  @Test
  void aRequestSignedByAnotherKeyIsAnInvalidArgument() throws Exception {
    // The request carries one key but is signed with another: no proof of possession.
    byte[] mine = Csr.create(Csr.generateKeyPair());
    byte[] other = Csr.create(Csr.generateKeyPair());
    org.bouncycastle.pkcs.PKCS10CertificationRequest a = new org.bouncycastle.pkcs.PKCS10CertificationRequest(mine);
    org.bouncycastle.pkcs.PKCS10CertificationRequest b = new org.bouncycastle.pkcs.PKCS10CertificationRequest(other);
    byte[] forged =
        new org.bouncycastle.asn1.pkcs.CertificationRequest(
                a.toASN1Structure().getCertificationRequestInfo(),
                b.getSignatureAlgorithm(),
                b.toASN1Structure().getSignature())
            .getEncoded();
    try (ControllerCertificateIssuer issuer = issuer(FRONTEND_TOKEN, controller.grpcPort())) {
      assertThatThrownBy(() -> issuer.issue(forged))
          .isInstanceOfSatisfying(
              IssuanceException.class,
              e -> {
                assertThat(e.retryable()).isFalse();
                assertThat(e.getMessage())
                    .isEqualTo(
                        "mesh4j: the controller at 127.0.0.1:" + controller.grpcPort()
                            + " refused the certificate request (INVALID_ARGUMENT: mesh4j: certificate"
                            + " request from " + FRONTEND + " refused: the certificate request's signature"
                            + " does not verify with its public key (no proof of possession of the private key))");
              });
    }
    assertThat(metrics()).contains("mesh4j_controller_certificate_refusals_total{reason=\"invalid_csr\"} 1\n");
  }

  @Test
  void aControllerThatIsDownIsARetryableFailureAndTheRootSurvivesARestart() throws Exception {
    int port = controller.grpcPort();
    X509Certificate root = controller.certificateAuthority().signingRoot().certificate();
    controller.close();
    controller = null;
    try (ControllerCertificateIssuer issuer = issuer(FRONTEND_TOKEN, port)) {
      assertThatThrownBy(() -> issuer.issue(Csr.create(Csr.generateKeyPair())))
          .isInstanceOfSatisfying(
              IssuanceException.class,
              e -> {
                assertThat(e.retryable()).isTrue();
                assertThat(e.getMessage())
                    .startsWith("mesh4j: could not get a certificate from the controller at 127.0.0.1:" + port + " (UNAVAILABLE")
                    .endsWith("; asking again later may succeed");
              });

      controller = startController(port);
      // The channel reconnects after its backoff, as a rotator's next attempt would.
      CertificateIssuer.Issued issued =
          await()
              .atMost(Duration.ofSeconds(60))
              .ignoreExceptionsInstanceOf(IssuanceException.class)
              .until(() -> issuer.issue(Csr.create(Csr.generateKeyPair())), i -> true);
      assertThat(issued.chain().get(1)).isEqualTo(root);
    }
    Set<PosixFilePermission> keyMode = Files.getPosixFilePermissions(ca.resolve("ca.key"));
    assertThat(keyMode).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  }

  private String metrics() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controller.adminPort() + "/metrics"))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
