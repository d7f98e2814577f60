package io.mesh4j.controller.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.mesh4j.core.policy.PolicySet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class XdsTranslatorTest {

  private static final String ENDPOINTS =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: catalog, namespace: shop}
      spec:
        service: catalog
        endpoints:
          - {address: 10.0.0.1, port: 8080, labels: {version: v1}, zone: a, weight: 3}
          - {address: 10.0.0.2, port: 8080, grpcPort: 9090, labels: {version: v2}, zone: b}
          - {address: 10.0.0.3, port: 8080, labels: {version: v2}, zone: b, weight: 2}
      """;

  private static final String SPLIT =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: catalog, namespace: shop}
      spec:
        destination: catalog
        subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        rules:
          - name: split
            backends:
              - {subset: v1, weight: 70}
              - {subset: v2, weight: 30}
              - {subset: v2, weight: 0}
      """;

  @Test
  void aSplitBecomesAnApiListenerWithWeightedClustersThenTheDefaultRoute() throws Exception {
    XdsResources out = translate(ENDPOINTS, SPLIT);

    assertThat(out.listeners()).extracting(Listener::getName).containsExactly("catalog.shop");
    HttpConnectionManager hcm = manager(out, "catalog.shop");
    assertThat(hcm.getHttpFiltersList()).extracting(HttpFilter::getName).containsExactly(XdsTranslator.ROUTER_FILTER);
    assertThat(hcm.getRouteConfig().getName()).isEqualTo("catalog.shop");
    assertThat(hcm.getRouteConfig().getVirtualHosts(0).getDomainsList()).containsExactly("*");
    List<Route> routes = routes(out, "catalog.shop");
    assertThat(routes).extracting(Route::getName).containsExactly("split", "default");
    Route split = routes.get(0);
    assertThat(split.getMatch().getPrefix()).isEmpty();
    assertThat(split.getRoute().getWeightedClusters().getClustersList())
        .extracting(WeightedCluster.ClusterWeight::getName, c -> c.getWeight().getValue())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("catalog.shop/v1", 70),
            org.assertj.core.groups.Tuple.tuple("catalog.shop/v2", 30));
    assertThat(split.getRoute().hasRetryPolicy()).isFalse();
    assertThat(split.getRoute().hasMaxStreamDuration()).isFalse();
    Route fallback = routes.get(1);
    assertThat(fallback.getMatch().getPrefix()).isEmpty();
    assertThat(fallback.getRoute().getCluster()).isEqualTo("catalog.shop");
  }

  @Test
  void everySubsetIsAnEdsClusterOverAdsWithItsEndpointsByZone() {
    XdsResources out = translate(ENDPOINTS, SPLIT);

    assertThat(out.clusters()).extracting(Cluster::getName).containsExactly("catalog.shop", "catalog.shop/v1", "catalog.shop/v2");
    for (Cluster c : out.clusters()) {
      assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
      assertThat(c.getEdsClusterConfig().getServiceName()).isEqualTo(c.getName());
      assertThat(c.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
      assertThat(c.hasLoadBalancingPolicy()).isTrue();
    }
    Map<String, ClusterLoadAssignment> cla = byName(out.endpoints(), ClusterLoadAssignment::getClusterName);
    assertThat(cla.keySet()).containsExactlyInAnyOrder("catalog.shop", "catalog.shop/v1", "catalog.shop/v2");

    ClusterLoadAssignment v2 = cla.get("catalog.shop/v2");
    assertThat(v2.getEndpointsList()).hasSize(1);
    LocalityLbEndpoints zoneB = v2.getEndpoints(0);
    assertThat(zoneB.getLocality().getZone()).isEqualTo("b");
    assertThat(zoneB.getLoadBalancingWeight().getValue()).isEqualTo(3);
    assertThat(zoneB.getLbEndpointsList())
        .extracting(
            e -> e.getEndpoint().getAddress().getSocketAddress().getAddress(),
            e -> e.getEndpoint().getAddress().getSocketAddress().getPortValue(),
            e -> e.getLoadBalancingWeight().getValue())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("10.0.0.2", 9090, 1),
            org.assertj.core.groups.Tuple.tuple("10.0.0.3", 8080, 2));

    ClusterLoadAssignment all = cla.get("catalog.shop");
    assertThat(all.getEndpointsList()).extracting(l -> l.getLocality().getZone()).containsExactly("a", "b");
    assertThat(all.getEndpointsList()).extracting(l -> l.getLbEndpointsCount()).containsExactly(1, 2);
    assertThat(cla.get("catalog.shop/v1").getEndpoints(0).getLbEndpointsList())
        .extracting(LbEndpoint::getLoadBalancingWeight)
        .extracting(w -> w.getValue())
        .containsExactly(3);
  }

  @Test
  void aDestinationWithoutRouteGoesToEveryEndpoint() throws Exception {
    XdsResources out = translate(ENDPOINTS);

    assertThat(routes(out, "catalog.shop")).extracting(r -> r.getRoute().getCluster()).containsExactly("catalog.shop");
    assertThat(out.clusters()).extracting(Cluster::getName).containsExactly("catalog.shop");
  }

  @Test
  void grpcAndHeaderMatchesBecomePathAndHeaderMatchers() throws Exception {
    XdsResources out = translate(ENDPOINTS, """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets: [{name: v2, labels: {version: v2}}]
          rules:
            - name: matched
              matches:
                - grpc: {service: shop.Catalog, method: GetItem}
                - grpc: {service: shop.Catalog}
                  headers:
                    - {name: X-Canary, exact: "true"}
                    - {name: x-tenant, prefix: acme-}
                    - {name: x-user, regex: "u[0-9]+"}
                    - {name: x-debug, present: false}
                - grpc: {method: Get.Item}
                - grpc: {serviceRegex: "shop\\\\..*", method: List}
                - method: GET
              backends: [{subset: v2}]
        """);

    List<Route> routes = routes(out, "catalog.shop");
    assertThat(routes).extracting(Route::getName).containsExactly("matched", "matched", "matched", "matched", "default");
    assertThat(routes.get(0).getMatch().getPath()).isEqualTo("/shop.Catalog/GetItem");
    assertThat(routes.get(1).getMatch().getPrefix()).isEqualTo("/shop.Catalog/");
    List<HeaderMatcher> headers = routes.get(1).getMatch().getHeadersList();
    assertThat(headers).extracting(HeaderMatcher::getName).containsExactly("x-canary", "x-tenant", "x-user", "x-debug");
    assertThat(headers.get(0).getStringMatch().getExact()).isEqualTo("true");
    assertThat(headers.get(1).getStringMatch().getPrefix()).isEqualTo("acme-");
    assertThat(headers.get(2).getStringMatch().getSafeRegex().getRegex()).isEqualTo("u[0-9]+");
    assertThat(headers.get(3).getPresentMatch()).isTrue();
    assertThat(headers.get(3).getInvertMatch()).isTrue();
    assertThat(routes.get(2).getMatch().getSafeRegex().getRegex()).isEqualTo("/[^/]+/Get\\.Item");
    assertThat(routes.get(3).getMatch().getSafeRegex().getRegex()).isEqualTo("/(?:shop\\..*)/List");
    assertThat(routes.get(0).getRoute().getCluster()).isEqualTo("catalog.shop/v2");
    assertThat(routeGaps(out)).containsExactly(new XdsGap(ROUTE, "spec.rules[0].matches[4]",
        "tests the HTTP method, path or query, which no gRPC call fits; left out"));
  }

  @Test
  void aRuleOnlyHttpCallsFitHasNoRoute() throws Exception {
    XdsResources out = translate(ENDPOINTS, """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - matches: [{path: {prefix: /v2}}, {queryParams: [{name: beta, exact: "1"}]}]
              backends: [{weight: 1}]
        """);

    assertThat(routes(out, "catalog.shop")).extracting(Route::getName).containsExactly("default");
    assertThat(routeGaps(out)).extracting(XdsGap::field).containsExactly("spec.rules[0].matches[0]", "spec.rules[0].matches[1]");
  }

  @Test
  void retriesTimeoutAndBackoffFollowA44AndA31() throws Exception {
    XdsResources out = translate(ENDPOINTS, """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends: [{weight: 1}]
              timeout: 2500ms
              retries:
                attempts: 3
                retryOn: [UNAVAILABLE, RESOURCE_EXHAUSTED, "503", 5xx, ABORTED]
                backoff: {base: 50ms, max: 1s}
                retryNonIdempotent: true
        """);

    RouteAction action = routes(out, "catalog.shop").get(0).getRoute();
    assertThat(action.getMaxStreamDuration().getMaxStreamDuration().getSeconds()).isEqualTo(2);
    assertThat(action.getMaxStreamDuration().getMaxStreamDuration().getNanos()).isEqualTo(500_000_000);
    assertThat(action.getRetryPolicy().getRetryOn()).isEqualTo("unavailable,resource-exhausted");
    assertThat(action.getRetryPolicy().getNumRetries().getValue()).isEqualTo(2);
    assertThat(action.getRetryPolicy().getRetryBackOff().getBaseInterval().getNanos()).isEqualTo(50_000_000);
    assertThat(action.getRetryPolicy().getRetryBackOff().getMaxInterval().getSeconds()).isEqualTo(1);
    assertThat(routeGaps(out)).extracting(XdsGap::field).containsExactly("spec.rules[0].retries.retryOn");
    assertThat(routeGaps(out).get(0).reason()).startsWith("ABORTED: ");
    assertThat(out.gaps()).contains(new XdsGap("DestinationPolicy defaults for catalog.shop", "spec.retryBudget",
        "gRPC's xDS client has no retry budget: every retry the route allows is made"));
  }

  @Test
  void retriesGRpcCannotMakeAreNamed() throws Exception {
    XdsResources out = translate(ENDPOINTS, """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends: [{weight: 1}]
              retries: {attempts: 8, perTryTimeout: 100ms}
        """);

    RouteAction action = routes(out, "catalog.shop").get(0).getRoute();
    // the default retryOn with a per-try timeout: connect-failure, UNAVAILABLE, 503, per-try-timeout
    assertThat(action.getRetryPolicy().getRetryOn()).isEqualTo("unavailable");
    assertThat(action.getRetryPolicy().getNumRetries().getValue()).isEqualTo(4);
    assertThat(out.gaps()).extracting(XdsGap::field).contains(
        "spec.rules[0].retries.retryOn", "spec.rules[0].retries.perTryTimeout",
        "spec.rules[0].retries.retryNonIdempotent", "spec.rules[0].retries.attempts");
  }

  @Test
  void faultsAreRouteOverridesOfAFaultFilterBeforeTheRouter() throws Exception {
    XdsResources out = translate(ENDPOINTS, """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends: [{weight: 1}]
              fault:
                delay: {percent: 12.5, duration: 100ms}
                abort: {percent: 25, grpcStatus: RESOURCE_EXHAUSTED}
        """);

    assertThat(manager(out, "catalog.shop").getHttpFiltersList()).extracting(HttpFilter::getName)
        .containsExactly(XdsTranslator.FAULT_FILTER, XdsTranslator.ROUTER_FILTER);
    Route route = routes(out, "catalog.shop").get(0);
    HTTPFault fault = route.getTypedPerFilterConfigOrThrow(XdsTranslator.FAULT_FILTER).unpack(HTTPFault.class);
    assertThat(fault.getAbort().getGrpcStatus()).isEqualTo(8);
    assertThat(fault.getAbort().getPercentage().getNumerator()).isEqualTo(250_000);
    assertThat(fault.getAbort().getPercentage().getDenominator()).isEqualTo(FractionalPercent.DenominatorType.MILLION);
    assertThat(fault.getDelay().getFixedDelay().getNanos()).isEqualTo(100_000_000);
    assertThat(fault.getDelay().getPercentage().getNumerator()).isEqualTo(125_000);
    assertThat(routes(out, "catalog.shop").get(1).getTypedPerFilterConfigMap()).isEmpty();
  }

  @Test
  void whatGrpcCannotDoIsNamedNotDropped() throws Exception {
    XdsResources out = translate(ENDPOINTS, """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends: [{weight: 1, requestHeaders: {set: [{name: x-a, value: b}]}}]
              hedging: {delay: 50ms}
              mirror: {destination: catalog-shadow}
              requestHeaders: {remove: [x-b]}
              responseHeaders: {remove: [x-c]}
        """);

    assertThat(routeGaps(out)).extracting(XdsGap::field).containsExactly(
        "spec.rules[0].backends[0].requestHeaders", "spec.rules[0].hedging", "spec.rules[0].mirror",
        "spec.rules[0].requestHeaders", "spec.rules[0].responseHeaders");
    assertThat(routes(out, "catalog.shop").get(0).getRoute().getCluster()).isEqualTo("catalog.shop");
  }

  @Test
  void theDefaultBalancerIsLeastRequestInWrrLocalityAndSaysSo() throws Exception {
    XdsResources out = translate(ENDPOINTS);

    Cluster cluster = out.clusters().get(0);
    assertThat(cluster.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    TypedExtensionConfig policy = cluster.getLoadBalancingPolicy().getPolicies(0).getTypedExtensionConfig();
    WrrLocality wrr = policy.getTypedConfig().unpack(WrrLocality.class);
    LeastRequest lr = wrr.getEndpointPickingPolicy().getPolicies(0).getTypedExtensionConfig().getTypedConfig().unpack(LeastRequest.class);
    assertThat(lr.getChoiceCount().getValue()).isEqualTo(2);
    // on by default with consecutive failures only, which gRPC cannot do
    assertThat(cluster.hasOutlierDetection()).isFalse();
    assertThat(out.gaps()).extracting(XdsGap::field).containsExactly(
        "spec.loadBalancer.policy", "spec.loadBalancer.decayTime", "spec.loadBalancer.zoneAware",
        "spec.loadBalancer.panicThreshold", "spec.outlierDetection.consecutiveFailures");
  }

  @Test
  void roundRobinOutlierDetectionAndBreakerFollowA50AndA32() throws Exception {
    XdsResources out = translate(ENDPOINTS, """
        apiVersion: mesh4j.io/v1alpha1
        kind: DestinationPolicy
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          loadBalancer: {policy: ROUND_ROBIN, zoneAware: false, panicThreshold: 0}
          outlierDetection:
            failurePercentageThreshold: 40
            failurePercentageMinimumCalls: 10
            interval: 5s
            baseEjectionTime: 15s
            maxEjectionTime: 120s
            maxEjectionPercent: 33.3
          circuitBreaker: {maxConcurrentRequests: 64}
        """);

    Cluster cluster = out.clusters().get(0);
    assertThat(cluster.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
    WrrLocality wrr = cluster.getLoadBalancingPolicy().getPolicies(0).getTypedExtensionConfig().getTypedConfig().unpack(WrrLocality.class);
    assertThat(wrr.getEndpointPickingPolicy().getPolicies(0).getTypedExtensionConfig().getTypedConfig().is(RoundRobin.class)).isTrue();
    OutlierDetection od = cluster.getOutlierDetection();
    assertThat(od.getInterval().getSeconds()).isEqualTo(5);
    assertThat(od.getBaseEjectionTime().getSeconds()).isEqualTo(15);
    assertThat(od.getMaxEjectionTime().getSeconds()).isEqualTo(120);
    assertThat(od.getMaxEjectionPercent().getValue()).isEqualTo(33);
    assertThat(od.getEnforcingSuccessRate().getValue()).isZero();
    assertThat(od.getFailurePercentageThreshold().getValue()).isEqualTo(40);
    assertThat(od.getEnforcingFailurePercentage().getValue()).isEqualTo(100);
    assertThat(od.getFailurePercentageMinimumHosts().getValue()).isEqualTo(1);
    assertThat(od.getFailurePercentageRequestVolume().getValue()).isEqualTo(10);
    assertThat(cluster.getCircuitBreakers().getThresholds(0).getMaxRequests().getValue()).isEqualTo(64);
    assertThat(out.gaps()).extracting(XdsGap::resource).containsOnly("DestinationPolicy shop/catalog");
    assertThat(out.gaps()).extracting(XdsGap::field).containsExactly(
        "spec.outlierDetection.consecutiveFailures", "spec.outlierDetection.maxEjectionPercent", "spec.circuitBreaker");
  }

  @Test
  void ringHashHashesTheHeaderOnEveryRouteToIt() throws Exception {
    XdsResources out = translate(ENDPOINTS, SPLIT, """
        apiVersion: mesh4j.io/v1alpha1
        kind: DestinationPolicy
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          loadBalancer: {policy: RING_HASH, hashHeader: X-User}
          outlierDetection: {enabled: false}
        """);

    for (Cluster c : out.clusters()) {
      assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
      assertThat(c.getLoadBalancingPolicy().getPolicies(0).getTypedExtensionConfig().getTypedConfig().unpack(RingHash.class)
          .getHashFunction()).isEqualTo(RingHash.HashFunction.XX_HASH);
      assertThat(c.hasOutlierDetection()).isFalse();
    }
    for (Route r : routes(out, "catalog.shop")) {
      assertThat(r.getRoute().getHashPolicyList()).extracting(h -> h.getHeader().getHeaderName()).containsExactly("x-user");
    }
  }

  @Test
  void backendsOfOtherServicesGetTheirOwnListenerAndClusters() throws Exception {
    XdsResources out = translate(ENDPOINTS, """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends: [{weight: 9}, {destination: catalog-next.shop, weight: 1}]
        """);

    assertThat(out.listeners()).extracting(Listener::getName).containsExactly("catalog-next.shop", "catalog.shop");
    assertThat(routes(out, "catalog.shop").get(0).getRoute().getWeightedClusters().getClustersList())
        .extracting(WeightedCluster.ClusterWeight::getName).containsExactly("catalog.shop", "catalog-next.shop");
    assertThat(byName(out.endpoints(), ClusterLoadAssignment::getClusterName).get("catalog-next.shop").getEndpointsCount()).isZero();
  }

  private static final String IDENTIFIED =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: catalog, namespace: shop}
      spec:
        service: catalog
        endpoints:
          - {address: 10.0.0.1, port: 8080, labels: {version: v1}, identity: "spiffe://mesh.test/ns/shop/sa/catalog"}
          - {address: 10.0.0.2, port: 8080, labels: {version: v2}, identity: "spiffe://mesh.test/ns/shop/sa/catalog-v2"}
      """;

  private static String mesh(String mtls) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh, namespace: mesh4j-system}
        spec: {trustDomain: mesh.test, mtls: %s}
        """.formatted(mtls);
  }

  @Test
  void underStrictEveryClusterIsMutualTlsFromTheMeshProviderAcceptingItsEndpointsIds() throws Exception {
    XdsResources out = translate(mesh("STRICT"), IDENTIFIED, SPLIT);

    Map<String, Cluster> clusters = byName(out.clusters(), Cluster::getName);
    for (Cluster c : clusters.values()) {
      assertThat(c.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
      CommonTlsContext common = c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class).getCommonTlsContext();
      assertThat(common.getTlsCertificateProviderInstance().getInstanceName()).isEqualTo("mesh4j");
      assertThat(common.getValidationContext().getCaCertificateProviderInstance().getInstanceName()).isEqualTo("mesh4j");
    }
    assertThat(names(clusters.get("catalog.shop/v1"))).containsExactly(exact("spiffe://mesh.test/ns/shop/sa/catalog"));
    assertThat(names(clusters.get("catalog.shop/v2"))).containsExactly(exact("spiffe://mesh.test/ns/shop/sa/catalog-v2"));
    // One list per cluster: every endpoint of catalog.shop is accepted with either ID.
    assertThat(names(clusters.get("catalog.shop")))
        .containsExactly(exact("spiffe://mesh.test/ns/shop/sa/catalog"), exact("spiffe://mesh.test/ns/shop/sa/catalog-v2"));
    assertThat(out.gaps()).filteredOn(g -> g.resource().equals("ServiceEndpoints shop/catalog")).containsExactly(
        new XdsGap("ServiceEndpoints shop/catalog", "spec.endpoints[].identity", "xDS has one list of accepted names"
            + " per cluster: each endpoint of catalog.shop is accepted with any of spiffe://mesh.test/ns/shop/sa/catalog,"
            + " spiffe://mesh.test/ns/shop/sa/catalog-v2, not only its own"));
  }

  @Test
  void endpointsWithoutAnIdentityAreAcceptedWithAnyIdOfTheTrustDomainNeverWithAnyName() throws Exception {
    XdsResources out = translate(mesh("STRICT"), ENDPOINTS, SPLIT, """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: pricing, namespace: shop}
        spec:
          destination: pricing
          rules: [{backends: [{weight: 1}]}]
        """);

    Map<String, Cluster> clusters = byName(out.clusters(), Cluster::getName);
    StringMatcher trustDomain = StringMatcher.newBuilder().setPrefix("spiffe://mesh.test/").build();
    assertThat(names(clusters.get("catalog.shop"))).containsExactly(trustDomain);
    // pricing has no endpoints at all: still a name list, never an empty one (which accepts anything)
    assertThat(names(clusters.get("pricing.shop"))).containsExactly(trustDomain);
    assertThat(out.gaps()).extracting(XdsGap::field).doesNotContain("spec.endpoints[].identity");
  }

  @Test
  void belowStrictClustersArePlaintextAndEndpointIdentitiesAGap() {
    for (String mode : List.of("PERMISSIVE", "DISABLED")) {
      XdsResources out = translate(mesh(mode), IDENTIFIED, SPLIT);

      assertThat(out.clusters()).noneMatch(Cluster::hasTransportSocket);
      assertThat(out.gaps()).contains(new XdsGap("ServiceEndpoints shop/catalog", "spec.endpoints[].identity",
          "the mesh's mtls is " + mode + ": xDS clients dial its endpoints in plaintext and check no identity"
              + " (mTLS to endpoints is served under STRICT)"));
    }
    // Without identities there is nothing to check: no gap.
    assertThat(translate(ENDPOINTS, SPLIT).gaps()).extracting(XdsGap::field).doesNotContain("spec.endpoints[].identity");
  }

  private static StringMatcher exact(String name) {
    return StringMatcher.newBuilder().setExact(name).build();
  }

  @SuppressWarnings("deprecation") // the field A29 peers read
  private static List<StringMatcher> names(Cluster cluster) throws InvalidProtocolBufferException {
    CertificateValidationContext validation = cluster.getTransportSocket().getTypedConfig()
        .unpack(UpstreamTlsContext.class).getCommonTlsContext().getValidationContext();
    return validation.getMatchSubjectAltNamesList();
  }

  @Test
  void aGrpcRouteIsTranslatedFromTheMeshsOwnRulesThenCallsNoRuleMatchesFailUnimplemented() throws Exception {
    XdsResources out = translate(ENDPOINTS, """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GRPCRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          parentRefs: [{group: "", kind: Service, name: catalog}]
          rules:
            - name: split
              matches: [{method: {service: shop.Catalog}}]
              backendRefs:
                - {name: catalog-v1, port: 8080, weight: 70}
                - {name: catalog-v2, port: 8080, weight: 30}
            - matches:
                - method: {service: shop.Catalog, method: GetItem}
                  headers: [{name: X-Canary, value: "true"}]
              backendRefs: [{name: catalog-v2, port: 8080}]
        """);

    List<Route> routes = routes(out, "catalog.shop");
    // the mesh's precedence: the exact method with a header first, then the service alone
    assertThat(routes).extracting(Route::getName).containsExactly("catalog-rule-1", "split", "no matching route rule");
    assertThat(routes.get(0).getMatch().getPath()).isEqualTo("/shop.Catalog/GetItem");
    assertThat(routes.get(0).getMatch().getHeaders(0).getName()).isEqualTo("x-canary");
    assertThat(routes.get(0).getMatch().getHeaders(0).getStringMatch().getExact()).isEqualTo("true");
    assertThat(routes.get(0).getRoute().getCluster()).isEqualTo("catalog-v2.shop");
    assertThat(routes.get(1).getMatch().getPrefix()).isEqualTo("/shop.Catalog/");
    assertThat(routes.get(1).getRoute().getWeightedClusters().getClustersList())
        .extracting(WeightedCluster.ClusterWeight::getName, c -> c.getWeight().getValue())
        .containsExactly(tuple("catalog-v1.shop", 70), tuple("catalog-v2.shop", 30));
    Route none = routes.get(2);
    assertThat(none.getMatch().getPrefix()).isEmpty();
    HTTPFault abort = none.getTypedPerFilterConfigOrThrow(XdsTranslator.FAULT_FILTER).unpack(HTTPFault.class);
    assertThat(abort.getAbort().getGrpcStatus()).isEqualTo(12);
    assertThat(abort.getAbort().getPercentage().getNumerator()).isEqualTo(1_000_000);
    assertThat(manager(out, "catalog.shop").getHttpFiltersList()).extracting(HttpFilter::getName)
        .containsExactly(XdsTranslator.FAULT_FILTER, XdsTranslator.ROUTER_FILTER);
    // the backend Services are destinations of their own
    assertThat(out.clusters()).extracting(Cluster::getName).contains("catalog.shop", "catalog-v1.shop", "catalog-v2.shop");
    assertThat(out.listeners()).extracting(Listener::getName).contains("catalog-v1.shop", "catalog-v2.shop");
    assertThat(out.gaps()).noneMatch(g -> g.resource().startsWith("GRPCRoute"));
  }

  @Test
  void aGrpcRouteRuleWithoutWeightFailsUnavailableAndHeaderFiltersAreNamed() throws Exception {
    XdsResources out = translate(ENDPOINTS, """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GRPCRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          parentRefs: [{group: "", kind: Service, name: catalog}]
          rules:
            - matches: [{method: {type: RegularExpression, service: "shop[.].*", method: "Get.*"}}]
              backendRefs:
                - name: catalog-v1
                  port: 8080
                  filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-a, value: b}]}}]
              filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {remove: [x-c]}}]
            - matches: [{method: {service: shop.Admin}}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: web, namespace: shop}
        spec:
          parentRefs: [{group: "", kind: Service, name: web}]
          rules: [{backendRefs: [{name: web-v1, port: 80}]}]
        """);

    List<Route> routes = routes(out, "catalog.shop");
    assertThat(routes).extracting(Route::getName).containsExactly("catalog-rule-1", "catalog-rule-0", "no matching route rule");
    assertThat(routes.get(0).getMatch().getPrefix()).isEqualTo("/shop.Admin/");
    assertThat(routes.get(0).getTypedPerFilterConfigOrThrow(XdsTranslator.FAULT_FILTER).unpack(HTTPFault.class)
        .getAbort().getGrpcStatus()).isEqualTo(14);
    assertThat(routes.get(1).getMatch().getSafeRegex().getRegex()).isEqualTo("/(?:shop[.].*)/(?:Get.*)");
    assertThat(routes.get(1).getRoute().getCluster()).isEqualTo("catalog-v1.shop");
    assertThat(routes.get(1).getTypedPerFilterConfigMap()).isEmpty();
    assertThat(out.gaps()).filteredOn(g -> g.resource().startsWith("GRPCRoute")).extracting(XdsGap::field)
        .containsExactly("spec.rules[0].filters[0]", "spec.rules[0].backendRefs[0].filters[0]");
    assertThat(out.gaps()).filteredOn(g -> g.resource().equals("HTTPRoute shop/web")).extracting(XdsGap::field)
        .containsExactly("spec");
  }

  @Test
  void quoteEscapesEveryRe2MetaCharacter() {
    assertThat(XdsTranslator.quote("a.b*c+d?(e)|[f]{g}^$\\")).isEqualTo("a\\.b\\*c\\+d\\?\\(e\\)\\|\\[f\\]\\{g\\}\\^\\$\\\\");
  }

  private static final String ROUTE = "TrafficRoute shop/catalog";

  /** The gaps of the catalog's route, without those of its destination's (default) policy. */
  private static List<XdsGap> routeGaps(XdsResources out) {
    return out.gaps().stream().filter(g -> g.resource().equals(ROUTE)).toList();
  }

  private static XdsResources translate(String... documents) {
    return XdsTranslator.translate(PolicySet.parse(String.join("---\n", documents)).resources());
  }

  private static HttpConnectionManager manager(XdsResources out, String listener) throws InvalidProtocolBufferException {
    Listener l = byName(out.listeners(), Listener::getName).get(listener);
    return l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
  }

  private static List<Route> routes(XdsResources out, String listener) throws InvalidProtocolBufferException {
    return manager(out, listener).getRouteConfig().getVirtualHosts(0).getRoutesList();
  }

  private static <T> Map<String, T> byName(List<T> items, Function<T, String> name) {
    return items.stream().collect(Collectors.toMap(name, Function.identity()));
  }
}
