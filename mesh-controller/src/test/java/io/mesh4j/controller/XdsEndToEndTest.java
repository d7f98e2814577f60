package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.mesh4j.controller.ca.TokenFileAuthenticator;
import io.mesh4j.controller.serve.ApplicationStatus;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's xDS face seen from grpc-java's own xDS client ({@code grpc-xds}), with real
 * calls on loopback: a TrafficRoute's split and its live change, a retry policy, and who a peer
 * is coming from proof only.
 */
@Timeout(90)
class XdsEndToEndTest {


  private static final String TOKEN = "xds-peer-token-0123456789";

  @TempDir Path dir;

  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @Test
  void aSplitReachesTheXdsClientAndSoDoesItsLiveChange() throws Exception {
    CatalogBackend v1 = backend("v1", false);
    CatalogBackend v2 = backend("v2", false);
    Path config = CatalogBackend.config(dir, v1, v2, LocalDirectory.catalogRoute(70, 30));
    MeshController controller = local(config, MeshController.Security.none());
    ManagedChannel channel = xdsChannel(controller.grpcPort(), "catalog.shop");

    assertShare(channel, 3_000, 0.70);

    LocalDirectory.write(config, "catalog.yaml", LocalDirectory.catalogRoute(20, 80));
    // 100 calls tell 30% from 80% of them to v2 by more than seven standard deviations
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20)).until(() -> shareOfV1(channel, 100) < 0.5);
    assertShare(channel, 3_000, 0.20);
    assertThat(controller.xds().nackCount()).as("NACKs from grpc-java").isZero();

    // Shown with the policy streams: in sync on every type it was sent, gone with its channel.
    ApplicationStatus peer = controller.distributor().applications().get(0);
    assertThat(peer.kind()).isEqualTo(ApplicationStatus.XDS);
    assertThat(peer.application()).isEqualTo(ApplicationStatus.UNAUTHENTICATED);
    assertThat(peer.node()).isEqualTo("claimed-id");
    assertThat(peer.inSync()).isTrue();
    assertThat(peer.lastNack()).isNull();
    assertThat(peer.ackedByType()).containsOnlyKeys("Listener", "Cluster", "ClusterLoadAssignment")
        .allSatisfy((type, version) -> assertThat(version).isEqualTo(peer.sentVersion()));
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> controller.distributor().applications().isEmpty());
  }

  @Test
  void theXdsClientRetriesAsTheRouteSays() throws Exception {
    CatalogBackend flaky = backend("v1", true);
    CatalogBackend v2 = backend("v2", false);
    Path config = CatalogBackend.config(dir, flaky, v2, """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets: [{name: v1, labels: {version: v1}}]
          rules:
            - backends: [{subset: v1}]
              retries: {attempts: 2, retryOn: [UNAVAILABLE], retryNonIdempotent: true, backoff: {base: 1ms, max: 5ms}}
        """);
    MeshController controller = local(config, MeshController.Security.none());
    ManagedChannel channel = xdsChannel(controller.grpcPort(), "catalog.shop");

    for (int i = 0; i < 50; i++) {
      assertThat(call(channel)).isEqualTo("v1");
    }
    // every call failed once with UNAVAILABLE and was answered on its retry
    assertThat(flaky.calls.get()).isEqualTo(100);
    assertThat(v2.calls.get()).isZero();
    assertThat(controller.xds().nackCount()).isZero();
  }

  @Test
  void aPeerIsWhoItsTokenSaysNotWhatItsNodeClaims() throws Exception {
    CatalogBackend v1 = backend("v1", false);
    CatalogBackend v2 = backend("v2", false);
    Path config = CatalogBackend.config(dir, v1, v2, LocalDirectory.catalogRoute(70, 30));
    Path tokens = Files.writeString(dir.resolve("tokens"), TOKEN + " shop/frontend\n");
    MeshController controller = local(config, MeshController.Security.plaintext(TokenFileAuthenticator.load(tokens), null));

    // No proof: refused before any message is read.
    ManagedChannel plain = Grpc.newChannelBuilder("127.0.0.1:" + controller.xdsPlaintextPort(), InsecureChannelCredentials.create()).build();
    closing.add(() -> plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    Node claimed = Node.newBuilder().setId("spiffe://cluster.local/ns/kube-system/sa/admin").setCluster("kube-system").build();
    Object anonymous = ads(plain, null, claimed).poll(10, TimeUnit.SECONDS);
    assertThat(anonymous).isInstanceOf(StatusRuntimeException.class);
    assertThat(((StatusRuntimeException) anonymous).getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);

    // With the token: served, whatever the node says.
    Object answer = ads(plain, TOKEN, claimed).poll(10, TimeUnit.SECONDS);
    assertThat(answer).isInstanceOf(DiscoveryResponse.class);
    DiscoveryResponse response = (DiscoveryResponse) answer;
    assertThat(response.getResourcesList()).hasSize(1);
    assertThat(response.getResources(0).unpack(Listener.class).getName()).isEqualTo("catalog.shop");
    assertThat(controller.xds().gaps()).isNotEmpty();
    // Status names it by its proof too; what its node claimed is only shown as such.
    assertThat(controller.distributor().applications()).singleElement().satisfies(peer -> {
      assertThat(peer.application()).isEqualTo("frontend");
      assertThat(peer.namespace()).isEqualTo("shop");
      assertThat(peer.identity()).isEqualTo("spiffe://cluster.local/ns/shop/sa/frontend");
      assertThat(peer.node()).isEqualTo("spiffe://cluster.local/ns/kube-system/sa/admin");
    });
  }

  @Test
  void aRefusedVersionIsNotSentAgainUntilThePolicyChanges() throws Exception {
    CatalogBackend v1 = backend("v1", false);
    CatalogBackend v2 = backend("v2", false);
    Path config = CatalogBackend.config(dir, v1, v2, LocalDirectory.catalogRoute(70, 30));
    MeshController controller = local(config, MeshController.Security.none());
    ManagedChannel plain = Grpc.newChannelBuilder("127.0.0.1:" + controller.grpcPort(), InsecureChannelCredentials.create()).build();
    closing.add(() -> plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    LinkedBlockingQueue<Object> responses = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(plain)
        .streamAggregatedResources(new StreamObserver<>() {
          @Override
          public void onNext(DiscoveryResponse value) {
            responses.add(value);
          }

          @Override
          public void onError(Throwable t) {
            responses.add(t);
          }

          @Override
          public void onCompleted() {}
        });
    closing.add(() -> requests.onError(Status.CANCELLED.asRuntimeException()));
    DiscoveryRequest subscribe = DiscoveryRequest.newBuilder()
        .setTypeUrl("type.googleapis.com/envoy.config.listener.v3.Listener")
        .addResourceNames("catalog.shop")
        .build();
    requests.onNext(subscribe);
    DiscoveryResponse first = (DiscoveryResponse) responses.poll(10, TimeUnit.SECONDS);
    assertThat(first).isNotNull();

    // A NACK that keeps no version, as a peer's first refusal does.
    requests.onNext(subscribe.toBuilder()
        .setResponseNonce(first.getNonce())
        .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage("refused by the test"))
        .build());
    await().atMost(Duration.ofSeconds(10)).until(() -> controller.distributor().applications().get(0).lastNack() != null);
    ApplicationStatus refused = controller.distributor().applications().get(0);
    assertThat(refused.lastNack().reasons()).containsExactly("refused by the test");
    assertThat(refused.lastNack().type()).isEqualTo("Listener");
    assertThat(refused.lastNack().names()).containsExactly("catalog.shop");
    assertThat(refused.lastNack().version()).isEqualTo(Long.parseLong(first.getVersionInfo()));
    assertThat(refused.ackedVersion()).isZero();

    // Answered again only once the policy changes: the next response is the new version.
    LocalDirectory.write(config, "catalog.yaml", LocalDirectory.catalogRoute(20, 80));
    DiscoveryResponse next = (DiscoveryResponse) responses.poll(10, TimeUnit.SECONDS);
    assertThat(next).isNotNull();
    assertThat(next.getVersionInfo()).isNotEqualTo(first.getVersionInfo());
    assertThat(controller.xds().nackCount()).isEqualTo(1);
  }

  /** Sends one listener request for {@code catalog.shop}; the queue gets the first response or the error. */
  private LinkedBlockingQueue<Object> ads(ManagedChannel channel, @Nullable String token, Node node) {
    LinkedBlockingQueue<Object> out = new LinkedBlockingQueue<>();
    Metadata headers = new Metadata();
    if (token != null) {
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    }
    AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub =
        AggregatedDiscoveryServiceGrpc.newStub(ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)));
    StreamObserver<DiscoveryRequest> requests = stub.streamAggregatedResources(new StreamObserver<>() {
      @Override
      public void onNext(DiscoveryResponse value) {
        out.add(value);
      }

      @Override
      public void onError(Throwable t) {
        out.add(t);
      }

      @Override
      public void onCompleted() {}
    });
    closing.add(() -> requests.onError(Status.CANCELLED.asRuntimeException()));
    requests.onNext(DiscoveryRequest.newBuilder()
        .setNode(node)
        .setTypeUrl("type.googleapis.com/envoy.config.listener.v3.Listener")
        .addResourceNames("catalog.shop")
        .build());
    return out;
  }

  private void assertShare(ManagedChannel channel, int calls, double expected) throws Exception {
    RandomShares.near("grpc-xds: v1's share", expected, () -> shareOfV1(channel, calls));
  }

  private static double shareOfV1(ManagedChannel channel, int calls) {
    int v1 = 0;
    for (int i = 0; i < calls; i++) {
      if (call(channel).equals("v1")) {
        v1++;
      }
    }
    return (double) v1 / calls;
  }

  private static String call(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(channel, CatalogBackend.GET_ITEM, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "item");
  }

  private MeshController local(Path config, MeshController.Security security) throws IOException {
    InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
    MeshController controller = MeshController.startLocal(
        new MeshController.LocalOptions(config, loopback, loopback, security).withXdsPlaintext(loopback));
    closing.add(controller);
    await().atMost(Duration.ofSeconds(10)).until(() -> controller.distributor().isReady());
    return controller;
  }

  /** grpc-java's xDS client on {@code xds:///target}, bootstrapped to the controller's port. */
  private ManagedChannel xdsChannel(int port, String target) {
    // what the node claims is not who the peer is; a controller without authentication ignores it too
    return GrpcJavaXdsClient.channel(port, target, Map.of("id", "claimed-id", "cluster", "claimed-cluster"),
        Map.of(), InsecureChannelCredentials.create(), closing);
  }

  private CatalogBackend backend(String name, boolean flaky) throws IOException {
    CatalogBackend b = new CatalogBackend(name, flaky);
    closing.add(b);
    return b;
  }
}
