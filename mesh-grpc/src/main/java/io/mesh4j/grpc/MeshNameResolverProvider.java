package io.mesh4j.grpc;

import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.mesh4j.core.Mesh;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code mesh} name-resolver scheme: {@code mesh:///catalog.shop} resolves to the endpoints
 * the {@link Mesh} knows for destination {@code catalog.shop} and selects the {@link
 * MeshLoadBalancerProvider#POLICY_NAME mesh4j_endpoint} load balancer. The mesh is passed per
 * channel with {@code ManagedChannelBuilder.setNameResolverArg(MeshNameResolverProvider.MESH,
 * mesh)}; {@link MeshChannels} does that, and also adds the interceptor the channel needs.
 *
 * <p>Registered through {@link java.util.ServiceLoader}, and explicitly by {@link MeshChannels}.
 * A target without a mesh argument fails resolution with a status that says so. A second
 * instance, {@code mesh-in-process}, addresses the endpoints as grpc-java's in-process servers
 * for channels on the in-process transport ({@link MeshChannels#inProcessBuilderForService}); it
 * is registered only when such a channel is built.
 *
 * <p>Thread-safe (immutable).
 */
public final class MeshNameResolverProvider extends NameResolverProvider {

  /** The URI scheme. */
  public static final String SCHEME = "mesh";

  /** The name-resolver argument carrying the {@link Mesh} a channel resolves against. */
  public static final NameResolver.Args.Key<Mesh> MESH = NameResolver.Args.Key.create("mesh4j.mesh");

  /**
   * The name-resolver argument that, when {@code true}, gives each endpoint's connection the
   * endpoint's own {@code address:port} as authority. TLS channels need it: the authority is the
   * peer host and port of the TLS engine, which the mesh's trust manager uses to find the SPIFFE
   * ID the endpoint must present. {@link MeshChannels#builderForService(Mesh, String,
   * io.mesh4j.core.tls.MeshTls)} sets it.
   */
  public static final NameResolver.Args.Key<Boolean> PER_ENDPOINT_AUTHORITY =
      NameResolver.Args.Key.create("mesh4j.perEndpointAuthority");

  /** The scheme of channels on grpc-java's in-process transport. */
  static final String IN_PROCESS_SCHEME = "mesh-in-process";

  private final String scheme;
  private final boolean inProcess;

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public MeshNameResolverProvider() {
    this(SCHEME, false);
  }

  private MeshNameResolverProvider(String scheme, boolean inProcess) {
    this.scheme = scheme;
    this.inProcess = inProcess;
  }

  /** The provider of {@code mesh-in-process:///<destination>}. */
  static MeshNameResolverProvider inProcess() {
    return new MeshNameResolverProvider(IN_PROCESS_SCHEME, true);
  }

  @Override
  public @Nullable NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!scheme.equals(targetUri.getScheme())) {
      return null;
    }
    String path = targetUri.getPath();
    String destination = path == null ? "" : path.startsWith("/") ? path.substring(1) : path;
    if (destination.isEmpty() || destination.contains("/")) {
      throw new IllegalArgumentException(
          "mesh4j: target must be " + scheme + ":///<service>.<namespace>, got " + targetUri);
    }
    Mesh mesh = args.getArg(MESH);
    EndpointKey.Addressing addressing =
        inProcess
            ? EndpointKey.Addressing.IN_PROCESS
            : Boolean.TRUE.equals(args.getArg(PER_ENDPOINT_AUTHORITY))
                ? EndpointKey.Addressing.SOCKET_ENDPOINT_AUTHORITY
                : EndpointKey.Addressing.SOCKET;
    return new MeshNameResolver(destination, mesh, args, addressing);
  }

  @Override
  public String getDefaultScheme() {
    return scheme;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    // Below DNS (5): the registry's default scheme follows the highest priority, and targets
    // without a scheme must keep resolving through DNS.
    return 3;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return inProcess ? InProcessEndpoints.ADDRESS_TYPES : List.of(InetSocketAddress.class);
  }
}
