package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.ROUTE_ALL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Endpoints whose gRPC port is not their {@code port} (a Kubernetes Service with an HTTP port and
 * a gRPC port): gRPC channels dial the gRPC port, on loopback against real servers, while the
 * engine keeps naming each endpoint by its {@code port}.
 */
class GrpcPortGrpcTest {

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  private final TestMesh mesh = grpc.register(new TestMesh());

  /** A {@code ServiceEndpoints} document: one endpoint of {@code service} on 127.0.0.1. */
  private static String endpoint(String service, int port, int grpcPort) {
    String[] parts = service.split("\\.");
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: %s, namespace: %s}
        spec:
          service: %s
          endpoints:
            - {address: 127.0.0.1, port: %d, grpcPort: %d}
        ---
        """
        .formatted(parts[0], parts[1], service, port, grpcPort);
  }

  private static String call(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(
        channel, EchoService.UNARY, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "hi");
  }

  @Test
  @Timeout(60)
  void callsGoToTheGrpcPortAndFollowItWhenItChangesWhileTheEndpointKeepsItsName()
      throws IOException {
    Listener http = grpc.register(new Listener());
    Backend a = grpc.backend("a");
    Backend b = grpc.backend("b");
    mesh.apply(endpoint(CATALOG, http.port(), a.port()) + ROUTE_ALL);
    ManagedChannel channel = grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));

    assertThat(call(channel)).isEqualTo("a");
    assertThat(mesh.mesh().endpoints(CATALOG))
        .extracting(Endpoint::authority, Endpoint::grpcDialPort)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("127.0.0.1:" + http.port(), a.port()));

    // Same endpoint (address and port), another gRPC port: its connection moves there.
    mesh.apply(endpoint(CATALOG, http.port(), b.port()) + ROUTE_ALL);
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(() -> assertThat(call(channel)).isEqualTo("b"));
    // grpc-java closes a replaced connection after the picks in flight, within seconds.
    await().atMost(Duration.ofSeconds(20)).until(() -> a.connections() == 0);
    assertThat(b.connections()).isEqualTo(1);
    assertThat(http.accepted()).as("connections to the endpoint's non-gRPC port").isZero();
  }

  @Test
  @Timeout(60)
  void aMirrorShadowConnectedOnDemandDialsItsGrpcPortAndFollowsItWhenItChanges()
      throws IOException {
    Listener shadowHttp = grpc.register(new Listener());
    Backend primary = grpc.backend("primary");
    Backend shadow = grpc.backend("shadow");
    Backend moved = grpc.backend("moved");
    String mirrored =
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          rules: [{backends: [{}], mirror: {destination: shadow.shop, percent: 100}}]
        """;
    String primaryEndpoints = TestMesh.endpoints(primary.port(), "v1");
    mesh.apply(primaryEndpoints + endpoint("shadow.shop", shadowHttp.port(), shadow.port()) + mirrored);
    ManagedChannel channel = grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));

    assertThat(call(channel)).isEqualTo("primary");
    await().atMost(Duration.ofSeconds(10)).until(() -> shadow.calls() == 1);

    mesh.apply(primaryEndpoints + endpoint("shadow.shop", shadowHttp.port(), moved.port()) + mirrored);
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> {
              assertThat(call(channel)).isEqualTo("primary");
              assertThat(moved.calls()).isPositive();
            });
    assertThat(shadowHttp.accepted()).as("connections to the shadow's non-gRPC port").isZero();
  }

  /** A loopback port that is not gRPC: it counts the connections it accepts and closes them. */
  private static final class Listener implements AutoCloseable {
    private final ServerSocket server;
    private final AtomicInteger accepted = new AtomicInteger();

    Listener() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try (Socket s = server.accept()) {
                    accepted.incrementAndGet();
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "non-grpc-port");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    int accepted() {
      return accepted.get();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
