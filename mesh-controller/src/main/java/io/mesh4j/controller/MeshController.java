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
import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.controller.serve.PolicyStreamService;
import io.mesh4j.controller.serve.SnapshotDistributor;
import io.mesh4j.controller.serve.WorkloadCertificates;
import io.mesh4j.controller.xds.XdsServer;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import io.mesh4j.core.identity.Pem;
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

  /**
   * The file name of the CA trust bundle a local-mode controller writes beside its token file,
   * where local applications find it ({@code mesh4j.identity.trusted-roots}).
   */
  public static final String ROOT_FILE = "mesh4j-ca-root.pem";

  /** How long the controller's TLS serving certificate lasts; a restart signs a new one. */
  private static final Duration SERVING_LIFETIME = Duration.ofDays(90);

  /**
   * Where a local-mode controller reads and listens.
   *
   * @param configDir the watched directory of mesh4j YAML
   * @param grpcAddress where applications connect (port 0 picks a free one)
   * @param adminAddress where the admin endpoint listens (port 0 picks a free one)
   * @param security how the gRPC port is protected
   * @param adminTokens the bearer tokens the admin endpoint requires, or null for none (loopback only)
   * @param xdsPlaintextAddress when not null, xDS is also served here without TLS (streams are
   *     still authenticated when {@code security} has an authenticator), for peers that cannot do
   *     TLS; logged as a warning at every start
   */
  public record LocalOptions(
      Path configDir,
      InetSocketAddress grpcAddress,
      InetSocketAddress adminAddress,
      Security security,
      @Nullable AdminTokens adminTokens,
      @Nullable InetSocketAddress xdsPlaintextAddress) {

    /** Options for a controller whose admin endpoint is open (loopback only). */
    public LocalOptions(Path configDir, InetSocketAddress grpcAddress, InetSocketAddress adminAddress, Security security) {
      this(configDir, grpcAddress, adminAddress, security, null, null);
    }

    /** Options without a plaintext xDS listener. */
    public LocalOptions(
        Path configDir, InetSocketAddress grpcAddress, InetSocketAddress adminAddress, Security security,
        @Nullable AdminTokens adminTokens) {
      this(configDir, grpcAddress, adminAddress, security, adminTokens, null);
    }

    /** The same options, also serving xDS without TLS on {@code address}. */
    public LocalOptions withXdsPlaintext(InetSocketAddress address) {
      return new LocalOptions(configDir, grpcAddress, adminAddress, security, adminTokens, address);
    }
  }

  /**
   * How the gRPC port (policy stream and certificate service) is protected. {@link #tls} is the
   * default everywhere the controller is deployed; the others are explicit choices, each logged
   * as a warning at every start.
   *
   * @param authenticator checks the bearer token of every stream and certificate request; null
   *     only for {@link #none()}
   * @param roots the certificate authority's root store, or null for no certificate authority
   * @param tlsNames when not empty, the port is served over TLS with a certificate from the CA
   *     root naming these DNS names and IP addresses
   * @param rootFile when not null, the CA's trust bundle is written to this PEM file at start, so
   *     local applications can trust the controller without copying the root by hand
   */
  public record Security(
      @Nullable WorkloadAuthenticator authenticator,
      @Nullable RootStore roots,
      List<String> tlsNames,
      @Nullable Path rootFile) {

    public Security {
      tlsNames = List.copyOf(tlsNames);
      if (!tlsNames.isEmpty() && roots == null) {
        throw new IllegalArgumentException("TLS needs the certificate authority's root store");
      }
      if (roots != null && authenticator == null) {
        throw new IllegalArgumentException("a certificate authority needs an authenticator");
      }
    }

    /** TLS from the CA root, every stream and certificate request authenticated: the default. */
    public static Security tls(RootStore roots, WorkloadAuthenticator authenticator, List<String> tlsNames) {
      if (tlsNames.isEmpty()) {
        throw new IllegalArgumentException("TLS needs at least one DNS name or IP address for the serving certificate");
      }
      return new Security(authenticator, roots, tlsNames, null);
    }

    /**
     * Authenticated but plaintext: bearer tokens and policy cross the network in clear. For a
     * port that only loopback reaches, or one behind a TLS-terminating proxy.
     *
     * @param roots the certificate authority's root store, or null for none
     */
    public static Security plaintext(WorkloadAuthenticator authenticator, @Nullable RootStore roots) {
      return new Security(authenticator, roots, List.of(), null);
    }

    /**
     * No TLS, no authentication, no certificate authority: every stream is believed on its word,
     * so any peer can read any application's policy. For tests and single-user machines only.
     */
    public static Security none() {
      return new Security(null, null, List.of(), null);
    }

    /** The same, also writing the CA's trust bundle to {@code file} at start. */
    public Security withRootFile(Path file) {
      return new Security(authenticator, roots, tlsNames, file);
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
   * @param security how the gRPC port is protected
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
      Security security,
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
        Security security) {
      this(client, leaseNamespace, leaseName, identity, leaseDuration, grpcAddress, adminAddress, security, null);
    }
  }

  private final SnapshotDistributor distributor;
  private final List<AutoCloseable> inputs;
  private final Server server;
  private final XdsServer xds;
  private final @Nullable Server xdsPlaintext;
  private final AdminServer admin;
  private final BooleanSupplier leader;
  private final @Nullable CertificateSigningService certificates;

  private MeshController(
      SnapshotDistributor distributor,
      List<AutoCloseable> inputs,
      Server server,
      XdsServer xds,
      @Nullable Server xdsPlaintext,
      AdminServer admin,
      BooleanSupplier leader,
      @Nullable CertificateSigningService certificates) {
    this.distributor = distributor;
    this.inputs = inputs;
    this.server = server;
    this.xds = xds;
    this.xdsPlaintext = xdsPlaintext;
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
    XdsServer xds = XdsServer.start(distributor);
    Leadership leadership = new Leadership();
    KubernetesWorld world = new KubernetesWorld(options.client(), distributor, leadership::isLeader, InstantSource.system());
    Server server = null;
    CertificateSigningService certificates = null;
    RootConfigMaps rootConfigMaps = null;
    try {
      world.start();
      IssuanceMetrics metrics = new IssuanceMetrics();
      certificates = certificates(options.security(), distributor, metrics);
      if (certificates != null) {
        CertificateSigningService ca = certificates;
        rootConfigMaps =
            new RootConfigMaps(
                options.client(), leadership::isLeader, () -> ca.authority().trustBundle(),
                options.security().authenticator() instanceof TokenReviewAuthenticator t ? t.audience() : null);
        rootConfigMaps.start();
        ca.onRootsChanged(rootConfigMaps::changed);
        world.observe(rootConfigMaps::observed);
      }
      server = grpcServer(options.grpcAddress(), distributor, xds, options.security(), certificates);
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
      return new MeshController(distributor, List.copyOf(inputs), server, xds, null, admin, leadership::isLeader, certificates);
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

  // A Nack with thousands of problems fits; a CSR is a few hundred bytes. Larger is an attack.
  private static final int MAX_INBOUND_MESSAGE_BYTES = 1024 * 1024;

  private static Server grpcServer(
      InetSocketAddress address,
      SnapshotDistributor distributor,
      XdsServer xds,
      Security security,
      @Nullable CertificateSigningService certificates)
      throws IOException {
    ServerCredentials credentials = InsecureServerCredentials.create();
    if (certificates != null && certificates.servingKeyManager() != null) {
      CertificateSigningService ca = certificates;
      credentials =
          TlsServerCredentials.newBuilder()
              // read at every handshake, so the certificate follows a root rotation without a restart
              .keyManager(certificates.servingKeyManager())
              // an application that holds a mesh certificate may prove itself with it, not a token
              .trustManager(new WorkloadCertificates(() -> ca.authority().trustBundle(), () -> distributor.settings().trustDomain()))
              .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
              .build();
      log.info("Serving gRPC over TLS with {}", certificates.serving());
    } else if (security.authenticator() != null) {
      log.warn("SECURITY: the controller's gRPC port is PLAINTEXT: workload tokens and policy cross the network in clear");
    } else {
      log.warn("SECURITY: the controller runs WITHOUT authentication or TLS: any peer can read any application's"
          + " policy and claim any identity; for tests and single-user machines only");
    }
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(address, credentials)
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
            .maxInboundMetadataSize(32 * 1024)
            // connections that never open a stream (or whose streams were refused) do not stay
            .maxConnectionIdle(5, TimeUnit.MINUTES)
            // A fixed window, not grpc-java's automatic one, which pings every peer after each
            // message it reads to measure bandwidth: small messages to thousands of peers gain
            // nothing from that but a ping and its answer per message.
            .flowControlWindow(NettyServerBuilder.DEFAULT_FLOW_CONTROL_WINDOW)
            .addService(PolicyStreamService.definition(distributor, security.authenticator()))
            // xDS for gRPC's proxyless clients, behind the same TLS and authentication
            .addService(xds.definition(security.authenticator()));
    if (certificates != null) {
      builder.addService(certificates.definition());
    }
    return builder.build().start();
  }

  /** xDS alone, without TLS: only when the options ask for it, and said loudly. */
  private static @Nullable Server xdsPlaintextServer(@Nullable InetSocketAddress address, XdsServer xds, Security security)
      throws IOException {
    if (address == null) {
      return null;
    }
    Server server =
        NettyServerBuilder.forAddress(address, InsecureServerCredentials.create())
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
            .maxInboundMetadataSize(32 * 1024)
            .maxConnectionIdle(5, TimeUnit.MINUTES)
            .addService(xds.definition(security.authenticator()))
            .build()
            .start();
    log.warn("SECURITY: xDS is also served in PLAINTEXT on {}{}: policy (and tokens) cross the network in clear",
        server.getListenSockets(), security.authenticator() == null ? ", without authentication" : "");
    return server;
  }

  /** Writes the trust bundle whole, then moves it, so an application never reads half of one. */
  private static void writeTrustBundle(Path file, CertificateSigningService service) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, Pem.certificates(service.authority().trustBundle()), StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      log.info("Wrote the CA trust bundle to {}", file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot write the CA trust bundle to " + file, e);
    }
  }

  /** Loads or creates the CA root for the trust domain of the world just served. */
  private static @Nullable CertificateSigningService certificates(
      Security options, SnapshotDistributor distributor, IssuanceMetrics metrics) throws IOException {
    RootStore roots = options.roots();
    WorkloadAuthenticator authenticator = options.authenticator();
    if (roots == null || authenticator == null) {
      return null;
    }
    CertificateSigningService service =
        CertificateSigningService.start(
            roots, authenticator, options.tlsNames(), SERVING_LIFETIME, distributor::settings, metrics, InstantSource.system());
    log.info("Certificate authority: root {} from {}, callers checked by {}",
        service.authority().signingRoot().certificate().getSubjectX500Principal(), roots.describe(), authenticator);
    Path rootFile = options.rootFile();
    if (rootFile != null) {
      writeTrustBundle(rootFile, service);
      // kept current through root rotation, which the store's watch hands to the service
      service.onRootsChanged(() -> writeTrustBundle(rootFile, service));
    }
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
    XdsServer xds = XdsServer.start(distributor);
    DirectoryConfigSource input = DirectoryConfigSource.watching(options.configDir());
    Server server = null;
    Server xdsPlaintext = null;
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
      certificates = certificates(options.security(), distributor, metrics);
      server = grpcServer(options.grpcAddress(), distributor, xds, options.security(), certificates);
      xdsPlaintext = xdsPlaintextServer(options.xdsPlaintextAddress(), xds, options.security());
      admin =
          AdminServer.start(
              options.adminAddress(), distributor, input::describe, certificates == null ? null : metrics, options.adminTokens());
      log.info("mesh4j controller serving {} on {} (admin on port {})", input.describe(), server.getListenSockets(), admin.port());
      return new MeshController(
          distributor, certificates == null ? List.of(input) : List.of(input, certificates), server, xds, xdsPlaintext, admin,
          () -> false, certificates);
    } catch (IOException | RuntimeException e) {
      if (server != null) {
        server.shutdownNow();
      }
      if (xdsPlaintext != null) {
        xdsPlaintext.shutdownNow();
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

  /**
   * The port of the plaintext xDS listener.
   *
   * @throws IllegalStateException when the options asked for none
   */
  public int xdsPlaintextPort() {
    Server s = xdsPlaintext;
    if (s == null) {
      throw new IllegalStateException("no plaintext xDS listener: LocalOptions.withXdsPlaintext was not used");
    }
    return ((InetSocketAddress) s.getListenSockets().get(0)).getPort();
  }

  /** The xDS face: what it serves and what the policy says that xDS cannot. */
  public XdsServer xds() {
    return xds;
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
    Server plaintext = xdsPlaintext;
    if (plaintext != null) {
      plaintext.shutdownNow();
    }
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
