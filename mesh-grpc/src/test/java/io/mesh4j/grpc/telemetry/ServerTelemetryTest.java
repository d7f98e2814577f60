package io.mesh4j.grpc.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.core.telemetry.AccessLog;
import io.mesh4j.grpc.MeshChannels;
import io.mesh4j.grpc.MeshServerInterceptors;
import io.mesh4j.grpc.PeerIdentityResolver;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import io.mesh4j.micrometer.MeshMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The server side of call telemetry with real gRPC calls: admitted and refused calls alike. */
@Timeout(60)
class ServerTelemetryTest {

  private static final Metadata.Key<String> PEER =
      Metadata.Key.of("x-test-peer", Metadata.ASCII_STRING_MARSHALLER);
  private static final String FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";
  private static final String BATCH = "spiffe://cluster.local/ns/jobs/sa/batch";

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  @Test
  void refusedCallsAreCountedAndLoggedWithTheCallersIdentityAndTheMeshsReason() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<String> lines = new CopyOnWriteArrayList<>();
    Mesh server =
        grpc.register(
            Mesh.builder()
                .configSource(
                    StaticConfigSource.parse(
                        """
                        apiVersion: mesh4j.io/v1alpha1
                        kind: AuthorizationPolicy
                        metadata: {name: readers, namespace: shop}
                        spec:
                          service: catalog.shop
                          action: ALLOW
                          rules:
                            - principals: ["spiffe://cluster.local/ns/shop/*"]
                        ---
                        apiVersion: mesh4j.io/v1alpha1
                        kind: MeshConfig
                        metadata: {name: mesh}
                        spec:
                          accessLog: {enabled: true}
                        """))
                .listener(MeshMetrics.bindTo(registry))
                .listener(AccessLog.builder().sink(lines::add).build())
                .build());
    Backend backend =
        grpc.backend(
            "catalog",
            MeshServerInterceptors.forService(server, "catalog.shop", PeerIdentityResolver.fromHeader(PEER)));
    Mesh client =
        grpc.register(
            Mesh.builder()
                .configSource(
                    StaticConfigSource.parse(
                        """
                        apiVersion: mesh4j.io/v1alpha1
                        kind: ServiceEndpoints
                        metadata: {name: catalog, namespace: shop}
                        spec:
                          service: catalog.shop
                          endpoints:
                            - {address: 127.0.0.1, port: %d}
                        """
                            .formatted(backend.port())))
                .build());
    ManagedChannel channel = grpc.channel(MeshChannels.forService(client, "catalog.shop"));

    assertThat(call(channel, FRONTEND)).isEqualTo("catalog");
    assertThat(call(channel, FRONTEND)).isEqualTo("catalog");
    assertThatThrownBy(() -> call(channel, BATCH))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("PERMISSION_DENIED: mesh4j: denied for catalog.shop");

    assertThat(
            registry
                .get("mesh4j.server.requests")
                .tags("source", FRONTEND, "destination", "catalog.shop", "method", "test.Echo/Unary", "status", "OK")
                .timer()
                .count())
        .isEqualTo(2);
    assertThat(
            registry
                .get("mesh4j.server.requests")
                .tags("source", BATCH, "status", "PERMISSION_DENIED")
                .timer()
                .count())
        .isEqualTo(1);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(2))
        .contains("\"direction\":\"inbound\",\"protocol\":\"grpc\",\"method\":\"test.Echo/Unary\"")
        .contains("\"status\":\"PERMISSION_DENIED\",\"mesh_failure\":\"denied\"")
        .contains("\"service\":\"catalog.shop\",\"peer\":\"" + BATCH + "\"");
    assertThat(backend.calls()).isEqualTo(2);
  }

  private static String call(ManagedChannel channel, String peer) {
    Metadata headers = new Metadata();
    headers.put(PEER, peer);
    return ClientCalls.blockingUnaryCall(
        ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
        EchoService.UNARY,
        CallOptions.DEFAULT,
        "hi");
  }
}
