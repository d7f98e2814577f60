package io.mesh4j.xds;

import static io.mesh4j.xds.IstiodShapes.V1;
import static io.mesh4j.xds.IstiodShapes.V2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.policy.TrafficRoute;
import io.mesh4j.grpc.MeshChannels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A mesh4j gRPC client whose policy comes from a real ADS server on loopback, serving the shapes
 * istiod serves proxyless gRPC clients, calling real gRPC servers.
 */
@Timeout(120)
class XdsConfigSourceTest {

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

  private Mesh mesh(AdsServer ads) {
    XdsConfigSource source = XdsConfigSource.builder()
        .bootstrapJson(ads.bootstrap())
        .targets(IstiodShapes.LISTENER)
        .build();
    register(source);
    return register(Mesh.builder().configSource(source).random(MeshRandom.of(new Random(42))).build());
  }

  private ManagedChannel channel(Mesh mesh) {
    ManagedChannel channel = MeshChannels.forService(mesh, "catalog.shop");
    register(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return channel;
  }

  private static String call(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(
        channel, EchoBackend.UNARY, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "hi");
  }

  private static Map<String, Integer> calls(ManagedChannel channel, int n) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < n; i++) {
      seen.merge(call(channel), 1, Integer::sum);
    }
    return seen;
  }

  private static void serveSplit(AdsServer ads, String version, RouteAction.Builder action, EchoBackend v1, EchoBackend v2) {
    ads.serve(version, List.of(IstiodShapes.listener()), List.of(IstiodShapes.routes(action)),
        List.of(IstiodShapes.cluster(V1).build(), IstiodShapes.cluster(V2).build()),
        List.of(IstiodShapes.endpoints(V1, v1.port()), IstiodShapes.endpoints(V2, v2.port())));
  }

  private static List<Integer> weights(Mesh mesh) {
    TrafficRoute route = mesh.policies().routes().get(0);
    return route.spec().rules().get(0).backends().stream().map(TrafficRoute.Backend::weight).toList();
  }

  @Test
  void weightedClustersSplitCallsAndALiveWeightChangeIsAppliedAndHolds() {
    EchoBackend v1 = register(new EchoBackend("v1"));
    EchoBackend v2 = register(new EchoBackend("v2"));
    AdsServer ads = register(new AdsServer());
    serveSplit(ads, "1", IstiodShapes.split(70, 30), v1, v2);
    Mesh mesh = mesh(ads);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.appliedVersion() > 0);
    ManagedChannel channel = channel(mesh);

    Map<String, Integer> seen = calls(channel, 3000);
    assertThat(seen.getOrDefault("v1", 0)).isBetween(2100 - 90, 2100 + 90);
    assertThat(seen.getOrDefault("v1", 0) + seen.getOrDefault("v2", 0)).isEqualTo(3000);

    serveSplit(ads, "2", IstiodShapes.split(20, 80), v1, v2);
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
        .until(() -> weights(mesh).equals(List.of(20, 80)));

    seen = calls(channel, 3000);
    assertThat(seen.getOrDefault("v1", 0)).isBetween(600 - 90, 600 + 90);
    assertThat(weights(mesh)).containsExactly(20, 80);
    // every response was ACKed: nothing refused
    assertThat(ads.nacks()).isEmpty();
  }

  @Test
  void retryPolicyMakesACallToASubsetThatFailsOnceSucceed() {
    EchoBackend v1 = register(new EchoBackend("v1"));
    EchoBackend v2 = register(new EchoBackend("v2"));
    AdsServer ads = register(new AdsServer());
    serveSplit(ads, "1", IstiodShapes.split(100, 0), v1, v2);
    Mesh mesh = mesh(ads);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.appliedVersion() > 0);
    ManagedChannel channel = channel(mesh);
    assertThat(call(channel)).isEqualTo("v1");

    v1.failNext(1);
    assertThatThrownBy(() -> call(channel))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));

    long before = mesh.appliedVersion();
    serveSplit(ads, "2", IstiodShapes.split(100, 0).setRetryPolicy(IstiodShapes.retryUnavailable(2)), v1, v2);
    await().atMost(Duration.ofSeconds(5)).until(() -> mesh.appliedVersion() > before);
    int callsBefore = v1.calls();
    v1.failNext(1);

    assertThat(call(channel)).isEqualTo("v1");
    assertThat(v1.calls() - callsBefore).isEqualTo(2);
  }

  @Test
  void outlierDetectionEjectsAFailingEndpoint() {
    EchoBackend a = register(new EchoBackend("a"));
    EchoBackend b = register(new EchoBackend("b"));
    EchoBackend failing = register(new EchoBackend("failing"));
    failing.failAll();
    AdsServer ads = register(new AdsServer());
    Cluster cluster = IstiodShapes.cluster(V1).setOutlierDetection(IstiodShapes.consecutive5xx(3)).build();
    ads.serve("1", List.of(IstiodShapes.listener()),
        List.of(IstiodShapes.routes(RouteAction.newBuilder().setCluster(V1))),
        List.of(cluster),
        List.of(IstiodShapes.endpoints(V1, a.port(), b.port(), failing.port())));
    Mesh mesh = mesh(ads);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.appliedVersion() > 0);
    ManagedChannel channel = channel(mesh);

    // Round robin reaches the failing endpoint every third call until it is ejected.
    for (int i = 0; i < 30; i++) {
      try {
        call(channel);
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      }
    }
    int failed = failing.calls();
    assertThat(failed).isBetween(3, 10);
    Map<String, Integer> seen = calls(channel, 60);
    assertThat(failing.calls()).isEqualTo(failed);
    assertThat(seen.keySet()).containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void routeWithAnUnsupportedRequiredFeatureIsNackedWithItsFieldAndThePreviousConfigStays() {
    EchoBackend v1 = register(new EchoBackend("v1"));
    EchoBackend v2 = register(new EchoBackend("v2"));
    AdsServer ads = register(new AdsServer());
    serveSplit(ads, "1", IstiodShapes.split(70, 30), v1, v2);
    Mesh mesh = mesh(ads);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.appliedVersion() > 0);
    ManagedChannel channel = channel(mesh);
    long applied = mesh.appliedVersion();

    RouteConfiguration byHeader = IstiodShapes.routes(RouteAction.newBuilder().setClusterHeader("x-cluster"));
    ads.serve("2", List.of(IstiodShapes.listener()), List.of(byHeader),
        List.of(IstiodShapes.cluster(V1).build(), IstiodShapes.cluster(V2).build()),
        List.<ClusterLoadAssignment>of(IstiodShapes.endpoints(V1, v1.port()), IstiodShapes.endpoints(V2, v2.port())));

    await().atMost(Duration.ofSeconds(5)).until(() -> !ads.nacks().isEmpty());
    var nack = ads.nacks().get(0);
    assertThat(nack.getTypeUrl()).isEqualTo(XdsTranslator.ROUTE);
    assertThat(nack.getVersionInfo()).isEqualTo("1");
    assertThat(nack.getErrorDetail().getMessage())
        .contains("RouteConfiguration 8080: virtual_hosts[0].routes[0].route.cluster_header")
        .contains("x-cluster");
    assertThat(mesh.appliedVersion()).isEqualTo(applied);
    assertThat(weights(mesh)).containsExactly(70, 30);
    Map<String, Integer> seen = calls(channel, 100);
    assertThat(seen.keySet()).containsExactlyInAnyOrder("v1", "v2");
  }

  @Test
  void keepsThePolicyWhileTheServerIsAwayAndSubscribesAgainWhenItIsBack() throws Exception {
    EchoBackend v1 = register(new EchoBackend("v1"));
    EchoBackend v2 = register(new EchoBackend("v2"));
    AdsServer first = new AdsServer();
    serveSplit(first, "1", IstiodShapes.split(100, 0), v1, v2);
    XdsConfigSource source = register(XdsConfigSource.builder()
        .bootstrapJson(first.bootstrap())
        .targets(IstiodShapes.LISTENER)
        .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .random(new Random(7))
        .build());
    Mesh mesh = register(Mesh.builder().configSource(source).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.appliedVersion() > 0);
    ManagedChannel channel = channel(mesh);
    int port = first.port();
    first.close();

    assertThat(call(channel)).isEqualTo("v1");
    assertThat(weights(mesh)).containsExactly(100, 0);

    AdsServer second = register(new AdsServer(port));
    serveSplit(second, "7", IstiodShapes.split(0, 100), v1, v2);
    await().atMost(Duration.ofSeconds(10)).until(() -> weights(mesh).equals(List.of(0, 100)));
    assertThat(call(channel)).isEqualTo("v2");
    assertThat(second.requests()).anySatisfy(r -> assertThat(r.getTypeUrl()).isEqualTo(XdsTranslator.ENDPOINT));
  }
}
