package io.mesh4j.controller;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mesh4j.controller.serve.AdminServer;
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
   * Where a local-mode controller reads and listens.
   *
   * @param configDir the watched directory of mesh4j YAML
   * @param grpcAddress where applications connect (port 0 picks a free one)
   * @param adminAddress where the admin endpoint listens (port 0 picks a free one)
   */
  public record LocalOptions(Path configDir, InetSocketAddress grpcAddress, InetSocketAddress adminAddress) {}

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
   */
  public record KubernetesOptions(
      KubernetesClient client,
      String leaseNamespace,
      String leaseName,
      String identity,
      Duration leaseDuration,
      InetSocketAddress grpcAddress,
      InetSocketAddress adminAddress) {}

  private final SnapshotDistributor distributor;
  private final List<AutoCloseable> inputs;
  private final Server server;
  private final AdminServer admin;
  private final BooleanSupplier leader;

  private MeshController(
      SnapshotDistributor distributor, List<AutoCloseable> inputs, Server server, AdminServer admin, BooleanSupplier leader) {
    this.distributor = distributor;
    this.inputs = inputs;
    this.server = server;
    this.admin = admin;
    this.leader = leader;
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
    try {
      world.start();
      server = grpcServer(options.grpcAddress(), distributor);
      AdminServer admin = AdminServer.start(options.adminAddress(), distributor, () -> "kubernetes");
      leadership.start(
          options.client(), options.leaseNamespace(), options.leaseName(), options.identity(), options.leaseDuration(), world::rewriteStatus);
      log.info("mesh4j controller {} serving Kubernetes on {} (admin on port {})", options.identity(), server.getListenSockets(), admin.port());
      return new MeshController(distributor, List.of(leadership, world), server, admin, leadership::isLeader);
    } catch (IOException | RuntimeException e) {
      if (server != null) {
        server.shutdownNow();
      }
      leadership.close();
      world.close();
      distributor.close();
      throw e;
    }
  }

  private static Server grpcServer(InetSocketAddress address, SnapshotDistributor distributor) throws IOException {
    return NettyServerBuilder.forAddress(address, InsecureServerCredentials.create())
        .addService(PolicyStreamService.definition(distributor))
        .build()
        .start();
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
      server = grpcServer(options.grpcAddress(), distributor);
      admin = AdminServer.start(options.adminAddress(), distributor, input::describe);
      log.info("mesh4j controller serving {} on {} (admin on port {})", input.describe(), server.getListenSockets(), admin.port());
      return new MeshController(distributor, List.of(input), server, admin, () -> false);
    } catch (IOException | RuntimeException e) {
      if (server != null) {
        server.shutdownNow();
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
