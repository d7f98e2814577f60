package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.ROUTE_ALL;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import io.mesh4j.core.testing.TestMesh;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The endpoint load balancer's connection management, against real servers on loopback. */
class MeshLoadBalancerTest {

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  @Test
  @Timeout(60)
  void connectionToAnEndpointTheEngineStoppedChoosingIsClosedAfterAnIdlePeriod() {
    String policy = "mesh4j_endpoint_short_idle";
    MeshLoadBalancerProvider provider =
        new MeshLoadBalancerProvider(policy, TimeUnit.SECONDS.toNanos(1));
    LoadBalancerRegistry.getDefaultRegistry().register(provider);
    grpc.register(() -> LoadBalancerRegistry.getDefaultRegistry().deregister(provider));
    TestMesh mesh = grpc.register(new TestMesh());
    Backend old = grpc.backend("old");
    Backend replacement = grpc.backend("replacement");
    mesh.apply(endpoints(old.port(), "v1") + ROUTE_ALL);
    MeshChannels.registerProviders();
    ManagedChannel channel =
        grpc.channel(
            Grpc.newChannelBuilder("mesh:///" + CATALOG, InsecureChannelCredentials.create())
                .setNameResolverArg(MeshNameResolverProvider.MESH, mesh.mesh())
                .intercept(MeshChannels.clientInterceptor(mesh.mesh()))
                // The resolver's service config would select the standard provider.
                .disableServiceConfigLookUp()
                .defaultLoadBalancingPolicy(policy)
                .build());
    assertThat(call(channel)).isEqualTo("old");
    assertThat(old.connections()).isEqualTo(1);

    mesh.apply(endpoints(replacement.port(), "v1") + ROUTE_ALL);

    // grpc-java closes a shut-down subchannel's connection five seconds later, for picks in flight.
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> {
              assertThat(call(channel)).isEqualTo("replacement");
              assertThat(old.connections()).isZero();
            });
    assertThat(replacement.connections()).isEqualTo(1);
  }

  private static String call(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "hi");
  }

  @Test
  @Timeout(60)
  void channelConnectsToEveryEndpointBeforeItsFirstCallAndLetsRemovedEndpointsGo() {
    TestMesh mesh = grpc.register(new TestMesh());
    Backend a = grpc.backend("a");
    Backend b = grpc.backend("b");
    Backend c = grpc.backend("c");
    mesh.apply(endpoints(a.port(), "v1", b.port(), "v1") + ROUTE_ALL);
    ManagedChannel channel = grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));

    channel.getState(true);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> a.connections() == 1 && b.connections() == 1);
    assertThat(a.calls() + b.calls()).isZero();

    mesh.apply(endpoints(a.port(), "v1", c.port(), "v1") + ROUTE_ALL);

    await().atMost(Duration.ofSeconds(10)).until(() -> c.connections() == 1);
    assertThat(c.calls()).isZero();
    // grpc-java closes a shut-down subchannel's connection five seconds later, for picks in flight.
    await().atMost(Duration.ofSeconds(20)).until(() -> b.connections() == 0);
    assertThat(a.connections()).isEqualTo(1);
  }

  @Test
  @Timeout(60)
  void connectionOpenedOnDemandForAMirrorShadowIsClosedAfterAnIdlePeriod() {
    String policy = "mesh4j_endpoint_short_idle_mirror";
    MeshLoadBalancerProvider provider =
        new MeshLoadBalancerProvider(policy, TimeUnit.SECONDS.toNanos(1));
    LoadBalancerRegistry.getDefaultRegistry().register(provider);
    grpc.register(() -> LoadBalancerRegistry.getDefaultRegistry().deregister(provider));
    TestMesh mesh = grpc.register(new TestMesh());
    Backend primary = grpc.backend("primary");
    Backend shadow = grpc.backend("shadow");
    String shadowEndpoints =
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: shadow, namespace: shop}
        spec:
          service: shadow.shop
          endpoints:
            - {address: 127.0.0.1, port: %d}
        ---
        """
            .formatted(shadow.port());
    String mirrored =
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          rules: [{backends: [{}], mirror: {destination: shadow.shop, percent: 100}}]
        """;
    mesh.apply(endpoints(primary.port(), "v1") + shadowEndpoints + mirrored);
    MeshChannels.registerProviders();
    ManagedChannel channel =
        grpc.channel(
            Grpc.newChannelBuilder("mesh:///" + CATALOG, InsecureChannelCredentials.create())
                .setNameResolverArg(MeshNameResolverProvider.MESH, mesh.mesh())
                .intercept(MeshChannels.clientInterceptor(mesh.mesh()))
                .disableServiceConfigLookUp()
                .defaultLoadBalancingPolicy(policy)
                .build());
    assertThat(call(channel)).isEqualTo("primary");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> shadow.calls() == 1 && shadow.connections() == 1);

    mesh.apply(endpoints(primary.port(), "v1") + shadowEndpoints + ROUTE_ALL);
    assertThat(call(channel)).isEqualTo("primary");

    // The shadow is not one of the channel's endpoints, so only the idle sweep lets it go.
    await().atMost(Duration.ofSeconds(20)).until(() -> shadow.connections() == 0);
    assertThat(primary.connections()).isEqualTo(1);
    assertThat(shadow.calls()).isEqualTo(1);
  }
}
