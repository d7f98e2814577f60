package io.mesh4j.controller;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mesh4j.controller.ca.CertificateSigningService;
import io.mesh4j.controller.ca.IssuanceMetrics;
import io.mesh4j.controller.ca.RootStore;
import io.mesh4j.controller.ca.TokenReviewAuthenticator;
import io.mesh4j.controller.ca.WorkloadAuthenticator;
import io.mesh4j.controller.kubernetes.RootConfigMaps;
import io.mesh4j.controller.serve.AdminServer;
import io.mesh4j.controller.serve.AdminTokens;
import io.mesh4j.core.identity.CertificateAuthority;
import io.mesh4j.controller.serve.PolicyStreamService;
import io.mesh4j.controller.serve.SnapshotDistributor;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.core.source.DirectoryConfigSource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.mesh4j.controller.kubernetes.KubernetesWorld;
import io.mesh4j.controller.kubernetes.Leadership;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running controller: reads the world from its input, serves the control stream on one port
 * and the admin endpoint on another. In local mode the input is a directory of mesh4j YAML,
 * watched through mesh-core's {@link DirectoryConfigSource}, so the controller reads, validates
 * and refuses files exactly as an application reading the same directory would; endpoints come
 * from {@code ServiceEndpoints} resources in it. The directory is judged as one unit, like a
 * commit: an edit that leaves any file invalid is refused as a whole and the last good state of
 * the directory keeps being served (the Kubernetes mode, where resources are written one at a
 * time by different teams, judges each resource on its own instead). In Kubernetes mode the input is the cluster (see
 * {@link KubernetesWorld}); from there on both modes share the resolver and the distributor.
 *
 * <p>Thread-safe. {@link #close} stops everything it started.
 */
public final class MeshController implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MeshController.class);

  /** How long the controller's TLS serving certificate lasts; a restart signs a new one. */
  private static final Duration SERVING_LIFETIME = Duration.ofDays(90);

  /**
   * Where a local-mode controller reads and listens.
   *
   * @param configDir the watched directory of mesh4j YAML
   * @param grpcAddress where applications connect (port 0 picks a free one)
   * @param adminAddress where the admin endpoint listens (port 0 picks a free one)
   * @param certificates the certificate authority to host, or null for none
   * @param adminTokens the bearer tokens the admin endpoint requires, or null for none (loopback only)
   */
  public record LocalOptions(
      Path configDir,
      InetSocketAddress grpcAddress,
      InetSocketAddress adminAddress,
      @Nullable CertificateOptions certificates,
      @Nullable AdminTokens adminTokens) {

    /** Options for a controller without a certificate authority. */
    public LocalOptions(Path configDir, InetSocketAddress grpcAddress, InetSocketAddress adminAddress) {
      this(configDir, grpcAddress, adminAddress, null, null);
    }

    /** Options for a controller whose admin endpoint is open (loopback only). */
    public LocalOptions(
        Path configDir, InetSocketAddress grpcAddress, InetSocketAddress adminAddress, @Nullable CertificateOptions certificates) {
      this(configDir, grpcAddress, adminAddress, certificates, null);
    }
  }

  /**
   * The certificate authority a controller hosts: it serves {@code mesh4j.v1.CertificateService}
   * on the same port as the policy stream.
   *
   * @param roots where the CA root is loaded from, or generated into on first start
   * @param authenticator how callers' bearer tokens are checked
   * @param tlsNames when not empty, the whole gRPC port (policy stream and certificate service)
   *     is served over TLS with a certificate from the CA root naming these DNS names and IP
   *     addresses, so bearer tokens never cross the network in clear; workloads trust the root
   */
  public record CertificateOptions(RootStore roots, WorkloadAuthenticator authenticator, List<String> tlsNames) {

    public CertificateOptions {
      tlsNames = List.copyOf(tlsNames);
    }

    /** A certificate authority on a plaintext port (loopback only: tokens travel in clear). */
    public CertificateOptions(RootStore roots, WorkloadAuthenticator authenticator) {
      this(roots, authenticator, List.of());
    }
  }

  /**
   * Where a Kubernetes-mode controller reads, listens and competes for leadership.
   *
   * @param client the API client; the controller closes its informers, not the client
   * @param leaseNamespace namespace of the Lease that elects the status writer
   * @param leaseName name of that Lease
   * @param identity this replica's name in the Lease, e.g. the Pod name
   * @param leaseDuration how long a lease lasts without renewal; a new leader takes over within it
   * @param grpcAddress where applications connect (port 0 picks a free one)
   * @param adminAddress where the admin endpoint listens (port 0 picks a free one)
   * @param certificates the certificate authority to host, or null for none
   * @param adminTokens the bearer tokens the admin endpoint requires, or null for none (loopback only)
   */
  public record KubernetesOptions(
      KubernetesClient client,
      String leaseNamespace,
      String leaseName,
      String identity,
      Duration leaseDuration,
      InetSocketAddress grpcAddress,
      InetSocketAddress adminAddress,
      @Nullable CertificateOptions certificates,
      @Nullable AdminTokens adminTokens) {

    /** Options for a controller whose admin endpoint is open (loopback only). */
    public KubernetesOptions(
        KubernetesClient client,
        String leaseNamespace,
        String leaseName,
        String identity,
        Duration leaseDuration,
        InetSocketAddress grpcAddress,
        InetSocketAddress adminAddress,
        @Nullable CertificateOptions certificates) {
      this(client, leaseNamespace, leaseName, identity, leaseDuration, grpcAddress, adminAddress, certificates, null);
    }

    /** Options for a controller without a certificate authority. */
    public KubernetesOptions(
        KubernetesClient client,
        String leaseNamespace,
        String leaseName,
        String identity,
        Duration leaseDuration,
        InetSocketAddress grpcAddress,
        InetSocketAddress adminAddress) {
      this(client, leaseNamespace, leaseName, identity, leaseDuration, grpcAddress, adminAddress, null, null);
    }
  }

  private final SnapshotDistributor distributor;
  private final List<AutoCloseable> inputs;
  private final Server server;
  private final AdminServer admin;
  private final BooleanSupplier leader;
  private final @Nullable CertificateSigningService certificates;

  private MeshController(
      SnapshotDistributor distributor,
      List<AutoCloseable> inputs,
      Server server,
      AdminServer admin,
      BooleanSupplier leader,
      @Nullable CertificateSigningService certificates) {
    this.distributor = distributor;
    this.inputs = inputs;
    this.server = server;
    this.admin = admin;
    this.leader = leader;
    this.certificates = certificates;
  }

  /**
   * Starts a Kubernetes-mode controller: fills the informer caches, serves the first world, then
   * opens both ports and starts competing for the status-writing lease.
   *
   * @throws IOException if a port cannot be bound
   */
  public static MeshController startKubernetes(KubernetesOptions options) throws IOException {
    SnapshotDistributor distributor = new SnapshotDistributor(InstantSource.system());
    Leadership leadership = new Leadership();
    KubernetesWorld world = new KubernetesWorld(options.client(), distributor, leadership::isLeader, InstantSource.system());
    Server server = null;
    CertificateSigningService certificates = null;
    RootConfigMaps rootConfigMaps = null;
    try {
      world.start();
      IssuanceMetrics metrics = new IssuanceMetrics();
      certificates = certificates(options.certificates(), distributor, metrics);
      if (certificates != null) {
        CertificateSigningService ca = certificates;
        rootConfigMaps =
            new RootConfigMaps(
                options.client(), leadership::isLeader, () -> ca.authority().trustBundle(),
                options.certificates().authenticator() instanceof TokenReviewAuthenticator t ? t.audience() : null);
        rootConfigMaps.start();
        ca.onRootsChanged(rootConfigMaps::changed);
        world.observe(rootConfigMaps::observed);
      }
      server = grpcServer(options.grpcAddress(), distributor, certificates);
      AdminServer admin =
          AdminServer.start(
              options.adminAddress(), distributor, () -> "kubernetes", certificates == null ? null : metrics, options.adminTokens());
      leadership.start(
          options.client(), options.leaseNamespace(), options.leaseName(), options.identity(), options.leaseDuration(), world::rewriteStatus);
      log.info("mesh4j controller {} serving Kubernetes on {} (admin on port {})", options.identity(), server.getListenSockets(), admin.port());
      List<AutoCloseable> inputs = new java.util.ArrayList<>(List.of(leadership, world));
      if (rootConfigMaps != null) {
        inputs.add(rootConfigMaps);
        inputs.add(certificates);
      }
      return new MeshController(distributor, List.copyOf(inputs), server, admin, leadership::isLeader, certificates);
    } catch (IOException | RuntimeException e) {
      if (server != null) {
        server.shutdownNow();
      }
      leadership.close();
      if (rootConfigMaps != null) {
        rootConfigMaps.close();
      }
      if (certificates != null) {
        certificates.close();
      }
      world.close();
      distributor.close();
      throw e;
    }
  }

  private static Server grpcServer(
      InetSocketAddress address, SnapshotDistributor distributor, @Nullable CertificateSigningService certificates)
      throws IOException {
    ServerCredentials credentials = InsecureServerCredentials.create();
    if (certificates != null && certificates.servingKeyManager() != null) {
      // Read at every handshake, so the certificate follows a root rotation without a restart.
      credentials = TlsServerCredentials.newBuilder().keyManager(certificates.servingKeyManager()).build();
      log.info("Serving gRPC over TLS with {}", certificates.serving());
    }
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(address, credentials)
            .addService(PolicyStreamService.definition(distributor));
    if (certificates != null) {
      builder.addService(certificates.definition());
    }
    return builder.build().start();
  }

  /** Loads or creates the CA root for the trust domain of the world just served. */
  private static @Nullable CertificateSigningService certificates(
      @Nullable CertificateOptions options, SnapshotDistributor distributor, IssuanceMetrics metrics) {
    if (options == null) {
      return null;
    }
    CertificateSigningService service =
        CertificateSigningService.start(
            options.roots(), options.authenticator(), options.tlsNames(), SERVING_LIFETIME, distributor::settings, metrics,
            InstantSource.system());
    log.info("Certificate authority: root {} from {}, callers checked by {}",
        service.authority().signingRoot().certificate().getSubjectX500Principal(), options.roots().describe(), options.authenticator());
    return service;
  }

  /**
   * Starts a local-mode controller: reads the directory (a missing or invalid one is reported in
   * the status and the log, and watched until it is good), then opens both ports.
   *
   * @throws IOException if a port cannot be bound or the directory cannot be watched
   */
  public static MeshController startLocal(LocalOptions options) throws IOException {
    SnapshotDistributor distributor = new SnapshotDistributor(InstantSource.system());
    DirectoryConfigSource input = DirectoryConfigSource.watching(options.configDir());
    Server server = null;
    AdminServer admin = null;
    CertificateSigningService certificates = null;
    try {
      input.start(
          new ConfigSource.Listener() {
            @Override
            public ApplyResult onUpdate(PolicySet policies) {
              distributor.serve(policies);
              return ApplyResult.accepted();
            }

            @Override
            public void onRejected(List<Problem> problems) {
              distributor.refuse(problems);
            }
          });
      IssuanceMetrics metrics = new IssuanceMetrics();
      certificates = certificates(options.certificates(), distributor, metrics);
      server = grpcServer(options.grpcAddress(), distributor, certificates);
      admin =
          AdminServer.start(
              options.adminAddress(), distributor, input::describe, certificates == null ? null : metrics, options.adminTokens());
      log.info("mesh4j controller serving {} on {} (admin on port {})", input.describe(), server.getListenSockets(), admin.port());
      return new MeshController(
          distributor, certificates == null ? List.of(input) : List.of(input, certificates), server, admin, () -> false, certificates);
    } catch (IOException | RuntimeException e) {
      if (server != null) {
        server.shutdownNow();
      }
      if (certificates != null) {
        certificates.close();
      }
      input.close();
      distributor.close();
      throw e;
    }
  }

  /** The port applications connect to. */
  public int grpcPort() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  /** The admin endpoint's port. */
  public int adminPort() {
    return admin.port();
  }

  /** What the controller serves and knows about connected applications. */
  public SnapshotDistributor distributor() {
    return distributor;
  }

  /** Whether this replica writes status now (always false in local mode, which has none to write). */
  public boolean isLeader() {
    return leader.getAsBoolean();
  }

  /**
   * The certificate authority in force (its trust bundle is what workloads trust), or null when
   * this controller hosts none.
   */
  public @Nullable CertificateAuthority certificateAuthority() {
    CertificateSigningService c = certificates;
    return c == null ? null : c.authority();
  }

  /** Blocks until the gRPC server stops. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Closes the streams (applications keep what they hold and reconnect), then everything else. */
  @Override
  public void close() {
    for (AutoCloseable input : inputs) {
      try {
        input.close();
      } catch (Exception e) {
        log.warn("Closing {} failed", input, e);
      }
    }
    distributor.endStreams();
    server.shutdown();
    try {
      if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
        server.shutdownNow();
        server.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    admin.close();
    distributor.close();
  }
}
