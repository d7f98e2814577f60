package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.LoadBalancerProvider;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverProvider;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import io.mesh4j.core.testing.TestMesh;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The {@code mesh} scheme used directly, as a user would without {@link MeshChannels}. */
class MeshNameResolverProviderTest {

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  @Test
  void serviceLoaderFindsTheResolverAndTheBalancer() {
    assertThat(ServiceLoader.load(NameResolverProvider.class))
        .anySatisfy(p -> assertThat(p).isInstanceOf(MeshNameResolverProvider.class));
    assertThat(ServiceLoader.load(LoadBalancerProvider.class))
        .anySatisfy(p -> assertThat(p).isInstanceOf(MeshLoadBalancerProvider.class));
  }

  @Test
  @Timeout(30)
  void handBuiltChannelOnAMeshTargetRoutesThroughTheMesh() {
    TestMesh mesh = grpc.register(new TestMesh());
    Backend backend = grpc.backend("only");
    mesh.apply(
        endpoints(backend.port(), "v1")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              rules: [{backends: [{}]}]
            """);
    MeshChannels.registerProviders();
    ManagedChannel channel =
        grpc.channel(
            Grpc.newChannelBuilder("mesh:///" + CATALOG, InsecureChannelCredentials.create())
                .setNameResolverArg(MeshNameResolverProvider.MESH, mesh.mesh())
                .intercept(MeshChannels.clientInterceptor(mesh.mesh()))
                .build());

    assertThat(channel.authority()).isEqualTo(CATALOG);
    assertThat(ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "hi"))
        .isEqualTo("only");
  }

  @Test
  @Timeout(30)
  void meshTargetWithoutAMeshFailsCallsWithAnExplanation() {
    MeshChannels.registerProviders();
    ManagedChannel channel =
        grpc.channel(
            Grpc.newChannelBuilder("mesh:///" + CATALOG, InsecureChannelCredentials.create())
                .build());

    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    channel, EchoService.UNARY, CallOptions.DEFAULT, "hi"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e ->
                assertThat(e.getStatus().getDescription())
                    .contains("no Mesh for mesh:///" + CATALOG));
  }
}
