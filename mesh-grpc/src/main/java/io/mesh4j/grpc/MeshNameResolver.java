package io.mesh4j.grpc;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Resolves {@code mesh:///<destination>}: reports the destination as the channel's authority,
 * selects the {@code mesh4j_endpoint} load balancer through the service config, and reports the
 * destination's endpoints as the channel's addresses, again after every policy update that
 * changes them. The load balancer connects to each reported endpoint ahead of the first call and
 * shuts down the subchannels of endpoints that left, once no new attempt can be sent there.
 *
 * <p>The mesh tells the resolver about changes on the thread that applied the policy; the
 * resolver hands them to the channel's synchronization context, where everything else it does
 * runs, as grpc-java requires of {@link NameResolver.Listener2}.
 */
final class MeshNameResolver extends NameResolver {

  private static final Map<String, ?> SERVICE_CONFIG =
      Map.of(
          "loadBalancingConfig",
          List.of(Map.of(MeshLoadBalancerProvider.POLICY_NAME, Map.of())));

  private final String destination;
  private final @Nullable Mesh mesh;
  private final Args args;
  private final SynchronizationContext syncContext;
  // Confined to the synchronization context.
  private @Nullable Listener2 listener;
  private Mesh.@Nullable EndpointWatch watch;

  private final EndpointKey.Addressing addressing;

  MeshNameResolver(
      String destination, @Nullable Mesh mesh, Args args, EndpointKey.Addressing addressing) {
    this.addressing = addressing;
    this.destination = destination;
    this.mesh = mesh;
    this.args = args;
    this.syncContext = args.getSynchronizationContext();
  }

  @Override
  public String getServiceAuthority() {
    return destination;
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    Mesh m = mesh;
    if (m == null) {
      listener.onError(
          Status.FAILED_PRECONDITION.withDescription(
              "mesh4j: no Mesh for "
                  + (addressing == EndpointKey.Addressing.IN_PROCESS
                      ? MeshNameResolverProvider.IN_PROCESS_SCHEME + ":///" + destination
                          + "; build the channel with MeshChannels.inProcessBuilderForService(mesh, \""
                      : MeshNameResolverProvider.SCHEME + ":///" + destination
                          + "; build the channel with MeshChannels.forService(mesh, \"")
                  + destination
                  + "\") or pass setNameResolverArg(MeshNameResolverProvider.MESH, mesh)"));
      return;
    }
    // The watch reports the current endpoints at once, then every change.
    // The channel reports its connections, so that picks prefer endpoints it can reach at once.
    watch =
        m.watchEndpoints(
            destination, endpoints -> syncContext.execute(() -> report(endpoints)), true);
  }

  @Override
  public void refresh() {
    Mesh m = mesh;
    if (m != null && listener != null) {
      report(m.endpoints(destination));
    }
  }

  private void report(List<Endpoint> endpoints) {
    Listener2 l = listener;
    if (l == null) {
      return;
    }
    List<EquivalentAddressGroup> groups = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      EndpointKey key = new EndpointKey(e.address(), e.port());
      groups.add(EndpointKey.group(key, e.grpcDialPort(), addressing));
    }
    ConfigOrError config = args.getServiceConfigParser().parseServiceConfig(SERVICE_CONFIG);
    l.onResult2(
        ResolutionResult.newBuilder()
            .setAddressesOrError(StatusOr.fromValue(groups))
            .setServiceConfig(config)
            .setAttributes(
                Attributes.newBuilder()
                    .set(EndpointKey.ADDRESSING, addressing)
                    .set(EndpointKey.CONNECTIONS, this::connectionState)
                    .build())
            .build());
  }

  private void connectionState(EndpointKey endpoint, boolean ready) {
    Mesh.EndpointWatch w = watch;
    if (w != null) {
      w.connectionState(endpoint.address(), endpoint.port(), ready);
    }
  }

  @Override
  public void shutdown() {
    listener = null;
    Mesh.EndpointWatch w = watch;
    watch = null;
    if (w != null) {
      w.close();
    }
  }
}
