package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import io.mesh4j.core.testing.TestMesh;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The server-side interceptor in front of a real gRPC server on loopback. */
class MeshServerInterceptorsTest {

  private static final Metadata.Key<String> PEER =
      Metadata.Key.of("x-test-peer", Metadata.ASCII_STRING_MARSHALLER);
  private static final String FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";
  private static final String BATCH = "spiffe://cluster.local/ns/jobs/sa/batch";

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  /** A backend that admits through the mesh, told who the caller is by a header (no mTLS yet). */
  private ManagedChannel authorizedBackend(TestMesh server) {
    Backend backend =
        grpc.backend(
            "catalog",
            MeshServerInterceptors.forService(
                server.mesh(), CATALOG, PeerIdentityResolver.fromHeader(PEER)));
    return grpc.channel(
        NettyChannelBuilder.forAddress("127.0.0.1", backend.port()).usePlaintext().build());
  }

  private static String call(
      ManagedChannel channel, MethodDescriptor<String, String> method, String peer) {
    Metadata headers = new Metadata();
    if (peer != null) {
      headers.put(PEER, peer);
    }
    return ClientCalls.blockingUnaryCall(
        ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
        method,
        CallOptions.DEFAULT,
        "hi");
  }

  private static void assertDenied(Runnable call, String description) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription()).isEqualTo(description);
            });
  }

  @Test
  @Timeout(30)
  void allowPolicyAdmitsItsPrincipalOnItsMethodAndDeniesTheRestNamingThePolicy() {
    TestMesh server = grpc.register(new TestMesh());
    server.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: catalog-readers, namespace: shop}
        spec:
          service: catalog.shop
          action: ALLOW
          rules:
            - principals: ["spiffe://cluster.local/ns/shop/sa/frontend"]
              grpcMethods: ["test.Echo/Unary"]
        """);
    ManagedChannel channel = authorizedBackend(server);

    assertThat(call(channel, EchoService.UNARY, FRONTEND)).isEqualTo("catalog");
    assertDenied(
        () -> call(channel, EchoService.UNARY, BATCH),
        "mesh4j: denied for catalog.shop (no rule of AuthorizationPolicy shop/catalog-readers"
            + " allows " + BATCH + ")");
    assertDenied(
        () -> call(channel, EchoService.OTHER, FRONTEND),
        "mesh4j: denied for catalog.shop (no rule of AuthorizationPolicy shop/catalog-readers"
            + " allows " + FRONTEND + ")");
    assertDenied(
        () -> call(channel, EchoService.UNARY, null),
        "mesh4j: denied for catalog.shop (no rule of AuthorizationPolicy shop/catalog-readers"
            + " allows an unauthenticated caller)");
  }

  @Test
  @Timeout(30)
  void denyRuleWinsOverAnAllowRuleThatMatches() {
    TestMesh server = grpc.register(new TestMesh());
    server.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: everyone, namespace: shop}
        spec:
          service: catalog.shop
          action: ALLOW
          rules:
            - principals: ["spiffe://cluster.local/*"]
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: no-jobs-writes, namespace: shop}
        spec:
          service: catalog.shop
          action: DENY
          rules:
            - namespaces: [jobs]
              grpcMethods: ["test.Echo/Other"]
        """);
    ManagedChannel channel = authorizedBackend(server);

    assertThat(call(channel, EchoService.UNARY, BATCH)).isEqualTo("catalog");
    assertThat(call(channel, EchoService.OTHER, FRONTEND)).isEqualTo("catalog");
    assertDenied(
        () -> call(channel, EchoService.OTHER, BATCH),
        "mesh4j: denied for catalog.shop (AuthorizationPolicy shop/no-jobs-writes denies "
            + BATCH + ")");
  }

  @Test
  @Timeout(30)
  void defaultResolverTreatsAPlainTextCallerAsUnauthenticated() {
    TestMesh server = grpc.register(new TestMesh());
    server.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: catalog-readers, namespace: shop}
        spec:
          service: catalog.shop
          action: ALLOW
          rules:
            - principals: ["spiffe://cluster.local/*"]
        """);
    Backend backend =
        grpc.backend("catalog", MeshServerInterceptors.forService(server.mesh(), CATALOG));
    ManagedChannel channel =
        grpc.channel(
            NettyChannelBuilder.forAddress("127.0.0.1", backend.port()).usePlaintext().build());

    // Without TLS there is no certificate, and a header naming a peer proves nothing.
    assertDenied(
        () -> call(channel, EchoService.UNARY, FRONTEND),
        "mesh4j: denied for catalog.shop (no rule of AuthorizationPolicy shop/catalog-readers"
            + " allows an unauthenticated caller)");
    assertThat(backend.calls()).isZero();
  }

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
