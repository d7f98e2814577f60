package io.mesh4j.xds;

import static io.mesh4j.xds.IstiodShapes.V1;
import static io.mesh4j.xds.IstiodShapes.V2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicyResult;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.policy.TrafficRoute;
import io.mesh4j.xds.XdsTranslator.Resources;
import io.mesh4j.xds.XdsTranslator.Target;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** xDS resources to mesh4j policy, field by field, and what is refused with which field. */
@Timeout(30)
class XdsTranslatorTest {

  private static final Target TARGET = Target.parse(IstiodShapes.LISTENER, "default");

  private static Resources resources(Listener listener, RouteConfiguration routes, List<Cluster> clusters,
      List<ClusterLoadAssignment> assignments) {
    return Resources.EMPTY
        .with(XdsTranslator.LISTENER, byName(List.of(listener)))
        .with(XdsTranslator.ROUTE, byName(List.of(routes)))
        .with(XdsTranslator.CLUSTER, byName(clusters))
        .with(XdsTranslator.ENDPOINT, byName(assignments));
  }

  private static Map<String, Message> byName(List<? extends Message> messages) {
    Map<String, Message> out = new LinkedHashMap<>();
    messages.forEach(m -> out.put(XdsTranslator.name(m), m));
    return out;
  }

  private static Resources split(RouteAction.Builder action) {
    return resources(IstiodShapes.listener(), IstiodShapes.routes(action),
        List.of(IstiodShapes.cluster(V1).build(), IstiodShapes.cluster(V2).build()),
        List.of(IstiodShapes.endpoints(V1, 9001), IstiodShapes.endpoints(V2, 9002, 9003)));
  }

  private static List<MeshResource> translate(Resources resources) {
    List<Problem> problems = new ArrayList<>();
    List<MeshResource> out = XdsTranslator.translate(TARGET, resources, problems);
    assertThat(problems).isEmpty();
    assertThat(out).isNotNull();
    return out;
  }

  private static <T> T only(List<MeshResource> resources, Class<T> kind) {
    return resources.stream().filter(kind::isInstance).map(kind::cast).findFirst().orElseThrow();
  }

  private static List<String> problems(Message resource) {
    return XdsTranslator.check(resource).stream().map(Problem::message).toList();
  }

  @Test
  void targetsNameTheirListenerAndTheServiceOfTheirHostsFirstTwoLabels() {
    assertThat(Target.parse("catalog.shop:8080", "default")).isEqualTo(new Target("catalog.shop:8080", "catalog.shop"));
    assertThat(Target.parse("catalog.shop.svc.cluster.local:8080", "default").service()).isEqualTo("catalog.shop");
    assertThat(Target.parse("catalog:8080", "shop").service()).isEqualTo("catalog.shop");
    assertThatThrownBy(() -> Target.parse("catalog.shop:http", "default"))
        .hasMessageContaining("catalog.shop:http").hasMessageContaining("port must be 1 to 65535, got http");
    assertThatThrownBy(() -> Target.parse("Cat_alog.shop:80", "default")).hasMessageContaining("DNS labels");
  }

  @Test
  void routesAfterOneThatMatchesEveryCallAreNeverReachedAndNotTranslated() {
    RouteConfiguration config = IstiodShapes.routes(IstiodShapes.split(70, 30));
    RouteConfiguration withTail = config.toBuilder()
        .setVirtualHosts(0, config.getVirtualHosts(0).toBuilder()
            .addRoutes(Route.newBuilder()
                .setName("unreachable")
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setCluster(V2))))
        .build();

    List<MeshResource> out = translate(resources(IstiodShapes.listener(), withTail,
        List.of(IstiodShapes.cluster(V1).build(), IstiodShapes.cluster(V2).build()),
        List.of(IstiodShapes.endpoints(V1, 9001), IstiodShapes.endpoints(V2, 9002))));

