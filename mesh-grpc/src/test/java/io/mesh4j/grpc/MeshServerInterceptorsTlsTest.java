package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.mesh4j.core.call.SpiffeIds;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import io.mesh4j.core.testing.TestMesh;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The default peer identity: the SPIFFE ID of the client certificate a real mutual-TLS handshake
 * verified, on loopback, with the self-signed identities in {@code tls/}.
 */
class MeshServerInterceptorsTlsTest {

  private static final char[] PASSWORD = "changeit".toCharArray();

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  @Test
  @Timeout(30)
  void verifiedClientCertificateNamesThePeer() throws Exception {
    TestMesh mesh = grpc.register(new TestMesh());
    mesh.apply(
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
    KeyStore server = load("server.p12");
    KeyStore client = load("client.p12");
    ServerCredentials serverTls =
        TlsServerCredentials.newBuilder()
            .keyManager(keyManagers(server))
            .trustManager(trustManagers(client))
            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
            .build();
    ServerServiceDefinition echo =
        ServerServiceDefinition.builder(EchoService.SERVICE)
            .addMethod(
                EchoService.UNARY,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext("catalog");
                      response.onCompleted();
                    }))
            .addMethod(
                EchoService.OTHER,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext("other");
                      response.onCompleted();
                    }))
            .build();
    Server started =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), serverTls)
            .addService(
                ServerInterceptors.intercept(
                    echo, MeshServerInterceptors.forService(mesh.mesh(), CATALOG)))
            .build()
            .start();
    grpc.register(
        () -> {
          started.shutdownNow();
          started.awaitTermination(5, TimeUnit.SECONDS);
        });
    ChannelCredentials clientTls =
        TlsChannelCredentials.newBuilder()
            .keyManager(keyManagers(client))
            .trustManager(trustManagers(server))
            .build();
    ManagedChannel channel =
        grpc.channel(
            NettyChannelBuilder.forAddress("127.0.0.1", started.getPort(), clientTls).build());

    assertThat(ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "hi"))
        .isEqualTo("catalog");
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    channel, EchoService.OTHER, CallOptions.DEFAULT, "hi"))
        .hasMessage(
            "PERMISSION_DENIED: mesh4j: denied for catalog.shop (no rule of AuthorizationPolicy"
                + " shop/catalog-readers allows spiffe://cluster.local/ns/shop/sa/frontend)");
  }

  @Test
  @Timeout(30)
  void certificatesWithoutASpiffeIdNameNobody() throws Exception {
    KeyStore server = load("server.p12");
    KeyStore client = load("client.p12");
    Certificate[] serverChain = server.getCertificateChain("server");
    Certificate[] clientChain = client.getCertificateChain("client");

    assertThat(SpiffeIds.fromChain(serverChain)).isNull();
    assertThat(SpiffeIds.fromChain(clientChain))
        .isEqualTo("spiffe://cluster.local/ns/shop/sa/frontend");
    assertThat(SpiffeIds.fromChain(new Certificate[0])).isNull();
    assertThat(SpiffeIds.fromChain(null)).isNull();
  }

  private static KeyStore load(String name) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in =
        MeshServerInterceptorsTlsTest.class.getResourceAsStream("/tls/" + name)) {
      store.load(in, PASSWORD);
    }
    return store;
  }

  private static KeyManager[] keyManagers(KeyStore store) throws Exception {
    KeyManagerFactory factory =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(store, PASSWORD);
    return factory.getKeyManagers();
  }

  private static TrustManager[] trustManagers(KeyStore store) throws Exception {
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return factory.getTrustManagers();
  }
}
