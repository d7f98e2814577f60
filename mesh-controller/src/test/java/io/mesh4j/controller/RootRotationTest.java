package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mesh4j.controller.ca.DirectoryRootStore;
import io.mesh4j.controller.ca.TokenFileAuthenticator;
import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.identity.CertificateIssuer;
import io.mesh4j.client.ControllerCertificateIssuer;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.IssuanceException;
import io.mesh4j.core.identity.Pem;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mesh-controller ca rotate begin|promote|retire} on a local-mode CA directory while a
 * controller serves TLS from it: the running controller's trust bundle, signing root and serving
 * certificate follow each step without a restart.
 */
@Timeout(120)
class RootRotationTest {

  private static final String TOKEN = "frontend-0123456789abcdef";

  @TempDir Path dir;
  private Path ca;
  private MeshController controller;

  @BeforeEach
  void start() throws Exception {
    Path config = Files.createDirectories(dir.resolve("config"));
    LocalDirectory.write(config, "mesh.yaml", """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh, namespace: mesh4j-system}
        spec: {certificateLifetime: 30m}
        """);
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, TOKEN + " shop/frontend\n");
    ca = dir.resolve("ca");
    controller =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                config,
                new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.tls(
                    new DirectoryRootStore(ca, Duration.ofDays(30), InstantSource.system(), Duration.ofMillis(50)),
                    TokenFileAuthenticator.load(tokens),
                    List.of("127.0.0.1"))));
  }

  @AfterEach
  void stop() {
    if (controller != null) {
      controller.close();
    }
  }

  private record Run(int status, String out, String err) {}

  private Run rotate(String step) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status =
        MeshControllerMain.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
            .execute("ca", "rotate", step, "--ca-dir", ca.toString());
    return new Run(status, out.toString(), err.toString());
  }

  /** Asks the controller over TLS for a certificate, trusting only {@code roots} for its serving certificate. */
  private CertificateIssuer.Issued issue(X509Certificate... roots) throws Exception {
    Path trusted = Files.createTempFile(dir, "trusted", ".crt");
    Files.writeString(trusted, Pem.certificates(List.of(roots)));
    Path token = dir.resolve("token");
    Files.writeString(token, TOKEN + "\n");
    try (ControllerCertificateIssuer issuer =
        ControllerCertificateIssuer.builder("127.0.0.1:" + controller.grpcPort())
            .tokenFile(token)
            .trustedRoots(trusted)
            .timeout(Duration.ofSeconds(30))
            .build()) {
      return issuer.issue(Csr.create(Csr.generateKeyPair()));
    }
  }

  private static void assertChainsTo(X509Certificate leaf, X509Certificate root) throws Exception {
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
  }

  private List<X509Certificate> bundle() {
    return controller.certificateAuthority().trustBundle();
  }

  @Test
  void theThreeStepsReachARunningControllerBundleSigningRootAndServingCertificate() throws Exception {
    X509Certificate old = controller.certificateAuthority().signingRoot().certificate();
    assertThat(bundle()).containsExactly(old);

    Run begin = rotate("begin");
    assertThat(begin.status()).as(begin.err()).isZero();
    assertThat(begin.out())
        .startsWith("Began a root rotation in CA directory " + ca + ": the new root ")
        .contains("Next: Wait until every workload has renewed: one workload certificate lifetime")
        .contains("Then run: mesh-controller ca rotate promote --ca-dir " + ca);
    await().atMost(Duration.ofSeconds(20)).until(() -> bundle().size() == 2);
    X509Certificate next = bundle().get(1);
    assertThat(next).isNotEqualTo(old);
    assertThat(controller.certificateAuthority().signingRoot().certificate()).isEqualTo(old);
    CertificateIssuer.Issued beforePromote = issue(old);
    assertChainsTo(beforePromote.chain().get(0), old);
    assertThat(beforePromote.trustBundle()).containsExactly(old, next);
    // The serving certificate is still the old root's: a client trusting only the new one refuses it.
    assertThatThrownBy(() -> issue(next)).isInstanceOf(IssuanceException.class).hasMessageContaining("UNAVAILABLE");

    Run promote = rotate("promote");
    assertThat(promote.status()).as(promote.err()).isZero();
    assertThat(promote.out()).contains("Then run: mesh-controller ca rotate retire --ca-dir " + ca);
    await().atMost(Duration.ofSeconds(20))
        .until(() -> controller.certificateAuthority().signingRoot().certificate().equals(next));
    assertThat(bundle()).containsExactly(next, old);
    CertificateIssuer.Issued afterPromote = issue(next);
    assertChainsTo(afterPromote.chain().get(0), next);
    assertThat(afterPromote.chain().get(0).getIssuerX500Principal()).isEqualTo(next.getSubjectX500Principal());
    assertThat(afterPromote.trustBundle()).containsExactly(next, old);

    Run retire = rotate("retire");
    assertThat(retire.status()).as(retire.err()).isZero();
    assertThat(retire.out()).contains("Next: The rotation is complete.");
    await().atMost(Duration.ofSeconds(20)).until(() -> bundle().size() == 1);
    assertThat(bundle()).containsExactly(next);
    assertThat(issue(next).trustBundle()).containsExactly(next);
    assertThat(Files.exists(ca.resolve("bundle.crt"))).isFalse();
    assertThat(Files.exists(ca.resolve("next.pem"))).isFalse();
  }

  @Test
  void aStepOutOfOrderIsRefusedNamingTheStepThatIsDue() {
    Run retire = rotate("retire");
    assertThat(retire.status()).isEqualTo(1);
    assertThat(retire.err())
        .isEqualTo("mesh4j: cannot retire the old root: CA directory " + ca + " is in phase STABLE, expected"
            + " NEW_ROOT_SIGNING; run 'begin' first\n");

    assertThat(rotate("begin").status()).isZero();
    Run again = rotate("begin");
    assertThat(again.status()).isEqualTo(1);
    assertThat(again.err())
        .isEqualTo("mesh4j: cannot begin a root rotation: CA directory " + ca + " is in phase NEW_ROOT_TRUSTED,"
            + " expected STABLE; a rotation was begun; its next step is 'promote'\n");
  }

  @Test
  void theCommandNeedsExactlyOneStore() {
    String err = MeshControllerMainAccess.errorOf("ca", "rotate", "begin");
    assertThat(err).contains("give the controllers' root store: --ca-dir DIR (local mode) or --ca-secret NAME (kubernetes mode)");
    assertThat(CertificateAuthority.RotationPhase.values()).hasSize(3);
  }
}