    assertThat(only(out, TrafficRoute.class).spec().rules()).extracting(TrafficRoute.Rule::name).containsExactly("default");
    assertThat(PolicyResult.of(out).problems()).isEmpty();
  }

  @Test
  void istiodsWeightedClustersBecomeSubsetsOfTheDestinationLabelledByClusterName() {
    List<MeshResource> out = translate(split(IstiodShapes.split(70, 30)));

    TrafficRoute route = only(out, TrafficRoute.class);
    assertThat(route.metadata().namespace()).isEqualTo("shop");
    assertThat(route.metadata().name()).isEqualTo("catalog");
    assertThat(route.spec().destination()).isEqualTo("catalog.shop");
    assertThat(route.spec().subsets()).containsExactly(
        new TrafficRoute.Subset(V1, Map.of("xds.cluster/" + V1, "true")),
        new TrafficRoute.Subset(V2, Map.of("xds.cluster/" + V2, "true")));
    TrafficRoute.Rule rule = route.spec().rules().get(0);
    assertThat(rule.name()).isEqualTo("default");
    assertThat(rule.matches()).isNull(); // prefix "/" matches every call
    assertThat(rule.backends()).containsExactly(
        new TrafficRoute.Backend(null, V1, 70, null), new TrafficRoute.Backend(null, V2, 30, null));
    assertThat(rule.timeout()).isEqualTo(Duration.ofSeconds(10)); // max_stream_duration
    assertThat(rule.retries()).isNull();

    DestinationPolicy.Spec policy = only(out, DestinationPolicy.class).spec();
    assertThat(policy.destination()).isEqualTo("catalog.shop");
    assertThat(policy.loadBalancer().policy()).isEqualTo(DestinationPolicy.LbPolicy.ROUND_ROBIN);
    assertThat(policy.outlierDetection().enabled()).isFalse(); // none in the cluster
    assertThat(policy.circuitBreaker()).isNotNull();
    assertThat(policy.circuitBreaker().maxConcurrentRequests()).isEqualTo(Integer.MAX_VALUE);

    ServiceEndpoints.Spec endpoints = only(out, ServiceEndpoints.class).spec();
    assertThat(endpoints.service()).isEqualTo("catalog.shop");
    assertThat(endpoints.endpoints()).extracting(ServiceEndpoints.Endpoint::port).containsExactly(9001, 9002, 9003);
    ServiceEndpoints.Endpoint first = endpoints.endpoints().get(0);
    assertThat(first.address()).isEqualTo("127.0.0.1");
    assertThat(first.labels()).isEqualTo(Map.of("xds.cluster/" + V1, "true"));
    assertThat(first.zone()).isEqualTo("zone-a");
    assertThat(endpoints.endpoints().get(1).weight()).isEqualTo(2); // endpoint 1 x locality 2

    assertThat(PolicyResult.of(out).problems()).isEmpty();
  }

  @Test
  void anEndpointInTwoClustersIsListedOnceWithBothLabels() {
    Resources resources = resources(IstiodShapes.listener(), IstiodShapes.routes(IstiodShapes.split(50, 50)),
        List.of(IstiodShapes.cluster(V1).build(), IstiodShapes.cluster(V2).build()),
        List.of(IstiodShapes.endpoints(V1, 9001), IstiodShapes.endpoints(V2, 9001)));
    ServiceEndpoints.Spec endpoints = only(translate(resources), ServiceEndpoints.class).spec();
    assertThat(endpoints.endpoints()).hasSize(1);
    assertThat(endpoints.endpoints().get(0).labels())
        .isEqualTo(Map.of("xds.cluster/" + V1, "true", "xds.cluster/" + V2, "true"));
  }

  @Test
  void nothingIsTranslatedUntilEveryResourceTheListenerLeadsToHasArrived() {
    Resources full = split(IstiodShapes.split(70, 30));
    List<Problem> problems = new ArrayList<>();
    assertThat(XdsTranslator.translate(TARGET, full.with(XdsTranslator.ENDPOINT, Map.of()), problems)).isNull();
    assertThat(XdsTranslator.translate(TARGET, full.with(XdsTranslator.CLUSTER, Map.of()), problems)).isNull();
    assertThat(XdsTranslator.translate(TARGET, full.with(XdsTranslator.ROUTE, Map.of()), problems)).isNull();
    assertThat(problems).isEmpty();

    Map<String, java.util.Set<String>> wanted = XdsTranslator.wanted(List.of(TARGET), full);
    assertThat(wanted.get(XdsTranslator.ROUTE)).containsExactly("8080");
    assertThat(wanted.get(XdsTranslator.CLUSTER)).containsExactly(V1, V2);
    assertThat(wanted.get(XdsTranslator.ENDPOINT)).containsExactly(V1, V2);
  }

  @Test
  void pathsAndHeadersBecomeGrpcAndHeaderMatches() {
    RouteConfiguration routes = RouteConfiguration.newBuilder().setName("8080")
        .addVirtualHosts(IstiodShapes.virtualHost()
            .addRoutes(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPath("/shop.Catalog/Get")
                    .addHeaders(HeaderMatcher.newBuilder().setName("x-canary")
                        .setStringMatch(StringMatcher.newBuilder().setExact("true")))
                    .addHeaders(HeaderMatcher.newBuilder().setName("x-debug").setPresentMatch(true)))
                .setRoute(RouteAction.newBuilder().setCluster(V2)))
            .addRoutes(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/shop.Catalog/"))
                .setRoute(RouteAction.newBuilder().setCluster(V1)))
            .addRoutes(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/shop."))
                .setRoute(RouteAction.newBuilder().setCluster(V1))))
        .build();
    Resources resources = resources(IstiodShapes.listener(), routes,
        List.of(IstiodShapes.cluster(V1).build(), IstiodShapes.cluster(V2).build()),
        List.of(IstiodShapes.endpoints(V1, 9001), IstiodShapes.endpoints(V2, 9002)));
    List<TrafficRoute.Rule> rules = only(translate(resources), TrafficRoute.class).spec().rules();

    TrafficRoute.Match exact = rules.get(0).matches().get(0);
    assertThat(exact.grpc()).isEqualTo(new TrafficRoute.GrpcMatch("shop.Catalog", "Get", null, null));
    assertThat(exact.headers()).containsExactly(
        new TrafficRoute.HeaderMatch("x-canary", "true", null, null, null),
        new TrafficRoute.HeaderMatch("x-debug", null, null, null, true));
    assertThat(rules.get(0).backends()).containsExactly(new TrafficRoute.Backend(null, V2, 1, null));
    assertThat(rules.get(1).matches().get(0).grpc()).isEqualTo(new TrafficRoute.GrpcMatch("shop.Catalog", null, null, null));
    assertThat(rules.get(2).matches().get(0).grpc().serviceRegex()).isEqualTo("\\Qshop.\\E.*");
  }

  @Test
  void retryPolicyBecomesAttemptsRetryableOutcomesPerTryTimeoutAndBackoff() {
    RetryPolicy policy = RetryPolicy.newBuilder()
        .setRetryOn("unavailable,cancelled,gateway-error,refused-stream,retriable-status-codes")
        .addRetriableStatusCodes(429)
        .setNumRetries(UInt32Value.of(3))
        .setPerTryTimeout(IstiodShapes.seconds(1))
        .setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder()
            .setBaseInterval(com.google.protobuf.Duration.newBuilder().setNanos(5_000_000))
            .setMaxInterval(com.google.protobuf.Duration.newBuilder().setNanos(80_000_000)))
        .build();
    TrafficRoute.Rule rule = only(translate(split(IstiodShapes.split(70, 30).setRetryPolicy(policy))), TrafficRoute.class)
        .spec().rules().get(0);
    assertThat(rule.retries()).isEqualTo(new TrafficRoute.Retry(4, Duration.ofSeconds(1),
        List.of("UNAVAILABLE", "CANCELLED", "502", "503", "504", "429"),
        new TrafficRoute.Backoff(Duration.ofMillis(5), Duration.ofMillis(80)), true, null));

    // envoy's defaults: one retry, 25 ms doubling to ten times that
    TrafficRoute.Retry defaults = XdsTranslator.retry(RetryPolicy.newBuilder().setRetryOn("5xx").build(),
        new XdsTranslator.Sink("r", "", new ArrayList<>()));
    assertThat(defaults).isEqualTo(new TrafficRoute.Retry(2, null, List.of("5xx"),
        new TrafficRoute.Backoff(Duration.ofMillis(25), Duration.ofMillis(250)), true, null));
  }

  @Test
  void unknownRetryConditionIsRefusedWithItsField() {
    RouteConfiguration routes = IstiodShapes.routes(IstiodShapes.split(70, 30)
        .setRetryPolicy(RetryPolicy.newBuilder().setRetryOn("unavailable,envoy-ratelimited")));
    assertThat(problems(routes)).containsExactly(
        "RouteConfiguration 8080: virtual_hosts[0].routes[0].route.retry_policy.retry_on: must list conditions mesh4j"
            + " knows (gRPC codes cancelled, deadline-exceeded, internal, resource-exhausted, unavailable;"
            + " connect-failure, refused-stream, reset, 5xx, gateway-error, retriable-4xx, retriable-status-codes),"
            + " got envoy-ratelimited");
  }

  @Test
  void clusterHeaderAndInvertedHeaderMatchesAreRefusedWithTheirFields() {
    RouteConfiguration routes = RouteConfiguration.newBuilder().setName("8080")
        .addVirtualHosts(IstiodShapes.virtualHost()
            .addRoutes(Route.newBuilder()
                .setMatch(RouteMatch.newBuilder().setPrefix("/")
                    .addHeaders(HeaderMatcher.newBuilder().setName("x").setInvertMatch(true).setPresentMatch(true)))
                .setRoute(RouteAction.newBuilder().setClusterHeader("x-cluster"))))
        .build();
    assertThat(problems(routes)).containsExactly(
        "RouteConfiguration 8080: virtual_hosts[0].routes[0].match.headers[0].invert_match: must be false: mesh4j"
            + " does not invert header matches, got true",
        "RouteConfiguration 8080: virtual_hosts[0].routes[0].route.cluster_header: must be cluster or"
            + " weighted_clusters: mesh4j routes to named clusters only, got x-cluster");
  }

  @Test
  void httpFiltersMustBeTheRouterOrOptional() {
    HttpFilter fault = HttpFilter.newBuilder().setName("envoy.filters.http.fault")
        .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())).build();
    Listener required = IstiodShapes.listener(IstiodShapes.manager().addHttpFilters(0, fault).build());
    assertThat(problems(required)).containsExactly(
        "Listener catalog.shop:8080: api_listener.api_listener.http_filters[0]: must be the router or marked"
            + " is_optional: mesh4j implements no other HTTP filter, got envoy.filters.http.fault"
            + " (type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault)");
    Listener optional = IstiodShapes.listener(
        IstiodShapes.manager().addHttpFilters(0, fault.toBuilder().setIsOptional(true)).build());
    assertThat(problems(optional)).isEmpty();
    assertThat(problems(Listener.newBuilder().setName("tcp").build()))
        .containsExactly("Listener tcp: api_listener: must be set: mesh4j reads the listeners of proxyless gRPC clients");
  }

  @Test
  void clusterBalancerOutlierDetectionAndBreakerAreTranslated() {
    Cluster cluster = IstiodShapes.cluster(V1)
        .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
        .setOutlierDetection(IstiodShapes.consecutive5xx(7).toBuilder()
            .setMaxEjectionTime(IstiodShapes.seconds(60))
            .setEnforcingFailurePercentage(UInt32Value.of(100))
            .setFailurePercentageThreshold(UInt32Value.of(40))
            .setFailurePercentageRequestVolume(UInt32Value.of(30)))
        .setCircuitBreakers(io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers.newBuilder()
            .addThresholds(io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers.Thresholds.newBuilder()
                .setMaxRequests(UInt32Value.of(64))))
        .build();
    XdsTranslator.ClusterPolicy policy = XdsTranslator.cluster(cluster, new XdsTranslator.Sink("c", "", new ArrayList<>()));
    assertThat(policy).isNotNull();
    assertThat(policy.lb()).isEqualTo(DestinationPolicy.LbPolicy.LEAST_REQUEST);
    assertThat(policy.edsName()).isEqualTo(V1);
    assertThat(policy.outlierDetection()).isEqualTo(new DestinationPolicy.OutlierDetection(
        7, 40.0, 30, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(60), 50.0, true));
    assertThat(policy.circuitBreaker().maxConcurrentRequests()).isEqualTo(64);
    // the concurrency cap only: the rate thresholds can never open the breaker
    assertThat(policy.circuitBreaker().minimumCalls()).isEqualTo(Integer.MAX_VALUE);

    Cluster gateway = IstiodShapes.cluster(V1).setOutlierDetection(io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.newBuilder()
        .setEnforcingSuccessRate(UInt32Value.of(0))
        .setEnforcingConsecutive5Xx(UInt32Value.of(0))
        .setConsecutiveGatewayFailure(UInt32Value.of(2))
        .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(100))).build();
    assertThat(XdsTranslator.cluster(gateway, new XdsTranslator.Sink("c", "", new ArrayList<>()))
        .outlierDetection().consecutiveFailures()).isEqualTo(2);
  }

  @Test
  void typedLoadBalancingPolicyTakesTheFirstMesh4jImplements() {
    LoadBalancingPolicy typed = LoadBalancingPolicy.newBuilder()
        .addPolicies(LoadBalancingPolicy.Policy.newBuilder().setTypedExtensionConfig(TypedExtensionConfig.newBuilder()
            .setName("unknown").setTypedConfig(Any.pack(HTTPFault.getDefaultInstance()))))
        .addPolicies(LoadBalancingPolicy.Policy.newBuilder().setTypedExtensionConfig(TypedExtensionConfig.newBuilder()
            .setName("wrr").setTypedConfig(Any.pack(WrrLocality.newBuilder()
                .setEndpointPickingPolicy(LoadBalancingPolicy.newBuilder().addPolicies(LoadBalancingPolicy.Policy.newBuilder()
                    .setTypedExtensionConfig(TypedExtensionConfig.newBuilder().setName("ring")
                        .setTypedConfig(Any.pack(RingHash.getDefaultInstance())))))
                .build()))))
        .build();
    Cluster cluster = IstiodShapes.cluster(V1).setLoadBalancingPolicy(typed).build();
    assertThat(XdsTranslator.cluster(cluster, new XdsTranslator.Sink("c", "", new ArrayList<>())).lb())
        .isEqualTo(DestinationPolicy.LbPolicy.RING_HASH);

    Cluster none = IstiodShapes.cluster(V1).setLoadBalancingPolicy(LoadBalancingPolicy.newBuilder()
        .addPolicies(typed.getPolicies(0))).build();
    assertThat(problems(none)).singleElement().asString()
        .startsWith("Cluster " + V1 + ": load_balancing_policy.policies: must include round_robin, least_request,"
            + " ring_hash or wrr_locality");
  }

  @Test
  void ringHashNeedsARouteThatHashesAHeader() {
    Resources resources = resources(IstiodShapes.listener(), IstiodShapes.routes(RouteAction.newBuilder().setCluster(V1)),
        List.of(IstiodShapes.cluster(V1).setLbPolicy(Cluster.LbPolicy.RING_HASH).build()),
        List.of(IstiodShapes.endpoints(V1, 9001)));
    List<Problem> problems = new ArrayList<>();
    XdsTranslator.translate(TARGET, resources, problems);
    assertThat(problems).singleElement().asString()
        .isEqualTo("RouteConfiguration 8080: virtual_hosts[0].routes: must hash a header (hash_policy.header) for"
            + " Cluster " + V1 + "'s RING_HASH: mesh4j's hash balancers hash one request header");

    Resources hashed = resources.with(XdsTranslator.ROUTE, byName(List.of(IstiodShapes.routes(RouteAction.newBuilder()
        .setCluster(V1)
        .addHashPolicy(RouteAction.HashPolicy.newBuilder()
            .setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName("x-user")))))));
    DestinationPolicy.LoadBalancer lb = only(translate(hashed), DestinationPolicy.class).spec().loadBalancer();
    assertThat(lb.policy()).isEqualTo(DestinationPolicy.LbPolicy.RING_HASH);
    assertThat(lb.hashHeader()).isEqualTo("x-user");
  }

  @Test
  void clustersOfOneDestinationMustAgreeOnTheirPolicy() {
    Resources resources = resources(IstiodShapes.listener(), IstiodShapes.routes(IstiodShapes.split(70, 30)),
        List.of(IstiodShapes.cluster(V1).build(), IstiodShapes.cluster(V2).setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST).build()),
        List.of(IstiodShapes.endpoints(V1, 9001), IstiodShapes.endpoints(V2, 9002)));
    List<Problem> problems = new ArrayList<>();
    XdsTranslator.translate(TARGET, resources, problems);
    assertThat(problems).singleElement().asString().isEqualTo("Cluster " + V2
        + ": must have the same lb_policy, circuit_breakers and outlier_detection as Cluster " + V1
        + ": mesh4j applies one policy to every subset of catalog.shop");
  }

  @Test
  void unsupportedClusterFeaturesAreRefusedWithTheirFields() {
    Cluster cluster = IstiodShapes.cluster(V1)
        .setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.tls"))
        .setOutlierDetection(io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.newBuilder()
            .setConsecutive5Xx(UInt32Value.of(5)))
        .build();
    assertThat(problems(cluster)).containsExactly(
        "Cluster " + V1 + ": transport_socket: must not be set: mesh4j's mTLS comes from its own workload identity,"
            + " not from xDS, got envoy.transport_sockets.tls",
        "Cluster " + V1 + ": outlier_detection.enforcing_success_rate: must be 0: mesh4j does not eject by success"
            + " rate (it ejects by consecutive failures and failure percentage), got unset (100)");
    assertThat(problems(IstiodShapes.cluster(V1).setType(Cluster.DiscoveryType.STRICT_DNS).build()))
        .containsExactly("Cluster " + V1 + ": type: must be EDS or STATIC: mesh4j resolves no DNS clusters, got STRICT_DNS");
  }

  @Test
  void endpointsAreTheHealthyOnesOfTheLowestPriorityWeightedByTheirLocality() {
    ClusterLoadAssignment base = IstiodShapes.endpoints(V1, 9001, 9002);
    var locality = base.getEndpoints(0).toBuilder();
    locality.getLbEndpointsBuilder(1).setHealthStatus(HealthStatus.UNHEALTHY);
    locality.getLbEndpointsBuilder(0).setLoadBalancingWeight(UInt32Value.of(3));
    ClusterLoadAssignment assignment = base.toBuilder()
        .setEndpoints(0, locality)
        .addEndpoints(IstiodShapes.endpoints(V1, 9009).getEndpoints(0).toBuilder().setPriority(1))
        .build();
    List<ServiceEndpoints.Endpoint> endpoints =
        XdsTranslator.endpoints(assignment, new XdsTranslator.Sink("a", "", new ArrayList<>()));
    assertThat(endpoints).containsExactly(new ServiceEndpoints.Endpoint("127.0.0.1", 9001, null, "zone-a", 6, null));

    ClusterLoadAssignment dropping = base.toBuilder().setPolicy(ClusterLoadAssignment.Policy.newBuilder()
        .addDropOverloads(ClusterLoadAssignment.Policy.DropOverload.newBuilder().setCategory("lb"))).build();
    assertThat(problems(dropping)).containsExactly("ClusterLoadAssignment " + V1
        + ": policy.drop_overloads: must be empty: mesh4j drops no calls on the control plane's behalf");
  }

  @Test
  void virtualHostIsChosenAsEnvoyChoosesIt() {
    RouteConfiguration config = RouteConfiguration.newBuilder()
        .addVirtualHosts(io.envoyproxy.envoy.config.route.v3.VirtualHost.newBuilder().setName("any").addDomains("*"))
        .addVirtualHosts(io.envoyproxy.envoy.config.route.v3.VirtualHost.newBuilder().setName("prefix").addDomains("catalog.*"))
        .addVirtualHosts(io.envoyproxy.envoy.config.route.v3.VirtualHost.newBuilder().setName("suffix").addDomains("*.shop:8080"))
        .addVirtualHosts(io.envoyproxy.envoy.config.route.v3.VirtualHost.newBuilder().setName("exact").addDomains("catalog.shop:8080"))
        .build();
    assertThat(XdsTranslator.virtualHost(config, "catalog.shop:8080").getName()).isEqualTo("exact");
    assertThat(XdsTranslator.virtualHost(config, "orders.shop:8080").getName()).isEqualTo("suffix");
    assertThat(XdsTranslator.virtualHost(config, "catalog.other:80").getName()).isEqualTo("prefix");
    assertThat(XdsTranslator.virtualHost(config, "x:1").getName()).isEqualTo("any");
  }
}
