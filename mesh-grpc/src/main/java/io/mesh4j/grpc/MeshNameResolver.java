package io.mesh4j.grpc;

import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.mesh4j.core.Mesh;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Resolves {@code mesh:///<destination>}: reports the destination as the channel's authority and
 * selects the {@code mesh4j_endpoint} load balancer through the service config. Endpoints need not
 * be listed: the engine names one for every attempt, and the load balancer connects to each
 * endpoint the first time it is named.
 *
 * <p>Used by the channel from its synchronization context.
 */
final class MeshNameResolver extends NameResolver {

  private static final Map<String, ?> SERVICE_CONFIG =
      Map.of(
          "loadBalancingConfig",
          List.of(Map.of(MeshLoadBalancerProvider.POLICY_NAME, Map.of())));

  private final String destination;
  private final @Nullable Mesh mesh;
  private final Args args;
  private @Nullable Listener2 listener;

  MeshNameResolver(String destination, @Nullable Mesh mesh, Args args) {
    this.destination = destination;
    this.mesh = mesh;
    this.args = args;
  }

  @Override
  public String getServiceAuthority() {
    return destination;
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    resolve();
  }

  @Override
  public void refresh() {
    resolve();
  }

  private void resolve() {
    Listener2 l = listener;
    if (l == null) {
      return;
    }
    if (mesh == null) {
      l.onError(
          Status.FAILED_PRECONDITION.withDescription(
              "mesh4j: no Mesh for mesh:///"
                  + destination
                  + "; build the channel with MeshChannels.forService(mesh, \""
                  + destination
                  + "\") or pass setNameResolverArg(MeshNameResolverProvider.MESH, mesh)"));
      return;
    }
    ConfigOrError config = args.getServiceConfigParser().parseServiceConfig(SERVICE_CONFIG);
    l.onResult2(
        ResolutionResult.newBuilder()
            .setAddressesOrError(StatusOr.fromValue(List.of()))
            .setServiceConfig(config)
            .build());
  }

  @Override
  public void shutdown() {
    listener = null;
  }
}
