package io.mesh4j.xds;

import static io.mesh4j.xds.IstiodShapes.V1;
import static io.mesh4j.xds.IstiodShapes.V2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.admin.v3.ClientResourceStatus;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.status.v3.ClientConfig;
import io.envoyproxy.envoy.service.status.v3.ClientConfig.GenericXdsConfig;
import io.envoyproxy.envoy.service.status.v3.ClientStatusDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.status.v3.ClientStatusRequest;
import io.envoyproxy.envoy.service.status.v3.ClientStatusResponse;
import io.envoyproxy.envoy.type.matcher.v3.NodeMatcher;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.mesh4j.core.Mesh;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CSDS of a mesh4j application whose policy comes from a real ADS server on loopback, read with a
 * real CSDS call: every resource with its version, and a refused one NACKED with its reason.
 */
@Timeout(60)
class ClientStatusServiceTest {

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T register(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  @Test
  void theDumpListsEveryResourceWithItsVersionAndARefusedOneAsNackedWithItsReason() throws Exception {
    EchoBackend v1 = register(new EchoBackend("v1"));
    EchoBackend v2 = register(new EchoBackend("v2"));
    AdsServer ads = register(new AdsServer());
    serve(ads, "1", IstiodShapes.routes(IstiodShapes.split(70, 30)), v1, v2);
    XdsConfigSource source = register(XdsConfigSource.builder().bootstrapJson(ads.bootstrap()).targets(IstiodShapes.LISTENER).build());
    Mesh mesh = register(Mesh.builder().configSource(source).build());
    ClientStatusDiscoveryServiceGrpc.ClientStatusDiscoveryServiceBlockingStub csds = csds(source);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.appliedVersion() > 0);
    await().atMost(Duration.ofSeconds(10)).until(() -> byName(fetch(csds)).size() == 6
        && byName(fetch(csds)).values().stream().allMatch(r -> r.getClientStatus() == ClientResourceStatus.ACKED));

    ClientConfig config = fetch(csds);
    assertThat(config.getNode().getId()).isEqualTo("sidecar~127.0.0.1~frontend.shop~shop.svc.cluster.local");
    Map<String, GenericXdsConfig> resources = byName(config);
    assertThat(resources).containsOnlyKeys(
        "Listener " + IstiodShapes.LISTENER, "RouteConfiguration " + IstiodShapes.ROUTES, "Cluster " + V1, "Cluster " + V2,
        "ClusterLoadAssignment " + V1, "ClusterLoadAssignment " + V2);
    assertThat(resources.values()).allSatisfy(r -> {
      assertThat(r.getVersionInfo()).isEqualTo("1");
      assertThat(r.getXdsConfig().getTypeUrl()).isEqualTo(r.getTypeUrl());
      assertThat(r.getLastUpdated().getSeconds()).isPositive();
      assertThat(r.hasErrorState()).isFalse();
    });
    assertThat(resources.get("RouteConfiguration " + IstiodShapes.ROUTES).getXdsConfig().unpack(RouteConfiguration.class))
        .isEqualTo(IstiodShapes.routes(IstiodShapes.split(70, 30)));

    // A route mesh4j cannot honour: NACKED, holding version 1, with the reason it was refused.
    serve(ads, "2", IstiodShapes.routes(RouteAction.newBuilder().setClusterHeader("x-cluster")), v1, v2);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        byName(fetch(csds)).get("RouteConfiguration " + IstiodShapes.ROUTES).getClientStatus() == ClientResourceStatus.NACKED);
    GenericXdsConfig refused = byName(fetch(csds)).get("RouteConfiguration " + IstiodShapes.ROUTES);
    assertThat(refused.getVersionInfo()).isEqualTo("1");
    assertThat(refused.getXdsConfig().unpack(RouteConfiguration.class)).isEqualTo(IstiodShapes.routes(IstiodShapes.split(70, 30)));
    assertThat(refused.getErrorState().getVersionInfo()).isEqualTo("2");
    assertThat(refused.getErrorState().getDetails()).contains("cluster_header", "x-cluster");
    assertThat(refused.getErrorState().getFailedConfiguration().unpack(RouteConfiguration.class).getName())
        .isEqualTo(IstiodShapes.ROUTES);
    assertThat(refused.getErrorState().getLastUpdateAttempt().getSeconds()).isPositive();
    assertThat(ads.nacks()).isNotEmpty();
    assertThat(byName(fetch(csds)).get("Listener " + IstiodShapes.LISTENER).getClientStatus()).isEqualTo(ClientResourceStatus.ACKED);

