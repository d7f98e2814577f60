package io.mesh4j.controller.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
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
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateProviderPluginInstance;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.GRPCRoute;
import io.mesh4j.core.policy.GatewayRoutes;
import io.mesh4j.core.policy.HTTPRoute;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.ReferenceGrant;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.policy.TrafficRoute;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Translates the policy one application is served (what {@link
 * io.mesh4j.controller.resolve.PolicyResolver#resolve} gives the native stream) into the xDS v3
 * resources gRPC's proxyless clients read (gRFC A27 and the gRFCs it grew with):
 *
 * <ul>
 *   <li>one API {@link Listener} per destination service, named {@code name.namespace} (the
 *       client's target is {@code xds:///name.namespace}), whose HttpConnectionManager holds the
 *       route configuration inline and ends with the router filter;
 *   <li>one route per rule and match alternative, in rule order: gRPC service and method as path
 *       matches, header matches, weighted clusters (A28), retries (A44), the rule's timeout as the
 *       maximum stream duration (A31), faults as per-route fault filter overrides (A33); and last,
 *       as the mesh does when no rule matches, every endpoint of the destination;
 *   <li>for a Service with {@link GRPCRoute}s, the engine's rules for them ({@link
 *       GatewayRoutes#rulesByParent}, the mesh's own merge and precedence) translated the same way,
 *       and last a route failing calls no rule matches with {@code UNIMPLEMENTED}, as the mesh does;
 *   <li>one EDS {@link Cluster} named {@code name.namespace} for every endpoint and one named
 *       {@code name.namespace/subset} per subset, with the destination's load balancer always as
 *       the typed {@code load_balancing_policy} (A52, A42), outlier detection (A50) and the
 *       breaker's concurrent-request limit (A32);
 *   <li>one {@link ClusterLoadAssignment} per cluster, one locality per zone;
 *   <li>when the mesh's {@code mtls} is {@code STRICT}, mutual TLS to every cluster's endpoints
 *       (A29): the peer's {@value #CERTIFICATE_PROVIDER} certificate provider supplies the mesh's
 *       roots and the workload's certificate, and the endpoints' SPIFFE IDs are the names the
 *       peer accepts.
 * </ul>
 *
 * <p>What xDS cannot say is never dropped silently: it becomes an {@link XdsGap}. A match
 * alternative that can never fit a gRPC call in the mesh (HTTP method, path or query) is left
 * out, which is exact for gRPC callers, and listed too, so nobody wonders where it went.
 *
 * <p>A pure function; stateless and thread-safe.
 */
public final class XdsTranslator {

  /** The name of the fault filter, and the key of its per-route overrides. */
  public static final String FAULT_FILTER = "envoy.filters.http.fault";

  /** The name of the router filter, always last. */
  public static final String ROUTER_FILTER = "envoy.filters.http.router";

  /**
   * The certificate provider instance mTLS clusters name for both the mesh's roots and the
   * workload's certificate: a peer's bootstrap defines it under {@code certificate_providers},
   * e.g. with gRPC's {@code file_watcher} plugin (A29).
   */
  public static final String CERTIFICATE_PROVIDER = "mesh4j";

  /** The transport socket of mTLS clusters, the only one gRPC's xDS clients know. */
  public static final String TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls";

  /** gRPC status codes gRPC's xDS client retries on (A44); others are ignored by it. */
  private static final Set<String> RETRYABLE =
      Set.of("CANCELLED", "DEADLINE_EXCEEDED", "INTERNAL", "RESOURCE_EXHAUSTED", "UNAVAILABLE");

  /** gRPC caps attempts at five, whatever the policy asks (A6, A44). */
  private static final int MAX_GRPC_ATTEMPTS = 5;

  private XdsTranslator() {}

  /** The xDS resources for {@code resolved}, a scope's policy as the resolver gives it. */
  public static XdsResources translate(List<MeshResource> resolved) {
    return new Translation(resolved).run();
  }

  /** The cluster of every endpoint of {@code service}, or of its {@code subset}. */
  public static String clusterName(String service, @Nullable String subset) {
    return subset == null ? service : service + "/" + subset;
  }

  /** One translation's inputs, indexed, and the gaps found so far. */
  private static final class Translation {
    final Map<String, TrafficRoute> routes = new TreeMap<>();
    final Map<String, DestinationPolicy> policies = new TreeMap<>();
    final Map<String, List<ServiceEndpoints.Endpoint>> endpoints = new TreeMap<>();
    final SortedSet<String> services = new TreeSet<>();
    final Set<String> retried = new TreeSet<>();
    final List<XdsGap> gaps = new ArrayList<>();
    /** The engine's rules of every Service GRPCRoutes attach to, in the order calls try them. */
    final Map<String, List<GatewayRoutes.SourcedRule>> gatewayRules;
    final Map<String, String> endpointLists = new TreeMap<>();
    MeshConfig.Spec settings = MeshConfig.defaults();

    Translation(List<MeshResource> resolved) {
      List<MeshResource> gateway = new ArrayList<>();
      for (MeshResource r : resolved) {
        if (r instanceof MeshConfig config) {
          settings = config.spec();
        }
      }
      for (MeshResource r : resolved) {
        if (r instanceof TrafficRoute route) {
          routes.put(route.spec().destination(), route);
        } else if (r instanceof DestinationPolicy policy) {
          policies.put(policy.spec().service(), policy);
        } else if (r instanceof ServiceEndpoints list) {
          endpoints.computeIfAbsent(list.spec().service(), k -> new ArrayList<>()).addAll(list.spec().endpoints());
          endpointLists.putIfAbsent(list.spec().service(), r.ref());
          if (settings.mtls() != MeshConfig.MtlsMode.STRICT && list.spec().endpoints().stream().anyMatch(e -> e.identity() != null)) {
            gap(r.ref(), "spec.endpoints[].identity", "the mesh's mtls is " + settings.mtls() + ": xDS clients dial its"
                + " endpoints in plaintext and check no identity (mTLS to endpoints is served under STRICT)");
          }
        } else if (r instanceof GRPCRoute route) {
          gateway.add(route);
          headerFilters(route);
        } else if (r instanceof ReferenceGrant) {
          gateway.add(r);
        } else if (r instanceof HTTPRoute) {
          gap(r.ref(), "spec", "HTTPRoutes are not served over xDS yet: xDS clients route its parent Services by"
              + " their GRPCRoutes, or to every endpoint");
        }
      }
      gatewayRules = gateway.stream().anyMatch(GRPCRoute.class::isInstance)
          ? GatewayRoutes.rulesByParent(PolicySet.of(gateway.toArray(MeshResource[]::new)))
          : Map.of();
      gatewayRules.forEach((parent, rules) -> {
        services.add(parent);
        for (GatewayRoutes.SourcedRule s : rules) {
          for (TrafficRoute.Backend b : s.rule().backends()) {
            if (b.destination() != null) {
              services.add(b.destination());
            }
          }
        }
      });
      services.addAll(routes.keySet());
      services.addAll(policies.keySet());
      services.addAll(endpoints.keySet());
      for (TrafficRoute route : routes.values()) {
        for (TrafficRoute.Rule rule : route.spec().rules()) {
          for (TrafficRoute.Backend b : rule.backends()) {
            if (b.destination() != null) {
              services.add(b.destination());
            }
          }
        }
      }
    }

    XdsResources run() {
      List<Listener> listeners = new ArrayList<>();
      for (String service : services) {
        listeners.add(listener(service));
      }
      List<Cluster> clusters = new ArrayList<>();
      List<ClusterLoadAssignment> assignments = new ArrayList<>();
      for (String service : services) {
        Map<String, Map<String, String>> subsets = new LinkedHashMap<>();
        subsets.put(clusterName(service, null), Map.of());
        TrafficRoute route = routes.get(service);
        if (route != null && route.spec().subsets() != null) {
          for (TrafficRoute.Subset s : route.spec().subsets()) {
            subsets.put(clusterName(service, s.name()), s.labels());
          }
        }
        for (Cluster c : clusters(service, subsets.keySet())) {
          TransportSocket tls = transportSocket(service, c.getName(), members(service, subsets.getOrDefault(c.getName(), Map.of())));
          clusters.add(tls == null ? c : c.toBuilder().setTransportSocket(tls).build());
        }
        subsets.forEach((name, labels) -> assignments.add(assignment(service, name, labels)));
      }
      return new XdsResources(listeners, clusters, assignments, gaps);
    }

    void gap(String resource, String field, String reason) {
      gaps.add(new XdsGap(resource, field, reason));
    }

    // ---- listeners and routes

    Listener listener(String service) {
      List<Route> out = new ArrayList<>();
      TrafficRoute route = routes.get(service);
      if (route != null) {
        List<TrafficRoute.Rule> rules = route.spec().rules();
        for (int i = 0; i < rules.size(); i++) {
          out.addAll(rule(route.ref(), service, rules.get(i), "spec.rules[" + i + "]"));
        }
      }
      List<GatewayRoutes.SourcedRule> attached = gatewayRules.get(service);
      if (attached != null) {
        out.addAll(gatewayRoutes(service, attached));
      } else {
        out.add(Route.newBuilder()
            .setName("default")
            .setMatch(RouteMatch.newBuilder().setPrefix(""))
            .setRoute(hashed(RouteAction.newBuilder().setCluster(clusterName(service, null)), Set.of(service)))
            .build());
      }
      boolean faults = out.stream().anyMatch(r -> r.containsTypedPerFilterConfig(FAULT_FILTER));
      RouteConfiguration config = RouteConfiguration.newBuilder()
          .setName(service)
          .addVirtualHosts(VirtualHost.newBuilder().setName(service).addDomains("*").addAllRoutes(out))
          .build();
      HttpConnectionManager.Builder manager = HttpConnectionManager.newBuilder().setRouteConfig(config);
      if (faults) {
        // With no fault of its own: each route's override says what it injects.
        manager.addHttpFilters(HttpFilter.newBuilder().setName(FAULT_FILTER).setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())));
      }
      manager.addHttpFilters(HttpFilter.newBuilder().setName(ROUTER_FILTER).setTypedConfig(Any.pack(Router.getDefaultInstance())));
      return Listener.newBuilder()
          .setName(service)
          .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(manager.build())))
          .build();
    }

    /** The routes of one rule: one per match alternative gRPC calls can fit; none if it cannot send anywhere. */
    List<Route> rule(String ref, String service, TrafficRoute.Rule rule, String path) {
      RouteAction.Builder action = action(ref, service, rule, path);
      if (action == null) {
        return List.of();
      }
      HTTPFault fault = rule.fault() == null ? null : fault(ref, rule.fault(), path + ".fault");
      unsupported(ref, path, rule);
      String name = rule.name() != null ? rule.name() : path;
      List<Route> out = new ArrayList<>();
      for (RouteMatch m : matches(ref, rule, path)) {
        Route.Builder r = Route.newBuilder().setName(name).setMatch(m).setRoute(action);
        if (fault != null) {
          r.putTypedPerFilterConfig(FAULT_FILTER, Any.pack(fault));
        }
        out.add(r.build());
      }
      return out;
    }

    /** The route matches of a rule's alternatives gRPC calls can fit. */
    List<RouteMatch> matches(String ref, TrafficRoute.Rule rule, String path) {
      List<TrafficRoute.Match> alternatives = rule.matches();
      if (alternatives == null || alternatives.isEmpty()) {
        return List.of(RouteMatch.newBuilder().setPrefix("").build());
      }
      List<RouteMatch> out = new ArrayList<>();
      for (int j = 0; j < alternatives.size(); j++) {
        RouteMatch m = match(ref, alternatives.get(j), path + ".matches[" + j + "]");
        if (m != null) {
          out.add(m);
        }
      }
      return out;
    }

    /**
     * The routes of the engine's rules for a Service's GRPCRoutes, then one failing every call no
     * rule matches with UNIMPLEMENTED, as the mesh does. A rule without weight fails its calls with
     * UNAVAILABLE, as in the mesh, rather than being left out. Header modifiers were named by
     * {@link #headerFilters}.
     */
    List<Route> gatewayRoutes(String service, List<GatewayRoutes.SourcedRule> rules) {
      List<Route> out = new ArrayList<>();
      for (GatewayRoutes.SourcedRule s : rules) {
        TrafficRoute.Rule r = s.rule();
        List<TrafficRoute.Backend> backends = new ArrayList<>();
        for (TrafficRoute.Backend b : r.backends()) {
          backends.add(new TrafficRoute.Backend(b.destination(), b.subset(), b.weight(), null));
        }
        TrafficRoute.Rule plain = new TrafficRoute.Rule(r.name(), r.matches(), backends, r.timeout(), r.retries(),
            r.hedging(), r.fault(), r.mirror(), null, null, r.rewrite(), r.redirect());
        if (backends.stream().allMatch(b -> b.weight() == 0)) {
          for (RouteMatch m : matches(s.ref(), plain, s.path())) {
            out.add(failing(r.name() != null ? r.name() : s.path(), m, service, io.grpc.Status.Code.UNAVAILABLE));
          }
        } else {
          out.addAll(rule(s.ref(), service, plain, s.path()));
        }
      }
      out.add(failing("no matching route rule", RouteMatch.newBuilder().setPrefix("").build(), service,
          io.grpc.Status.Code.UNIMPLEMENTED));
      return out;
    }

    /** A route failing every call it matches with {@code code}: a fault aborting all of them (A33). */
    Route failing(String name, RouteMatch match, String service, io.grpc.Status.Code code) {
      HTTPFault abort = HTTPFault.newBuilder()
          .setAbort(FaultAbort.newBuilder().setGrpcStatus(code.value()).setPercentage(percent(100)))
          .build();
      return Route.newBuilder()
          .setName(name)
          .setMatch(match)
          .setRoute(RouteAction.newBuilder().setCluster(clusterName(service, null)))
          .putTypedPerFilterConfig(FAULT_FILTER, Any.pack(abort))
          .build();
    }

    /** Names the header modifiers of a GRPCRoute, which gRPC's xDS client cannot apply. */
    void headerFilters(GRPCRoute route) {
      List<GRPCRoute.Rule> rules = route.spec().rules();
      for (int i = 0; i < rules.size(); i++) {
        GRPCRoute.Rule rule = rules.get(i);
        headerFilters(route.ref(), rule.filters(), "spec.rules[" + i + "].filters");
        List<HTTPRoute.BackendRef> refs = rule.backendRefs() == null ? List.of() : rule.backendRefs();
        for (int j = 0; j < refs.size(); j++) {
          headerFilters(route.ref(), refs.get(j).filters(), "spec.rules[" + i + "].backendRefs[" + j + "].filters");
        }
      }
    }

    private void headerFilters(String ref, @Nullable List<HTTPRoute.Filter> filters, String path) {
      for (int k = 0; filters != null && k < filters.size(); k++) {
        gap(ref, path + "[" + k + "]", filters.get(k).type() + ": gRPC's xDS client does not edit metadata; not applied");
      }
    }

    /** Where a rule sends calls and how: null, and a gap, when it sends nowhere gRPC can go. */
    RouteAction.@Nullable Builder action(String ref, String service, TrafficRoute.Rule rule, String path) {
      Map<String, Long> weights = new LinkedHashMap<>();
      Set<String> destinations = new TreeSet<>();
      List<TrafficRoute.Backend> backends = rule.backends();
      for (int j = 0; j < backends.size(); j++) {
        TrafficRoute.Backend b = backends.get(j);
        String destination = b.destination() != null ? b.destination() : service;
        if (b.requestHeaders() != null) {
          gap(ref, path + ".backends[" + j + "].requestHeaders", "gRPC's xDS client does not edit headers; not applied");
        }
        if (b.weight() > 0) {
          destinations.add(destination);
          weights.merge(clusterName(destination, b.subset()), (long) b.weight(), Long::sum);
        }
      }
      long total = weights.values().stream().mapToLong(Long::longValue).sum();
      if (weights.isEmpty() || total > 0xFFFF_FFFFL) {
        gap(ref, path + ".backends", weights.isEmpty()
            ? "every weight is 0: gRPC's xDS client refuses a route without weight (A28); the rule is left out"
            : "the weights add up to more than 2^32-1, which xDS cannot carry; the rule is left out");
        return null;
      }
      RouteAction.Builder action = RouteAction.newBuilder();
      if (weights.size() == 1) {
        action.setCluster(weights.keySet().iterator().next());
      } else {
        WeightedCluster.Builder split = WeightedCluster.newBuilder();
        weights.forEach((cluster, weight) -> split.addClusters(
            WeightedCluster.ClusterWeight.newBuilder().setName(cluster).setWeight(UInt32Value.of(weight.intValue()))));
        action.setWeightedClusters(split);
      }
      if (rule.timeout() != null) {
        action.setMaxStreamDuration(RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(duration(rule.timeout())));
      }
      TrafficRoute.Retry retry = rule.retries();
      if (retry != null) {
        RetryPolicy policy = retry(ref, retry, path + ".retries");
        if (policy != null) {
          action.setRetryPolicy(policy);
          retried.addAll(destinations);
        }
      }
      return hashed(action, destinations);
    }

    /** Adds the hash policy ring-hash clusters among {@code destinations} need (A42). */
    RouteAction.Builder hashed(RouteAction.Builder action, Set<String> destinations) {
      Set<String> headers = new TreeSet<>();
      for (String d : destinations) {
        DestinationPolicy.LoadBalancer lb = spec(d).loadBalancer();
        if (ringHash(lb.policy()) && lb.hashHeader() != null) {
          headers.add(lb.hashHeader().toLowerCase(Locale.ROOT));
        }
      }
      for (String h : headers) {
        action.addHashPolicy(RouteAction.HashPolicy.newBuilder().setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName(h)));
      }
      return action;
    }

    @Nullable RetryPolicy retry(String ref, TrafficRoute.Retry retry, String path) {
      List<String> on = new ArrayList<>();
      boolean connectFailure = false;
      for (String outcome : retry.effectiveRetryOn()) {
        String code = outcome.toUpperCase(Locale.ROOT).replace('-', '_');
        if (RETRYABLE.contains(code)) {
          on.add(code.toLowerCase(Locale.ROOT).replace('_', '-'));
        } else if (outcome.equals("connect-failure")) {
          connectFailure = true;
        } else if (outcome.equals("per-try-timeout")) {
          gap(ref, path + ".retryOn", "per-try-timeout: gRPC's xDS client has no per-try timeout; not retried");
        } else if (!Character.isDigit(outcome.charAt(0))) {
          gap(ref, path + ".retryOn", outcome + ": gRPC's xDS client retries only on CANCELLED, DEADLINE_EXCEEDED,"
              + " INTERNAL, RESOURCE_EXHAUSTED and UNAVAILABLE (A44); not retried");
        }
        // HTTP statuses and classes never end a gRPC call: nothing to translate.
      }
      if (connectFailure && !on.contains("unavailable")) {
        gap(ref, path + ".retryOn", "connect-failure: gRPC fails such calls with UNAVAILABLE, which this policy does"
            + " not retry; not retried");
      }
      if (retry.perTryTimeout() != null) {
        gap(ref, path + ".perTryTimeout", "gRPC's xDS client has no per-try timeout (A44); only the rule's timeout applies");
      }
      if (!retry.retryNonIdempotent()) {
        gap(ref, path + ".retryNonIdempotent", "gRPC's xDS client retries every method, idempotent or not;"
            + " the mesh retries only calls safe to replay");
      }
      if (on.isEmpty() || retry.attempts() < 2) {
        return null;
      }
      int attempts = retry.attempts();
      if (attempts > MAX_GRPC_ATTEMPTS) {
        gap(ref, path + ".attempts", "gRPC makes at most " + MAX_GRPC_ATTEMPTS + " attempts, not " + attempts);
        attempts = MAX_GRPC_ATTEMPTS;
      }
      return RetryPolicy.newBuilder()
          .setRetryOn(String.join(",", on))
          .setNumRetries(UInt32Value.of(attempts - 1))
          .setRetryBackOff(RetryPolicy.RetryBackOff.newBuilder()
              .setBaseInterval(duration(retry.backoff().base()))
              .setMaxInterval(duration(retry.backoff().max())))
          .build();
    }

    /** Everything of a rule besides its backends, match, timeout, retries and fault: none of it is expressible. */
    void unsupported(String ref, String path, TrafficRoute.Rule rule) {
      if (rule.hedging() != null) {
        gap(ref, path + ".hedging", "gRPC's xDS client does not hedge; calls are sent once (or retried, if set)");
      }
      if (rule.mirror() != null) {
        gap(ref, path + ".mirror", "gRPC's xDS client does not mirror calls; no copies are sent");
      }
      if (rule.requestHeaders() != null) {
        gap(ref, path + ".requestHeaders", "gRPC's xDS client does not edit headers; not applied");
      }
      if (rule.responseHeaders() != null) {
        gap(ref, path + ".responseHeaders", "gRPC's xDS client does not edit headers; not applied");
      }
    }

    /** One match alternative as a route match; null, and a gap, when no gRPC call can fit it. */
    @Nullable RouteMatch match(String ref, TrafficRoute.Match match, String path) {
      List<TrafficRoute.QueryMatch> query = match.queryParams();
      if (match.method() != null || match.path() != null || (query != null && !query.isEmpty())) {
        gap(ref, path, "tests the HTTP method, path or query, which no gRPC call fits; left out");
        return null;
      }
      // The called port is unknown for gRPC calls, which the mesh lets match any port: nothing to say.
      RouteMatch.Builder m = RouteMatch.newBuilder();
      TrafficRoute.GrpcMatch g = match.grpc();
      String service = g == null ? null : g.service();
      String method = g == null ? null : g.method();
      String serviceRegex = g == null ? null : g.serviceRegex();
      String methodRegex = g == null ? null : g.methodRegex();
      if (serviceRegex != null || methodRegex != null) {
        m.setSafeRegex(regex("/" + part(serviceRegex, service) + "/" + part(methodRegex, method)));
      } else if (service != null && method != null) {
        m.setPath("/" + service + "/" + method);
      } else if (service != null) {
        m.setPrefix("/" + service + "/");
      } else if (method != null) {
        m.setSafeRegex(regex("/[^/]+/" + quote(method)));
      } else {
        m.setPrefix("");
      }
      List<TrafficRoute.HeaderMatch> headers = match.headers();
      if (headers != null) {
        for (TrafficRoute.HeaderMatch h : headers) {
          HeaderMatcher.Builder hm = HeaderMatcher.newBuilder().setName(h.name().toLowerCase(Locale.ROOT));
          if (h.exact() != null) {
            hm.setStringMatch(StringMatcher.newBuilder().setExact(h.exact()));
          } else if (h.prefix() != null) {
            hm.setStringMatch(StringMatcher.newBuilder().setPrefix(h.prefix()));
          } else if (h.regex() != null) {
            hm.setStringMatch(StringMatcher.newBuilder().setSafeRegex(regex(h.regex())));
          } else {
            hm.setPresentMatch(true).setInvertMatch(Boolean.FALSE.equals(h.present()));
          }
          m.addHeaders(hm);
        }
      }
      return m.build();
    }

    @Nullable HTTPFault fault(String ref, TrafficRoute.Fault fault, String path) {
      HTTPFault.Builder out = HTTPFault.newBuilder();
      TrafficRoute.Delay delay = fault.delay();
      if (delay != null) {
        out.setDelay(FaultDelay.newBuilder().setFixedDelay(duration(delay.duration())).setPercentage(percent(delay.percent())));
      }
      TrafficRoute.Abort abort = fault.abort();
      if (abort != null) {
        io.grpc.Status.Code code;
        try {
          code = io.grpc.Status.Code.valueOf(abort.grpcStatus());
        } catch (IllegalArgumentException e) {
          gap(ref, path + ".abort.grpcStatus", abort.grpcStatus() + " is no gRPC status code; no calls are failed");
          code = null;
        }
        if (code != null) {
          out.setAbort(FaultAbort.newBuilder().setGrpcStatus(code.value()).setPercentage(percent(abort.percent())));
        }
      }
      return out.hasDelay() || out.hasAbort() ? out.build() : null;
    }

    // ---- clusters and endpoints

    DestinationPolicy.Spec spec(String service) {
      DestinationPolicy p = policies.get(service);
      return p == null ? DestinationPolicy.defaults() : p.spec();
    }

    List<Cluster> clusters(String service, Set<String> names) {
      DestinationPolicy policy = policies.get(service);
      String ref = policy != null ? policy.ref() : "DestinationPolicy defaults for " + service;
      DestinationPolicy.Spec spec = spec(service);
      Cluster.Builder template = Cluster.newBuilder().setType(Cluster.DiscoveryType.EDS);
      loadBalancing(ref, service, spec.loadBalancer(), template);
      OutlierDetection od = outlierDetection(ref, spec.outlierDetection());
      if (od != null) {
        template.setOutlierDetection(od);
      }
      DestinationPolicy.CircuitBreaker cb = spec.circuitBreaker();
      if (cb != null) {
        if (cb.maxConcurrentRequests() != null) {
          template.setCircuitBreakers(CircuitBreakers.newBuilder()
              .addThresholds(CircuitBreakers.Thresholds.newBuilder().setMaxRequests(UInt32Value.of(cb.maxConcurrentRequests()))));
        }
        gap(ref, "spec.circuitBreaker", "gRPC's xDS client limits only concurrent requests (A32); it does not open"
            + " on failure or slow-call rates");
      }
      if (spec.rateLimit() != null) {
        gap(ref, "spec.rateLimit", "gRPC's xDS client has no client-side rate limit; calls are not limited");
      }
      if (spec.adaptiveConcurrency() != null) {
        gap(ref, "spec.adaptiveConcurrency", "gRPC's xDS client has no adaptive concurrency limit; calls are not limited");
      }
      if (spec.serverRateLimit() != null) {
        gap(ref, "spec.serverRateLimit", "a server's own limit: xDS clients do not enforce it on the server's behalf");
      }
      if (retried.contains(service)) {
        gap(ref, "spec.retryBudget", "gRPC's xDS client has no retry budget: every retry the route allows is made");
      }
      List<Cluster> out = new ArrayList<>();
      for (String name : names) {
        out.add(template.clone()
            .setName(name)
            .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
                .setServiceName(name)
                .setEdsConfig(ConfigSource.newBuilder()
                    .setAds(AggregatedConfigSource.getDefaultInstance())
                    .setResourceApiVersion(ApiVersion.V3)))
            .build());
      }
      return out;
    }

    /**
     * The typed {@code load_balancing_policy}, always (grpc-js refuses a cluster whose legacy
     * {@code lb_policy} says LEAST_REQUEST without it), and the legacy field for older clients.
     */
    void loadBalancing(String ref, String service, DestinationPolicy.LoadBalancer lb, Cluster.Builder cluster) {
      Any policy;
      switch (lb.policy()) {
        case ROUND_ROBIN -> {
          policy = wrrLocality(Any.pack(RoundRobin.getDefaultInstance()), ROUND_ROBIN);
          cluster.setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
        }
        case LEAST_REQUEST, PEAK_EWMA -> {
          if (lb.policy() == DestinationPolicy.LbPolicy.PEAK_EWMA) {
            gap(ref, "spec.loadBalancer.policy", "gRPC has no peak-EWMA balancer; served as LEAST_REQUEST (A48)");
          }
          policy = wrrLocality(Any.pack(LeastRequest.newBuilder().setChoiceCount(UInt32Value.of(2)).build()),
              "envoy.load_balancing_policies.least_request");
          cluster.setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
          gap(ref, "spec.loadBalancer.decayTime", "gRPC's least-request balancer keeps no failure penalty; not applied");
        }
        case RING_HASH, MAGLEV -> {
          if (lb.policy() == DestinationPolicy.LbPolicy.MAGLEV) {
            gap(ref, "spec.loadBalancer.policy", "gRPC has no Maglev balancer; served as RING_HASH (A42)");
          }
          policy = Any.pack(RingHash.newBuilder().setHashFunction(RingHash.HashFunction.XX_HASH).build());
          cluster.setLbPolicy(Cluster.LbPolicy.RING_HASH);
        }
        default -> throw new IllegalStateException("no translation for " + lb.policy());
      }
      String name = ringHash(lb.policy()) ? "envoy.load_balancing_policies.ring_hash" : "envoy.load_balancing_policies.wrr_locality";
      cluster.setLoadBalancingPolicy(LoadBalancingPolicy.newBuilder()
          .addPolicies(LoadBalancingPolicy.Policy.newBuilder()
              .setTypedExtensionConfig(TypedExtensionConfig.newBuilder().setName(name).setTypedConfig(policy))));
      if (Boolean.TRUE.equals(lb.zoneAware())
          && endpoints.getOrDefault(service, List.of()).stream().anyMatch(e -> e.zone() != null)) {
        gap(ref, "spec.loadBalancer.zoneAware", "gRPC's xDS client weighs zones by their endpoints' weights but does"
            + " not prefer the caller's zone");
      }
      if (lb.panicThreshold() > 0) {
        gap(ref, "spec.loadBalancer.panicThreshold", "gRPC's xDS client has no panic mode; ejections stay bounded"
            + " by outlier detection's maxEjectionPercent only");
      }
    }

    /** Outlier detection gRPC can do (A50: failure percentage; never success rate), or null. */
    @Nullable OutlierDetection outlierDetection(String ref, DestinationPolicy.OutlierDetection od) {
      if (!od.enabled()) {
        return null;
      }
      gap(ref, "spec.outlierDetection.consecutiveFailures", "gRPC's xDS client does not eject on consecutive"
          + " failures (A50 has failure percentage and success rate only); not applied");
      Double threshold = od.failurePercentageThreshold();
      if (threshold == null) {
        return null;
      }
      return OutlierDetection.newBuilder()
          .setInterval(duration(od.interval()))
          .setBaseEjectionTime(duration(od.baseEjectionTime()))
          .setMaxEjectionTime(duration(od.maxEjectionTime()))
          .setMaxEjectionPercent(UInt32Value.of(wholePercent(ref, "spec.outlierDetection.maxEjectionPercent", od.maxEjectionPercent())))
          // off: xDS turns success-rate ejection on unless told otherwise
          .setEnforcingSuccessRate(UInt32Value.of(0))
          .setFailurePercentageThreshold(UInt32Value.of(wholePercent(ref, "spec.outlierDetection.failurePercentageThreshold", threshold)))
          .setEnforcingFailurePercentage(UInt32Value.of(100))
          // the mesh judges each endpoint on its own, however few there are
          .setFailurePercentageMinimumHosts(UInt32Value.of(1))
          .setFailurePercentageRequestVolume(UInt32Value.of(od.failurePercentageMinimumCalls()))
          .build();
    }

    int wholePercent(String ref, String field, double percent) {
      int whole = (int) Math.floor(percent);
      if (whole != percent) {
        gap(ref, field, "xDS carries whole percents; " + percent + " served as " + whole);
      }
      return whole;
    }

    /** The endpoints of {@code service} whose labels include {@code labels}. */
    List<ServiceEndpoints.Endpoint> members(String service, Map<String, String> labels) {
      List<ServiceEndpoints.Endpoint> out = new ArrayList<>();
      for (ServiceEndpoints.Endpoint e : endpoints.getOrDefault(service, List.of())) {
        Map<String, String> own = e.labels() == null ? Map.of() : e.labels();
        if (own.entrySet().containsAll(labels.entrySet())) {
          out.add(e);
        }
      }
      return out;
    }

    /**
     * Mutual TLS to {@code members} when the mesh is STRICT (A29), else null: under STRICT a mesh
     * server refuses plaintext callers, under PERMISSIVE and DISABLED it takes them. The peer
     * accepts the endpoints' SPIFFE IDs, or any ID of the trust domain when one has none, as the
     * mesh's own clients do.
     */
    @Nullable TransportSocket transportSocket(String service, String cluster, List<ServiceEndpoints.Endpoint> members) {
      if (settings.mtls() != MeshConfig.MtlsMode.STRICT) {
        return null;
      }
      SortedSet<String> ids = new TreeSet<>();
      boolean unnamed = members.isEmpty();
      for (ServiceEndpoints.Endpoint e : members) {
        if (e.identity() == null) {
          unnamed = true;
        } else {
          ids.add(e.identity());
        }
      }
      List<StringMatcher> names = new ArrayList<>();
      if (unnamed) {
        // never an empty list: A29 peers would accept any name the roots signed
        names.add(StringMatcher.newBuilder().setPrefix("spiffe://" + settings.trustDomain() + "/").build());
      } else {
        ids.forEach(id -> names.add(StringMatcher.newBuilder().setExact(id).build()));
      }
      if (ids.size() > 1 || (unnamed && !ids.isEmpty())) {
        gap(endpointLists.getOrDefault(service, "ServiceEndpoints of " + service), "spec.endpoints[].identity",
            "xDS has one list of accepted names per cluster: each endpoint of " + cluster + " is accepted with "
            + (unnamed ? "any ID of the trust domain" : "any of " + String.join(", ", ids)) + ", not only its own");
      }
      CertificateProviderPluginInstance provider = CertificateProviderPluginInstance.newBuilder().setInstanceName(CERTIFICATE_PROVIDER).build();
      UpstreamTlsContext tls = UpstreamTlsContext.newBuilder()
          .setCommonTlsContext(CommonTlsContext.newBuilder()
              .setTlsCertificateProviderInstance(provider)
              .setValidationContext(validation(provider, names)))
          .build();
      return TransportSocket.newBuilder().setName(TLS_TRANSPORT_SOCKET).setTypedConfig(Any.pack(tls)).build();
    }

    ClusterLoadAssignment assignment(String service, String cluster, Map<String, String> labels) {
      Map<String, List<ServiceEndpoints.Endpoint>> byZone = new TreeMap<>();
      for (ServiceEndpoints.Endpoint e : members(service, labels)) {
        byZone.computeIfAbsent(e.zone() == null ? "" : e.zone(), k -> new ArrayList<>()).add(e);
      }
      ClusterLoadAssignment.Builder out = ClusterLoadAssignment.newBuilder().setClusterName(cluster);
      byZone.forEach((zone, list) -> {
        LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder().setLocality(Locality.newBuilder().setZone(zone));
        long weight = 0;
        for (ServiceEndpoints.Endpoint e : list) {
          weight += e.weight();
          locality.addLbEndpoints(LbEndpoint.newBuilder()
              .setHealthStatus(HealthStatus.HEALTHY)
              .setLoadBalancingWeight(UInt32Value.of(e.weight()))
              .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
                  .setAddress(e.address())
                  // gRPC clients dial the gRPC port, as meshed ones do
                  .setPortValue(e.grpcPort() != null ? e.grpcPort() : e.port())))));
        }
        // gRPC drops localities without a weight; a zone weighs what its endpoints weigh
        out.addEndpoints(locality.setLoadBalancingWeight(UInt32Value.of((int) Math.min(weight, Integer.MAX_VALUE))));
      });
      return out.build();
    }
  }

  /**
   * Locality-weighted picking with {@code child} inside, then round robin: a peer takes the first
   * policy of the list it has (grpc-js-xds 1.14 has no least-request balancer and would otherwise
   * refuse the cluster).
   */
  private static Any wrrLocality(Any child, String childName) {
    LoadBalancingPolicy.Builder picking = LoadBalancingPolicy.newBuilder()
        .addPolicies(LoadBalancingPolicy.Policy.newBuilder()
            .setTypedExtensionConfig(TypedExtensionConfig.newBuilder().setName(childName).setTypedConfig(child)));
    if (!child.is(RoundRobin.class)) {
      picking.addPolicies(LoadBalancingPolicy.Policy.newBuilder()
          .setTypedExtensionConfig(TypedExtensionConfig.newBuilder()
              .setName(ROUND_ROBIN).setTypedConfig(Any.pack(RoundRobin.getDefaultInstance()))));
    }
    return Any.pack(WrrLocality.newBuilder().setEndpointPickingPolicy(picking).build());
  }

  private static final String ROUND_ROBIN = "envoy.load_balancing_policies.round_robin";

  /** Roots from {@code provider}, the peer's certificate named by one of {@code names}. */
  @SuppressWarnings("deprecation") // grpc-java and grpc-js read match_subject_alt_names, not its typed successor
  private static CertificateValidationContext validation(CertificateProviderPluginInstance provider, List<StringMatcher> names) {
    return CertificateValidationContext.newBuilder()
        .setCaCertificateProviderInstance(provider)
        .addAllMatchSubjectAltNames(names)
        .build();
  }

  private static boolean ringHash(DestinationPolicy.LbPolicy policy) {
    return policy == DestinationPolicy.LbPolicy.RING_HASH || policy == DestinationPolicy.LbPolicy.MAGLEV;
  }

  /** One element of a gRPC path as RE2: the expression, else the name, else any name. */
  private static String part(@Nullable String regex, @Nullable String name) {
    if (regex != null) {
      return "(?:" + regex + ")";
    }
    return name != null ? quote(name) : "[^/]+";
  }

  private static RegexMatcher regex(String re2) {
    return RegexMatcher.newBuilder().setRegex(re2).build();
  }

  /** {@code literal} as an RE2 expression matching exactly it. */
  static String quote(String literal) {
    StringBuilder out = new StringBuilder(literal.length() + 8);
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }

  private static FractionalPercent percent(double percent) {
    return FractionalPercent.newBuilder()
        .setNumerator((int) Math.round(percent * 10_000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION)
        .build();
  }

  private static Duration duration(java.time.Duration d) {
    return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }
}
