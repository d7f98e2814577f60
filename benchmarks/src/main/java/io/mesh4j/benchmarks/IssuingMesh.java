package io.mesh4j.benchmarks;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mesh4j.benchmarks.load.Echo;
import io.mesh4j.client.ControllerCertificateIssuer;
import io.mesh4j.controller.MeshController;
import io.mesh4j.controller.ca.DirectoryRootStore;
import io.mesh4j.controller.ca.TokenFileAuthenticator;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.identity.CertificateIssuer;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.identity.Pem;
import io.mesh4j.core.identity.WorkloadIdentity;
import io.mesh4j.grpc.MeshServerCredentials;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a probe that gets its certificate from the controller calls, on 127.0.0.1: a controller
 * with its certificate authority (TLS port, bootstrap tokens, as deployed) and an echo server that
 * serves mutual TLS with a certificate the same authority issued. For the probe of plain
 * grpc-java with mutual TLS, a certificate issued before the probe starts, in PEM files, as an
 * application reads those a certificate manager wrote.
 */
final class IssuingMesh implements AutoCloseable {

  /** The probe's bootstrap token; the controller derives its identity, bench/probe, from it. */
  private static final String PROBE_TOKEN = "probe-token-0123456789abcdef";

  private static final String ECHO_TOKEN = "echo-token-0123456789abcdef";

  private static final String PLAIN_TOKEN = "plain-token-0123456789abcdef";

  private final Path dir;
  private final List<AutoCloseable> closing = new ArrayList<>();
  final MeshController controller;
  final Path rootFile;
  final Path probeTokenFile;
  final Server server;
  /** The plain probe's certificate chain, its PKCS#8 private key and the mesh's roots. */
  final Path plainCertificate;

  final Path plainKey;
  final Path plainRoots;

  IssuingMesh() throws Exception {
    dir = Files.createTempDirectory("mesh4j-startup-ca-");
    try {
      Path config = Files.createDirectories(dir.resolve("config"));
      Path tokens =
          Files.writeString(
              dir.resolve("tokens"),
              PROBE_TOKEN + " bench/probe\n" + ECHO_TOKEN + " bench/echo\n" + PLAIN_TOKEN
                  + " bench/plain\n");
      probeTokenFile = Files.writeString(dir.resolve("probe-token"), PROBE_TOKEN + "\n");
      rootFile = dir.resolve("controller-root.pem");
      InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
      controller =
          MeshController.startLocal(
              new MeshController.LocalOptions(
                  config,
                  loopback,
                  loopback,
                  MeshController.Security.tls(
                          new DirectoryRootStore(
                              dir.resolve("ca"), Duration.ofDays(30), InstantSource.system()),
                          TokenFileAuthenticator.load(tokens),
                          List.of("127.0.0.1"))
                      .withRootFile(rootFile)));
      closing.add(controller);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!controller.distributor().isReady()) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("the controller did not read its configuration in 30 s");
        }
        Thread.sleep(10);
      }
      IdentityMaterial plain = issue(PLAIN_TOKEN);
      plainCertificate = Files.writeString(dir.resolve("plain.crt"), Pem.certificates(plain.chain()));
      plainKey = Files.writeString(dir.resolve("plain.key"), Pem.privateKey(plain.privateKey()));
      plainRoots =
          Files.writeString(dir.resolve("plain-roots.crt"), Pem.certificates(plain.trustBundle()));
      Mesh mesh = Mesh.builder().identity(WorkloadIdentity.of(issue(ECHO_TOKEN))).build();
      closing.add(mesh);
      server =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                  MeshServerCredentials.create(mesh))
              .directExecutor()
              .addService(Echo.service())
              .build()
              .start();
      closing.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  /** The controller's address, as a workload names it. */
  String controllerTarget() {
    return "127.0.0.1:" + controller.grpcPort();
  }

  /** The certificate of the identity {@code token} proves, asked for as a workload does. */
  private IdentityMaterial issue(String token) throws Exception {
    Path tokenFile = Files.createTempFile(dir, "token-", "");
    Files.writeString(tokenFile, token + "\n");
    KeyPair keys = Csr.generateKeyPair();
    CertificateIssuer.Issued issued;
    try (ControllerCertificateIssuer issuer =
        ControllerCertificateIssuer.builder(controllerTarget())
            .trustedRoots(rootFile)
            .tokenFile(tokenFile)
            .timeout(Duration.ofSeconds(30))
            .build()) {
      issued = issuer.issue(Csr.create(keys));
    }
    return new IdentityMaterial(keys.getPrivate(), issued.chain(), issued.trustBundle());
  }

  @Override
  public void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a temporary directory left behind is no failure of the benchmark
    }
  }
}
