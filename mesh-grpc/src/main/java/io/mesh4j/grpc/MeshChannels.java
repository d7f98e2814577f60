package io.mesh4j.grpc;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolverRegistry;
import io.grpc.TlsChannelCredentials;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.tls.MeshTls;
import java.util.Objects;

/**
 * Channels whose calls are routed, balanced, retried and guarded by a {@link Mesh}.
 *
 * <pre>{@code
 * ManagedChannel channel = MeshChannels.forService(mesh, "catalog.shop");
 * CatalogGrpc.CatalogBlockingStub catalog = CatalogGrpc.newBlockingStub(channel);
 * }</pre>
 *
 * <p>A mesh channel targets {@code mesh:///<destination>}: the {@code mesh} name resolver names the
 * destination, the {@code mesh4j_endpoint} load balancer keeps a connection per endpoint, and the
 * mesh interceptor plans every call with the engine, sends each attempt to the endpoint the engine
 * chose, settles it, and retries when the engine says so. Calls the mesh refuses fail with the
 * status the engine names ({@code UNAVAILABLE}, {@code RESOURCE_EXHAUSTED}, {@code
 * DEADLINE_EXCEEDED}) and the engine's message as description.
 *
 * <p>The mesh interceptor must be the channel's innermost one, so that other interceptors see each
 * logical call once, not each attempt. grpc-java runs the interceptor added first last, so {@link
 * #builderForService} adds it before anything else; on a hand-built channel, add it first. The
 * builders turn grpc-java's own retries off ({@code disableRetry()}; do the same on a hand-built
 * channel): the mesh retries with per-try timeouts and a budget, and sends a request that never
 * left again once even without a retry policy, as grpc-java's transparent retry would. That retry
 * layer would otherwise cost every call over Netty about 2.9 KB (benchmarks/README.md). Thread-safe.
 */
public final class MeshChannels {

  private MeshChannels() {}

  /** A plaintext channel to {@code destination} ({@code name.namespace}). */
  public static ManagedChannel forService(Mesh mesh, String destination) {
    return builderForService(mesh, destination).build();
  }

  /**
   * A plaintext channel builder for {@code destination}, for adding executors, interceptors
   * (which then run before the mesh's) or limits before building.
   */
  public static ManagedChannelBuilder<?> builderForService(Mesh mesh, String destination) {
    return builderForService(mesh, destination, InsecureChannelCredentials.create());
  }

  /**
   * A mutual-TLS channel to {@code destination}, presenting the mesh's workload certificate and
   * verifying each endpoint by the SPIFFE ID the policy gives it; see {@link
   * #builderForService(Mesh, String, MeshTls)}.
   */
  public static ManagedChannel forServiceWithMtls(Mesh mesh, String destination) {
    return builderForService(mesh, destination, MeshTls.forMesh(mesh)).build();
  }

  /**
   * A mutual-TLS channel builder for {@code destination}. Each endpoint gets its own connection
   * whose authority is the endpoint's {@code address:port}; the TLS handshake therefore knows
   * which endpoint it dials, and {@code tls}'s trust manager requires the certificate to carry
   * that endpoint's SPIFFE ID from the policy ({@code ServiceEndpoints} {@code identity}), or
   * any ID of the trust domain when the policy names none. Host names are never checked. The
   * channel presents the workload's current certificate at every handshake, so certificate
   * rotation needs no new channel; live connections keep the certificate they started with.
   * The mesh still plans every call for {@code destination} (the channel's authority); the
   * {@code :authority} header servers see is the endpoint's {@code address:port}.
   */
  public static ManagedChannelBuilder<?> builderForService(
      Mesh mesh, String destination, MeshTls tls) {
    Objects.requireNonNull(tls, "tls");
    ChannelCredentials credentials =
        TlsChannelCredentials.newBuilder()
            .keyManager(tls.keyManager())
            .trustManager(tls.clientTrustManager(tls.expectedPeers(destination)))
            .build();
    return builderForService(mesh, destination, credentials)
        .setNameResolverArg(MeshNameResolverProvider.PER_ENDPOINT_AUTHORITY, true);
  }