    // Accepted again: the refusal is over.
    serve(ads, "3", IstiodShapes.routes(IstiodShapes.split(20, 80)), v1, v2);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        byName(fetch(csds)).get("RouteConfiguration " + IstiodShapes.ROUTES).getVersionInfo().equals("3"));
    GenericXdsConfig again = byName(fetch(csds)).get("RouteConfiguration " + IstiodShapes.ROUTES);
    assertThat(again.getClientStatus()).isEqualTo(ClientResourceStatus.ACKED);
    assertThat(again.hasErrorState()).isFalse();
  }

  @Test
  void aStreamIsAnsweredPerRequestAndNodeMatchersAreRefused() throws Exception {
    AdsServer ads = register(new AdsServer());
    XdsConfigSource source = register(XdsConfigSource.builder().bootstrapJson(ads.bootstrap()).targets(IstiodShapes.LISTENER).build());
    ManagedChannel channel = channel(source);

    // Nothing served yet: the listener is asked for, not held.
    LinkedBlockingQueue<Object> answers = new LinkedBlockingQueue<>();
    StreamObserver<ClientStatusRequest> requests = ClientStatusDiscoveryServiceGrpc.newStub(channel).streamClientStatus(new StreamObserver<>() {
      @Override
      public void onNext(ClientStatusResponse value) {
        answers.add(value);
      }

      @Override
      public void onError(Throwable t) {
        answers.add(t);
      }

      @Override
      public void onCompleted() {
        answers.add("completed");
      }
    });
    requests.onNext(ClientStatusRequest.getDefaultInstance());
    requests.onNext(ClientStatusRequest.getDefaultInstance());
    requests.onCompleted();
    for (int i = 0; i < 2; i++) {
      Object answer = answers.poll(10, TimeUnit.SECONDS);
      assertThat(answer).isInstanceOf(ClientStatusResponse.class);
      assertThat(((ClientStatusResponse) answer).getConfig(0).getGenericXdsConfigsList()).singleElement().satisfies(r -> {
        assertThat(r.getName()).isEqualTo(IstiodShapes.LISTENER);
        assertThat(r.getClientStatus()).isEqualTo(ClientResourceStatus.REQUESTED);
      });
    }
    assertThat(answers.poll(10, TimeUnit.SECONDS)).isEqualTo("completed");

    ClientStatusRequest matching = ClientStatusRequest.newBuilder().addNodeMatchers(NodeMatcher.getDefaultInstance()).build();
    assertThatThrownBy(() -> ClientStatusDiscoveryServiceGrpc.newBlockingStub(channel).fetchClientStatus(matching))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("node_matchers");
        });
  }

  private static void serve(AdsServer ads, String version, RouteConfiguration routes, EchoBackend v1, EchoBackend v2) {
    ads.serve(version, List.of(IstiodShapes.listener()), List.of(routes),
        List.of(IstiodShapes.cluster(V1).build(), IstiodShapes.cluster(V2).build()),
        List.of(IstiodShapes.endpoints(V1, v1.port()), IstiodShapes.endpoints(V2, v2.port())));
  }

  private ClientStatusDiscoveryServiceGrpc.ClientStatusDiscoveryServiceBlockingStub csds(XdsConfigSource source) throws Exception {
    return ClientStatusDiscoveryServiceGrpc.newBlockingStub(channel(source));
  }

  /** The application's CSDS on a server of its own on loopback, and a channel to it. */
  private ManagedChannel channel(XdsConfigSource source) throws Exception {
    Server started = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new ClientStatusService(source))
        .build()
        .start();
    register(() -> started.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + started.getPort(), InsecureChannelCredentials.create()).build();
    register(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return channel;
  }

  private static ClientConfig fetch(ClientStatusDiscoveryServiceGrpc.ClientStatusDiscoveryServiceBlockingStub csds) {
    ClientStatusResponse response = csds.withDeadlineAfter(10, TimeUnit.SECONDS).fetchClientStatus(ClientStatusRequest.getDefaultInstance());
    assertThat(response.getConfigList()).hasSize(1);
    return response.getConfig(0);
  }

  /** The resources by {@code Type name}. */
  private static Map<String, GenericXdsConfig> byName(ClientConfig config) {
    Map<String, GenericXdsConfig> out = new LinkedHashMap<>();
    for (GenericXdsConfig r : config.getGenericXdsConfigsList()) {
      out.put(r.getTypeUrl().substring(r.getTypeUrl().lastIndexOf('.') + 1) + " " + r.getName(), r);
    }
    return out;
  }
}
