package io.mesh4j.benchmarks.load;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The proxyless anchor's control plane: an xDS (ADS, v3) server built with envoy's
 * java-control-plane, run by the harness in its own JVM. It serves grpc-java's xDS client the
 * same policy the mesh4j rows carry, as far as xDS can say it: a listener for {@value #TARGET}
 * whose inline route has a header rule that does not match and a default route with a 90/10
 * weighted split between two EDS clusters, a retry policy on {@code UNAVAILABLE} and a maximum
 * stream duration; clusters with least-request balancing, a circuit-breaker threshold and
 * outlier detection. Both clusters hold the one echo server, as the mesh's two subsets do.
 *
 * <pre>
 * java -cp benchmarks.jar io.mesh4j.benchmarks.load.XdsControlPlane &lt;echo server port&gt;
 * </pre>
 *
 * <p>Prints {@code READY xds=<port>} and runs until its stdin closes.
 */
public final class XdsControlPlane {

  /** The xDS listener name, and so the client's target {@code xds:///echo.bench}. */
  public static final String TARGET = "echo.bench";

  private static final String NODE_GROUP = "bench";

  private XdsControlPlane() {}

  /** Serves the snapshot for the echo server on the port in {@code args[0]}. */
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      throw new IllegalArgumentException(
          "usage: XdsControlPlane <echo server port>, got " + args.length + " arguments");
    }
    int echoPort = Integer.parseInt(args[0]);
    SimpleCache<String> cache = new SimpleCache<>(node -> NODE_GROUP);
    cache.setSnapshot(NODE_GROUP, snapshot(echoPort));
    V3DiscoveryServer discovery = new V3DiscoveryServer(cache);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(discovery.getAggregatedDiscoveryServiceImpl())
        .build()
        .start();
    System.out.printf("READY xds=%d%n", server.getPort());
    System.out.flush();
    while (System.in.read() >= 0) {
      // the harness closes our stdin when it is done or dies
    }
    server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    System.exit(0);
  }

  /**
   * The xDS client's bootstrap for a control plane on {@code port}: one insecure ADS server, xDS
   * v3. In the shape grpc-java's bootstrapper parses from JSON.
   */
  public static Map<String, ?> bootstrap(int port) {
    return Map.of(
        "xds_servers", List.of(Map.of(
            "server_uri", "127.0.0.1:" + port,
            "channel_creds", List.of(Map.of("type", "insecure")),
            "server_features", List.of("xds_v3"))),
        "node", Map.of("id", "bench-client", "cluster", NODE_GROUP));
  }

  /** Every resource the client asks for, version 1. */
  static Snapshot snapshot(int echoPort) {
    return Snapshot.create(
        List.of(cluster("echo-stable"), cluster("echo-v1")),
        List.of(endpoints("echo-stable", echoPort), endpoints("echo-v1", echoPort)),
        List.of(listener()),
        List.of(),
        List.of(),
        "1");
  }

  private static Listener listener() {
    RouteConfiguration routes = RouteConfiguration.newBuilder()
        .setName("echo-routes")
        .addVirtualHosts(VirtualHost.newBuilder()
            .setName("echo")
            .addDomains("*")
            .addRoutes(Route.newBuilder()
                .setName("canary-header")
                .setMatch(RouteMatch.newBuilder().setPrefix("")
                    .addHeaders(HeaderMatcher.newBuilder().setName("x-canary")
                        .setStringMatch(StringMatcher.newBuilder().setExact("true"))))
                .setRoute(RouteAction.newBuilder().setCluster("echo-v1")))
            .addRoutes(Route.newBuilder()
                .setName("default")
                .setMatch(RouteMatch.newBuilder().setPrefix(""))
                .setRoute(RouteAction.newBuilder()
                    .setWeightedClusters(WeightedCluster.newBuilder()
                        .addClusters(WeightedCluster.ClusterWeight.newBuilder()
                            .setName("echo-stable").setWeight(UInt32Value.of(90)))
                        .addClusters(WeightedCluster.ClusterWeight.newBuilder()
                            .setName("echo-v1").setWeight(UInt32Value.of(10))))
                    .setMaxStreamDuration(RouteAction.MaxStreamDuration.newBuilder()
                        .setMaxStreamDuration(seconds(5)))
                    .setRetryPolicy(RetryPolicy.newBuilder()
                        .setRetryOn("unavailable")
                        .setNumRetries(UInt32Value.of(2))
                        .setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder()
                            .setBaseInterval(Duration.newBuilder().setNanos(25_000_000))
                            .setMaxInterval(seconds(1)))))))
        .build();
    HttpConnectionManager manager = HttpConnectionManager.newBuilder()
        .setRouteConfig(routes)
        .addHttpFilters(HttpFilter.newBuilder()
            .setName("envoy.filters.http.router")
            .setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .build();
    return Listener.newBuilder()
        .setName(TARGET)
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(manager)))
        .build();
  }

  private static Cluster cluster(String name) {
    return Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
            .setServiceName(name)
            .setEdsConfig(ConfigSource.newBuilder()
                .setAds(AggregatedConfigSource.getDefaultInstance())
                .setResourceApiVersion(ApiVersion.V3)))
        .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
        .setCircuitBreakers(CircuitBreakers.newBuilder()
            .addThresholds(CircuitBreakers.Thresholds.newBuilder().setMaxRequests(UInt32Value.of(1024))))
        .setOutlierDetection(OutlierDetection.newBuilder()
            .setInterval(seconds(10))
            .setBaseEjectionTime(seconds(10))
            .setMaxEjectionPercent(UInt32Value.of(50))
            .setEnforcingSuccessRate(UInt32Value.of(0))
            .setFailurePercentageThreshold(UInt32Value.of(50))
            .setEnforcingFailurePercentage(UInt32Value.of(100))
            .setFailurePercentageMinimumHosts(UInt32Value.of(1))
            .setFailurePercentageRequestVolume(UInt32Value.of(20)))
        .build();
  }

  private static ClusterLoadAssignment endpoints(String cluster, int port) {
    return ClusterLoadAssignment.newBuilder()
        .setClusterName(cluster)
        .addEndpoints(LocalityLbEndpoints.newBuilder()
            .setLocality(Locality.newBuilder().setRegion("local").setZone("local"))
            // grpc-java drops localities without a weight
            .setLoadBalancingWeight(UInt32Value.of(1))
            .addLbEndpoints(LbEndpoint.newBuilder()
                .setHealthStatus(HealthStatus.HEALTHY)
                .setEndpoint(Endpoint.newBuilder()
                    .setAddress(Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder()
                            .setAddress("127.0.0.1").setPortValue(port))))))
        .build();
  }

  private static Duration seconds(long seconds) {
    return Duration.newBuilder().setSeconds(seconds).build();
  }
}
