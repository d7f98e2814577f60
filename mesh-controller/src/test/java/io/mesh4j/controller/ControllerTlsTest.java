package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mesh4j.controller.ca.DirectoryRootStore;
import io.mesh4j.controller.ca.TokenFileAuthenticator;
import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.client.ControllerCertificateIssuer;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.IssuanceException;
import io.mesh4j.client.ControllerConfigSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's gRPC port over TLS with a serving certificate from its own CA: workloads that
 * trust the CA root get certificates and policy; plaintext clients and clients trusting another
 * root get nothing (a client trusting another root stops at the handshake, before its token).
 */
@Timeout(120)
class ControllerTlsTest {

  private static final String TOKEN = "frontend-0123456789abcdef";

  @TempDir Path dir;
  private MeshController controller;
  private Path tokenFile;
  private final List<AutoCloseable> toClose = new java.util.ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    Path config = Files.createDirectories(dir.resolve("config"));
    LocalDirectory.write(config, "mesh.yaml", LocalDirectory.MESH);
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, TOKEN + " shop/frontend\n");
    tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, TOKEN);
    controller =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                config,
                new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.tls(
                    new DirectoryRootStore(dir.resolve("ca"), Duration.ofDays(30), InstantSource.system()),
                    TokenFileAuthenticator.load(tokens),
                    List.of("localhost", "127.0.0.1"))));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    controller.close();
  }

  private ControllerCertificateIssuer issuer(Path roots) {
    ControllerCertificateIssuer.Builder b =
        ControllerCertificateIssuer.builder("127.0.0.1:" + controller.grpcPort()).tokenFile(tokenFile).timeout(Duration.ofSeconds(30));
    if (roots != null) {
      b.trustedRoots(roots);
    }
    ControllerCertificateIssuer issuer = b.build();
    toClose.add(issuer);
    return issuer;
  }

  @Test
  void aWorkloadTrustingTheRootGetsItsCertificateAndItsPolicyOverTls() throws Exception {
    Path root = dir.resolve("ca").resolve("ca.crt");

    assertThat(issuer(root).issue(Csr.create(Csr.generateKeyPair())).chain().get(0).getSubjectAlternativeNames())
        .containsExactly(List.of(6, "spiffe://cluster.local/ns/shop/sa/frontend"));

    RecordingApplication app = new RecordingApplication();
    ControllerConfigSource source =
        ControllerConfigSource.builder("127.0.0.1:" + controller.grpcPort())
            .trustedRoots(root)
            .tokenFile(tokenFile)
            .application("frontend")
            .namespace("shop")
            .identity("spiffe://cluster.local/ns/shop/sa/frontend")
            .calls("catalog")
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .random(new SplittableRandom(42))
            .build();
    toClose.add(source);
    source.start(app);
    await().atMost(Duration.ofSeconds(20)).until(() -> !app.applied.isEmpty());
    assertThat(app.applied.get(0).meshConfig()).isPresent();
  }

  @Test
  void plaintextClientsAndClientsTrustingAnotherRootGetNoCertificate() throws Exception {
    assertThatThrownBy(() -> issuer(null).issue(Csr.create(Csr.generateKeyPair())))
        .isInstanceOfSatisfying(IssuanceException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessageContaining("UNAVAILABLE");

    Path stranger = dir.resolve("stranger.crt");
    Files.writeString(
        stranger,
        CertificateAuthority.Root.generate("cluster.local", Duration.ofDays(1), InstantSource.system()).certificatePem());
    assertThatThrownBy(() -> issuer(stranger).issue(Csr.create(Csr.generateKeyPair())))
        .isInstanceOf(IssuanceException.class)
        .hasMessageContaining("UNAVAILABLE");

    assertThat(controller.certificateAuthority()).isNotNull();
  }
}
