package io.mesh4j.controller;

import static org.awaitility.Awaitility.await;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.mesh4j.client.ControllerCertificateIssuer;
import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.controller.ca.DirectoryRootStore;
import io.mesh4j.controller.ca.TokenFileAuthenticator;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.identity.CertificateIssuer;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.identity.Pem;
import io.mesh4j.core.identity.WorkloadIdentity;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.grpc.MeshServerCredentials;
import io.mesh4j.grpc.MeshServerInterceptors;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A mesh under {@code mtls: STRICT} for the xDS mTLS tests, on 127.0.0.1: a controller with its
 * certificate authority (TLS port, bootstrap tokens), a mesh4j {@code shop.Catalog} server serving
 * with the certificate it issued for {@code shop/catalog}, whose AuthorizationPolicy allows {@code
 * shop/frontend} only, and certificates for the callers {@code shop/frontend} and {@code
 * shop/batch} written as the files gRPC's {@code file_watcher} certificate provider reads.
 *
 * <p>xDS peers are served by a second controller on the same directory, without authentication:
 * neither grpc-java's nor grpc-js's stock xDS client can prove an identity to its xDS server
 * (grpc-java's {@code tls} channel credentials take no client certificate, grpc-js has none).
 */
final class MtlsCatalog implements AutoCloseable {

  static final String TRUST_DOMAIN = "cluster.local";
  static final String CATALOG = spiffeId("catalog");
  static final String FRONTEND = spiffeId("frontend");
  static final String BATCH = spiffeId("batch");

  /** What the mesh says to a caller its policy does not allow. */
  static final String DENIED_BATCH =
      "mesh4j: denied for catalog.shop (no rule of AuthorizationPolicy shop/catalog-callers allows " + BATCH + ")";

  private static final List<String> ACCOUNTS = List.of("catalog", "frontend", "batch");

  final Path config;
  final MeshController controller;
  /** Serves xDS, without authentication, from the same directory. */
  final MeshController xds;
  final Path rootFile;
  final AtomicInteger calls = new AtomicInteger();
  private final Path dir;
  private final Mesh mesh;
  private final Server server;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final AtomicReference<PolicySet> xdsWorld = new AtomicReference<>(PolicySet.EMPTY);

  /** The {@code file_watcher} files of one workload: certificate chain, PKCS#8 key, the mesh's roots. */
  record WorkloadFiles(Path certificate, Path privateKey, Path roots) {
    Map<String, String> fileWatcherConfig() {
      return Map.of(
          "certificate_file", certificate.toString(),
          "private_key_file", privateKey.toString(),
          "ca_certificate_file", roots.toString(),
          // optional in A29 (10 minutes), required by grpc-js-xds 1.14
          "refresh_interval", "600s");
    }
  }

  MtlsCatalog(Path dir) throws Exception {
    this.dir = dir;
    try {
      config = Files.createDirectories(dir.resolve("config"));
      LocalDirectory.write(config, "mesh.yaml", """
          apiVersion: mesh4j.io/v1alpha1
          kind: MeshConfig
          metadata: {name: mesh, namespace: mesh4j-system}
          spec: {trustDomain: %s, mtls: STRICT}
          """.formatted(TRUST_DOMAIN));
      LocalDirectory.write(config, "catalog-callers.yaml", """
          apiVersion: mesh4j.io/v1alpha1
          kind: AuthorizationPolicy
          metadata: {name: catalog-callers, namespace: shop}
          spec:
            service: catalog
            action: ALLOW
            rules:
              - principals: ["%s"]
          """.formatted(FRONTEND));
      StringBuilder tokens = new StringBuilder();
      for (String account : ACCOUNTS) {
        tokens.append(token(account)).append(" shop/").append(account).append('\n');
      }
      Path tokenFile = Files.writeString(dir.resolve("tokens"), tokens);
      rootFile = dir.resolve("controller-root.pem");
      InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
      controller = MeshController.startLocal(new MeshController.LocalOptions(config, loopback, loopback,
          MeshController.Security.tls(
                  new DirectoryRootStore(dir.resolve("ca"), Duration.ofDays(30), InstantSource.system()),
                  TokenFileAuthenticator.load(tokenFile), List.of("127.0.0.1"))
              .withRootFile(rootFile)));
      closing.add(controller);
      await().atMost(Duration.ofSeconds(10)).until(() -> controller.distributor().isReady());

      xds = MeshController.startLocal(new MeshController.LocalOptions(config, loopback, loopback, MeshController.Security.none()));
      closing.add(xds);
      await().atMost(Duration.ofSeconds(10)).until(() -> xds.distributor().isReady());
      xds.distributor().onWorldServed(xdsWorld::set);

      IdentityMaterial catalog = issue("catalog");
      for (String caller : List.of("frontend", "batch")) {
        issue(caller);
      }
      WorkloadIdentity identity = WorkloadIdentity.of(catalog);
      ControllerConfigSource source = ControllerConfigSource.builder("127.0.0.1:" + controller.grpcPort())
          .trustedRoots(rootFile)
          .clientCertificate(identity)
          .application("catalog")
          .namespace("shop")
          .serves("catalog")
          .build();
      mesh = Mesh.builder().identity(identity).configSource(source).build();
      closing.add(mesh);
      ServerServiceDefinition service = ServerServiceDefinition.builder("shop.Catalog")
          .addMethod(CatalogBackend.GET_ITEM, ServerCalls.asyncUnaryCall((item, response) -> {
            calls.incrementAndGet();
            response.onNext("catalog");
            response.onCompleted();
          }))
          .build();
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), MeshServerCredentials.create(mesh))
          .addService(ServerInterceptors.intercept(service, MeshServerInterceptors.forService(mesh, "catalog.shop")))
          .build()
          .start();
      closing.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      // Snapshots arrive whole: STRICT means the AuthorizationPolicy is in force too.
      await().atMost(Duration.ofSeconds(10)).until(() -> mesh.settings().mtls() == MeshConfig.MtlsMode.STRICT);
      publishEndpoint(CATALOG);
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  /**
   * Lists the catalog server as catalog.shop's one endpoint, expected to present {@code identity},
   * and returns once xDS peers are served that.
   */
  void publishEndpoint(String identity) throws IOException {
    LocalDirectory.write(config, "catalog-endpoints.yaml", """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog
          endpoints:
            - {address: 127.0.0.1, port: %d, identity: "%s"}
        """.formatted(server.getPort(), identity));
    await().atMost(Duration.ofSeconds(10)).until(() -> xdsWorld.get().endpoints().stream()
        .flatMap(list -> list.spec().endpoints().stream())
        .anyMatch(e -> identity.equals(e.identity())));
  }

  /** The certificate files of {@code account} (catalog, frontend or batch). */
  WorkloadFiles files(String account) {
    Path home = dir.resolve("workloads").resolve(account);
    return new WorkloadFiles(home.resolve("cert.pem"), home.resolve("key.pem"), home.resolve("roots.pem"));
  }

  static String spiffeId(String account) {
    return "spiffe://" + TRUST_DOMAIN + "/ns/shop/sa/" + account;
  }

  /** Asks the controller's CA for {@code account}'s certificate, as the workload would, and writes its files. */
  private IdentityMaterial issue(String account) throws Exception {
    Path tokenFile = Files.writeString(dir.resolve("token-" + account), token(account) + "\n");
    KeyPair keys = Csr.generateKeyPair();
    CertificateIssuer.Issued issued;
    try (ControllerCertificateIssuer issuer = ControllerCertificateIssuer.builder("127.0.0.1:" + controller.grpcPort())
        .trustedRoots(rootFile)
        .tokenFile(tokenFile)
        // generous: a loaded machine can take seconds to answer a first call
        .timeout(Duration.ofSeconds(30))
        .build()) {
      issued = issuer.issue(Csr.create(keys));
    }
    WorkloadFiles files = files(account);
    Files.createDirectories(files.certificate().getParent());
    Files.writeString(files.certificate(), Pem.certificates(issued.chain()));
    Files.writeString(files.privateKey(), Pem.privateKey(keys.getPrivate()));
    Files.writeString(files.roots(), Pem.certificates(issued.trustBundle()));
    return new IdentityMaterial(keys.getPrivate(), issued.chain(), issued.trustBundle());
  }

  private static String token(String account) {
    return account + "-token-0123456789abcdef";
  }

  @Override
  public void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }
}