  /** A channel builder for {@code destination} that connects with {@code credentials}. */
  public static ManagedChannelBuilder<?> builderForService(
      Mesh mesh, String destination, ChannelCredentials credentials) {
    Objects.requireNonNull(credentials, "credentials");
    checkDestination(destination);
    registerProviders();
    return underMesh(
        Grpc.newChannelBuilder(MeshNameResolverProvider.SCHEME + ":///" + destination, credentials),
        mesh);
  }

  /**
   * A channel builder for {@code destination} on grpc-java's in-process transport, for tests: the
   * mesh routes, balances, retries and guards its calls as on any mesh channel, and an attempt to
   * an endpoint {@code address:port} goes to the in-process server of that name ({@code
   * InProcessServerBuilder.forName("10.0.0.7:8080")}; with a {@code grpcPort}, that port). An
   * endpoint with no such server fails its attempts with {@code UNAVAILABLE}, as an endpoint
   * nobody listens on does. Needs {@code io.grpc:grpc-inprocess} on the class path.
   */
  public static ManagedChannelBuilder<?> inProcessBuilderForService(Mesh mesh, String destination) {
    checkDestination(destination);
    registerProviders();
    InProcessRegistration.ensure();
    return underMesh(
        InProcessEndpoints.channelBuilder(
            MeshNameResolverProvider.IN_PROCESS_SCHEME + ":///" + destination),
        mesh);
  }

  private static void checkDestination(String destination) {
    if (destination.isEmpty() || destination.contains("/")) {
      throw new IllegalArgumentException(
          "mesh4j: destination must be <service>.<namespace>, got '" + destination + "'");
    }
  }

  /** What every mesh channel has: its mesh, no retries of grpc-java's, the mesh's interceptor. */
  private static ManagedChannelBuilder<?> underMesh(ManagedChannelBuilder<?> builder, Mesh mesh) {
    Objects.requireNonNull(mesh, "mesh");
    return builder
        .setNameResolverArg(MeshNameResolverProvider.MESH, mesh)
        .disableRetry()
        .intercept(clientInterceptor(mesh));
  }

  /**
   * The interceptor that puts a channel's calls under the mesh. Only needed for channels built by
   * hand on a {@code mesh:///} target; {@link #builderForService} adds it already. The destination
   * of each call is the channel's authority.
   */
  public static ClientInterceptor clientInterceptor(Mesh mesh) {
    return new MeshClientInterceptor(mesh.outbound());
  }

  /**
   * Registers the {@code mesh} name resolver and the {@code mesh4j_endpoint} load balancer with
   * grpc-java's default registries, for class paths where service-loader files were lost (for
   * example in shaded jars). Idempotent; the builders above call it.
   */
  public static void registerProviders() {
    Registration.ensure();
  }

  /** Registers once per class loader; class initialization makes it thread-safe. */
  private static final class Registration {
    static {
      NameResolverRegistry resolvers = NameResolverRegistry.getDefaultRegistry();
      if (!(resolvers.getProviderForScheme(MeshNameResolverProvider.SCHEME)
          instanceof MeshNameResolverProvider)) {
        resolvers.register(new MeshNameResolverProvider());
      }
      LoadBalancerRegistry balancers = LoadBalancerRegistry.getDefaultRegistry();
      if (!(balancers.getProvider(MeshLoadBalancerProvider.POLICY_NAME)
          instanceof MeshLoadBalancerProvider)) {
        balancers.register(new MeshLoadBalancerProvider());
      }
    }

    private Registration() {}

    /** Runs the static initializer on first use; nothing after. */
    static void ensure() {}
  }

  /** Registers the {@code mesh-in-process} resolver once, when an in-process channel is built. */
  private static final class InProcessRegistration {
    static {
      NameResolverRegistry resolvers = NameResolverRegistry.getDefaultRegistry();
      if (!(resolvers.getProviderForScheme(MeshNameResolverProvider.IN_PROCESS_SCHEME)
          instanceof MeshNameResolverProvider)) {
        resolvers.register(MeshNameResolverProvider.inProcess());
      }
    }

    private InProcessRegistration() {}

    static void ensure() {}
  }
}
