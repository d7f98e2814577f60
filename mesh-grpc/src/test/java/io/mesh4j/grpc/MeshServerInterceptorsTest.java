package io.mesh4j.grpc;

import static io.mesh4j.grpc.testing.TestMesh.CATALOG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import io.mesh4j.grpc.testing.TestMesh;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The server-side interceptor in front of a real gRPC server on loopback. */
class MeshServerInterceptorsTest {

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  @Test
  @Timeout(30)
  void callsOverTheServerRateLimitFailWithResourceExhaustedAndTheMeshReason() {
    TestMesh server = grpc.register(new TestMesh());
    // A bucket of two that refills far slower than the test runs.
    server.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: DestinationPolicy
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          serverRateLimit: {requestsPerSecond: 0.001, burst: 2}
        """);
    Backend backend =
        grpc.backend("limited", MeshServerInterceptors.forService(server.mesh(), CATALOG));
    ManagedChannel channel =
        grpc.channel(
            NettyChannelBuilder.forAddress("127.0.0.1", backend.port()).usePlaintext().build());

    assertThat(call(channel)).isEqualTo("limited");
    assertThat(call(channel)).isEqualTo("limited");
    assertThatThrownBy(() -> call(channel))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription())
                  .startsWith("mesh4j: rate limited for " + CATALOG);
            });
    assertThat(backend.calls()).isEqualTo(2);
  }

  @Test
  @Timeout(30)
  void serviceWithoutALimitAdmitsEveryCall() {
    TestMesh server = grpc.register(new TestMesh());
    server.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: DestinationPolicy
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
        """);
    Backend backend =
        grpc.backend("open", MeshServerInterceptors.forService(server.mesh(), CATALOG));
    ManagedChannel channel =
        grpc.channel(
            NettyChannelBuilder.forAddress("127.0.0.1", backend.port()).usePlaintext().build());

    for (int i = 0; i < 20; i++) {
      assertThat(call(channel)).isEqualTo("open");
    }
  }

  private static String call(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "hi");
  }
}
