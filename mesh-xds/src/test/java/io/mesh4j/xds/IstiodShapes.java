package io.mesh4j.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
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
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;

/**
 * xDS resources in the shapes istiod sends proxyless gRPC clients: a listener {@code host:port}
 * whose HttpConnectionManager takes its routes by RDS (route configuration named by the port),
 * virtual hosts with the service's domain forms, and EDS clusters named {@code
 * outbound|port|subset|host}.
 */
final class IstiodShapes {

  static final String LISTENER = "catalog.shop:8080";
  static final String ROUTES = "8080";
  static final String V1 = "outbound|8080|v1|catalog.shop";
  static final String V2 = "outbound|8080|v2|catalog.shop";

  private IstiodShapes() {}

  static ConfigSource ads() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  static HttpConnectionManager.Builder manager() {
    return HttpConnectionManager.newBuilder()
        .setRds(Rds.newBuilder().setConfigSource(ads()).setRouteConfigName(ROUTES))
        .addHttpFilters(HttpFilter.newBuilder()
            .setName("envoy.filters.http.router")
            .setTypedConfig(Any.pack(Router.getDefaultInstance())));
  }

  static Listener listener(HttpConnectionManager manager) {
    return Listener.newBuilder()
        .setName(LISTENER)
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(manager)))
        .build();
  }

  static Listener listener() {
    return listener(manager().build());
  }

  static VirtualHost.Builder virtualHost() {
    return VirtualHost.newBuilder()
        .setName("catalog.shop.svc.cluster.local:8080")
        .addDomains("catalog.shop.svc.cluster.local")
        .addDomains("catalog.shop.svc.cluster.local:8080")
        .addDomains("catalog.shop")
        .addDomains("catalog.shop:8080");
  }

  static RouteAction.Builder split(int v1, int v2) {
    return RouteAction.newBuilder()
        .setWeightedClusters(WeightedCluster.newBuilder()
            .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName(V1).setWeight(UInt32Value.of(v1)))
            .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName(V2).setWeight(UInt32Value.of(v2))))
        .setMaxStreamDuration(RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(seconds(10)));
  }

  static RouteConfiguration routes(RouteAction.Builder action) {
    return RouteConfiguration.newBuilder()
        .setName(ROUTES)
        .addVirtualHosts(virtualHost()
            .addRoutes(Route.newBuilder()
                .setName("default")
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(action)))
        .build();
  }

  static RetryPolicy retryUnavailable(int retries) {
    return RetryPolicy.newBuilder()
        .setRetryOn("unavailable")
        .setNumRetries(UInt32Value.of(retries))
        .setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder().setBaseInterval(Duration.newBuilder().setNanos(5_000_000)))
        .build();
  }

  static Cluster.Builder cluster(String name) {
    return Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setServiceName(name).setEdsConfig(ads()))
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
        // istiod's defaults: thresholds it does not limit, set to the maximum
        .setCircuitBreakers(CircuitBreakers.newBuilder()
            .addThresholds(CircuitBreakers.Thresholds.newBuilder()
                .setMaxConnections(UInt32Value.of(-1))
                .setMaxPendingRequests(UInt32Value.of(-1))
                .setMaxRequests(UInt32Value.of(-1))
                .setMaxRetries(UInt32Value.of(-1))));
  }

  /** Ejects after {@code consecutive} 5xx in a row (UNAVAILABLE is one), as istiod writes it. */
  static OutlierDetection consecutive5xx(int consecutive) {
    return OutlierDetection.newBuilder()
        .setConsecutive5Xx(UInt32Value.of(consecutive))
        .setEnforcingConsecutive5Xx(UInt32Value.of(100))
        .setEnforcingSuccessRate(UInt32Value.of(0))
        .setInterval(seconds(1))
        .setBaseEjectionTime(seconds(30))
        .setMaxEjectionPercent(UInt32Value.of(50))
        .build();
  }

  static ClusterLoadAssignment endpoints(String cluster, int... ports) {
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder()
        .setLocality(Locality.newBuilder().setRegion("local").setZone("zone-a"))
        .setLoadBalancingWeight(UInt32Value.of(ports.length));
    for (int port : ports) {
      locality.addLbEndpoints(LbEndpoint.newBuilder()
          .setHealthStatus(HealthStatus.HEALTHY)
          .setLoadBalancingWeight(UInt32Value.of(1))
          .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder()
              .setSocketAddress(SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(port)))));
    }
    return ClusterLoadAssignment.newBuilder().setClusterName(cluster).addEndpoints(locality).build();
  }

  static Duration seconds(long seconds) {
    return Duration.newBuilder().setSeconds(seconds).build();
  }
}
