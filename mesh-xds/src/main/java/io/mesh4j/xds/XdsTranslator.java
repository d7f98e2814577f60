package io.mesh4j.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
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
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.Metadata;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.policy.TrafficRoute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Translates xDS resources into mesh4j's policy model, and says which required features of a
 * resource mesh4j cannot honour. Each target (a listener the application calls) becomes one
 * destination: its route's rules become a {@link TrafficRoute} whose subsets are the xDS clusters
 * its rules send to (subset name = cluster name), the clusters' settings one {@link
 * DestinationPolicy}, and the clusters' endpoints one {@link ServiceEndpoints} list in which each
 * endpoint carries the label {@code xds.cluster/<cluster name>: "true"} for every cluster that
 * holds it.
 *
 * <p>Stateless; every method is a pure function of its arguments.
 */
final class XdsTranslator {

  static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
  static final String ROUTE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  static final String CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  static final String ENDPOINT = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  /** The label that puts an endpoint in the subset of one xDS cluster. */
  static final String CLUSTER_LABEL_PREFIX = "xds.cluster/";

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Duration DEFAULT_BACKOFF_BASE = Duration.ofMillis(25);
  /** mesh4j's own limit of attempts per call. */
  private static final int MAX_ATTEMPTS = 10;

  private XdsTranslator() {}

  /**
   * A destination the application calls: the listener it is named by and the mesh4j service it
   * becomes.
   *
   * @param listener the xDS listener name, e.g. {@code catalog.shop:8080}
   * @param service the mesh4j destination, {@code name.namespace}, e.g. {@code catalog.shop}
   */
  record Target(String listener, String service) {

    /**
     * The target {@code host[:port]}: its listener is the target as written; its service is the
     * host's first two labels ({@code catalog.shop.svc.cluster.local} is {@code catalog.shop}), or
     * the host and {@code defaultNamespace} when the host has one label.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static Target parse(String target, String defaultNamespace) {
      String host = target;
      int colon = target.lastIndexOf(':');
      if (colon >= 0) {
        host = target.substring(0, colon);
        String port = target.substring(colon + 1);
        int p;
        try {
          p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
          p = -1;
        }
        if (p < 1 || p > 65_535) {
          throw new IllegalArgumentException(
              "xDS target " + target + ": the port must be 1 to 65535, got " + port);
        }
      }
      String[] labels = host.toLowerCase(Locale.ROOT).split("\\.", -1);
      String name = labels[0];
      String namespace = labels.length > 1 ? labels[1] : defaultNamespace;
      if (!DNS_LABEL.matcher(name).matches() || !DNS_LABEL.matcher(namespace).matches()) {
        throw new IllegalArgumentException("xDS target " + target
            + ": must be host[:port] whose first two labels (or the host and the default namespace "
            + defaultNamespace + ") are DNS labels, the service name and namespace");
      }
      return new Target(target, name + "." + namespace);
    }

    String name() {
      return service.substring(0, service.indexOf('.'));
    }

    String namespace() {
      return service.substring(service.indexOf('.') + 1);
    }
  }

  /** The resources held, by name, of each type. */
  record Resources(
      Map<String, Listener> listeners,
      Map<String, RouteConfiguration> routes,
      Map<String, Cluster> clusters,
      Map<String, ClusterLoadAssignment> assignments) {

    static final Resources EMPTY = new Resources(Map.of(), Map.of(), Map.of(), Map.of());

    /** These resources with those of {@code type} replaced by {@code byName}. */
    Resources with(String type, Map<String, Message> byName) {
      return switch (type) {
        case LISTENER -> new Resources(cast(byName), routes, clusters, assignments);
        case ROUTE -> new Resources(listeners, cast(byName), clusters, assignments);
        case CLUSTER -> new Resources(listeners, routes, cast(byName), assignments);
        case ENDPOINT -> new Resources(listeners, routes, clusters, cast(byName));
        default -> throw new IllegalArgumentException("not an xDS resource type mesh4j reads: " + type);
      };
    }

    /** What is held of {@code type}. */
    Map<String, ? extends Message> of(String type) {
      return switch (type) {
        case LISTENER -> listeners;
        case ROUTE -> routes;
        case CLUSTER -> clusters;
        case ENDPOINT -> assignments;
        default -> throw new IllegalArgumentException("not an xDS resource type mesh4j reads: " + type);
      };
    }

    @SuppressWarnings("unchecked")
    private static <T extends Message> Map<String, T> cast(Map<String, Message> byName) {
      return (Map<String, T>) Map.copyOf(byName);
    }
  }

  /** The protobuf class of each type mesh4j reads. */
  static Class<? extends Message> messageClass(String type) {
    return switch (type) {
      case LISTENER -> Listener.class;
      case ROUTE -> RouteConfiguration.class;
      case CLUSTER -> Cluster.class;
      case ENDPOINT -> ClusterLoadAssignment.class;
      default -> throw new IllegalArgumentException("not an xDS resource type mesh4j reads: " + type);
    };
  }

  /** A resource's name, as subscriptions and references use it. */
  static String name(Message resource) {
    if (resource instanceof Listener l) {
      return l.getName();
    }
    if (resource instanceof RouteConfiguration r) {
      return r.getName();
    }
    if (resource instanceof Cluster c) {
      return c.getName();
    }
    return ((ClusterLoadAssignment) resource).getClusterName();
  }

  /** How a problem names an xDS resource: {@code Cluster outbound|8080|v1|catalog.shop}. */
  static String ref(Message resource) {
    return resource.getDescriptorForType().getName() + " " + name(resource);
  }

  /** Every required feature of {@code resource} that mesh4j cannot honour; empty if none. */
  static List<Problem> check(Message resource) {
    List<Problem> problems = new ArrayList<>();
    Sink sink = new Sink(ref(resource), "", problems);
    if (resource instanceof Listener l) {
      Hcm hcm = listener(l, sink);
      if (hcm != null && hcm.inline() != null) {
        routeConfiguration(hcm.inline(), sink.at("api_listener.api_listener.route_config."), hcm.maxStreamDuration());
      }
    } else if (resource instanceof RouteConfiguration r) {
      routeConfiguration(r, sink, null);
    } else if (resource instanceof Cluster c) {
      cluster(c, sink);
    } else if (resource instanceof ClusterLoadAssignment a) {
      endpoints(a, sink);
    }
    return problems;
  }

  /** The names each type's subscription needs now, beyond the targets' listeners. */
  static Map<String, Set<String>> wanted(List<Target> targets, Resources held) {
    Set<String> routes = new LinkedHashSet<>();
    Set<String> clusters = new LinkedHashSet<>();
    Set<String> assignments = new LinkedHashSet<>();
    List<Problem> ignored = new ArrayList<>();
    for (Target t : targets) {
      Listener l = held.listeners().get(t.listener());
      Hcm hcm = l == null ? null : listener(l, new Sink("", "", ignored));
      if (hcm == null) {
        continue;
      }
      RouteConfiguration config = hcm.inline();
      if (config == null && hcm.rds() != null) {
        routes.add(hcm.rds());
        config = held.routes().get(hcm.rds());
      }
      VirtualHost host = config == null ? null : virtualHost(config, t.listener());
      if (host == null) {
        continue;
      }
      for (Route route : host.getRoutesList()) {
        RouteAction action = route.getRoute();
        if (!action.getCluster().isEmpty()) {
          clusters.add(action.getCluster());
        }
        action.getWeightedClusters().getClustersList().forEach(c -> clusters.add(c.getName()));
      }
    }
    for (String name : clusters) {
      Cluster c = held.clusters().get(name);
      if (c != null && c.getType() == Cluster.DiscoveryType.EDS) {
        assignments.add(edsName(c));
      }
    }
    return Map.of(ROUTE, routes, CLUSTER, clusters, ENDPOINT, assignments);
  }

  /**
   * The mesh4j resources of {@code target}, or null while a resource its listener leads to has not
   * arrived yet. Problems that make the whole unusable (clusters of one destination that disagree,
   * a hash-based balancer without a header to hash) go to {@code problems}.
   */
  static @Nullable List<MeshResource> translate(Target target, Resources held, List<Problem> problems) {
    Listener listener = held.listeners().get(target.listener());
    if (listener == null) {
      return null;
    }
    Hcm hcm = listener(listener, new Sink(ref(listener), "", problems));
    if (hcm == null) {
      return null;
    }
    RouteConfiguration config = hcm.inline();
    Sink routeSink = new Sink(ref(listener), "api_listener.api_listener.route_config.", problems);
    String rds = hcm.rds();
    if (config == null && rds != null) {
      config = held.routes().get(rds);
      if (config == null) {
        return null;
      }
      routeSink = new Sink(ref(config), "", problems);
    }
    if (config == null) {
      return null;
    }
    VirtualHost host = virtualHost(config, target.listener());
    if (host == null) {
      routeSink.add("virtual_hosts", "must have a virtual host whose domains match " + target.listener(), null);
      return null;
    }
    int index = config.getVirtualHostsList().indexOf(host);
    Routes routes = virtualHostRoutes(host, routeSink.at("virtual_hosts[" + index + "]."), hcm.maxStreamDuration());

    Map<String, ClusterPolicy> clusters = new LinkedHashMap<>();
    for (TrafficRoute.Rule rule : routes.rules()) {
      for (TrafficRoute.Backend b : rule.backends()) {
        String name = Objects.requireNonNull(b.subset());
        if (clusters.containsKey(name)) {
          continue;
        }
        Cluster c = held.clusters().get(name);
        if (c == null) {
          return null;
        }
        ClusterPolicy policy = cluster(c, new Sink(ref(c), "", problems));
        if (policy == null) {
          return null;
        }
        clusters.put(name, policy);
      }
    }
    Map<String, List<ServiceEndpoints.Endpoint>> endpointsByCluster = new LinkedHashMap<>();
    ClusterPolicy first = null;
    String firstName = "";
    for (Map.Entry<String, ClusterPolicy> e : clusters.entrySet()) {
      ClusterPolicy p = e.getValue();
      ClusterLoadAssignment assignment = p.inline() != null ? p.inline() : held.assignments().get(p.edsName());
      if (assignment == null) {
        return null;
      }
      endpointsByCluster.put(e.getKey(), endpoints(assignment, new Sink(ref(assignment), "", problems)));
      if (first == null) {
        first = p;
        firstName = e.getKey();
      } else if (!first.sameSettings(p)) {
        problems.add(new Problem("Cluster " + e.getKey(), "",
            "must have the same lb_policy, circuit_breakers and outlier_detection as Cluster " + firstName
                + ": mesh4j applies one policy to every subset of " + target.service(),
            null));
      }
    }

    String namespace = target.namespace();
    Metadata metadata = Metadata.of(namespace, target.name());
    List<TrafficRoute.Subset> subsets = new ArrayList<>();
    clusters.keySet().forEach(c -> subsets.add(new TrafficRoute.Subset(c, Map.of(CLUSTER_LABEL_PREFIX + c, "true"))));
    List<MeshResource> out = new ArrayList<>();
    out.add(new TrafficRoute(metadata, new TrafficRoute.Spec(target.service(), subsets, routes.rules())));
    if (first != null) {
      String hashHeader = routes.hashHeader();
      DestinationPolicy.LbPolicy lb = first.lb();
      if ((lb == DestinationPolicy.LbPolicy.RING_HASH || lb == DestinationPolicy.LbPolicy.MAGLEV) && hashHeader == null) {
        routeSink.add("virtual_hosts[" + index + "].routes",
            "must hash a header (hash_policy.header) for Cluster " + firstName + "'s " + lb
                + ": mesh4j's hash balancers hash one request header",
            null);
      }
      out.add(new DestinationPolicy(metadata, new DestinationPolicy.Spec(
          target.service(),
          null,
          new DestinationPolicy.LoadBalancer(lb, hashHeader, false, Duration.ofSeconds(10), 50.0),
          first.circuitBreaker(),
          first.outlierDetection(),
          null,
          null,
          null,
          new DestinationPolicy.RetryBudget(20.0, 10, Duration.ofSeconds(10)))));
    }
    out.add(new ServiceEndpoints(metadata, new ServiceEndpoints.Spec(target.service(), merge(endpointsByCluster))));
    return out;
  }

  /** One list, each address and port once, labelled with every cluster that holds it. */
  private static List<ServiceEndpoints.Endpoint> merge(Map<String, List<ServiceEndpoints.Endpoint>> byCluster) {
    Map<String, ServiceEndpoints.Endpoint> merged = new LinkedHashMap<>();
    byCluster.forEach((cluster, list) -> {
      for (ServiceEndpoints.Endpoint e : list) {
        String key = e.address() + ":" + e.port();
        ServiceEndpoints.Endpoint had = merged.get(key);
        Map<String, String> labels = new LinkedHashMap<>();
        if (had != null && had.labels() != null) {
          labels.putAll(had.labels());
        }
        labels.put(CLUSTER_LABEL_PREFIX + cluster, "true");
        ServiceEndpoints.Endpoint base = had != null ? had : e;
        merged.put(key, new ServiceEndpoints.Endpoint(
            base.address(), base.port(), labels, base.zone(), base.weight(), null));
      }
    });
    return List.copyOf(merged.values());
  }

  // ---- Listener

  /**
   * What a listener's HttpConnectionManager says.
   *
   * @param rds the RouteConfiguration to subscribe to, or null when inline
   * @param inline the inline RouteConfiguration, or null when by RDS
   * @param maxStreamDuration the manager's default deadline, or null
   */
  record Hcm(@Nullable String rds, @Nullable RouteConfiguration inline, @Nullable Duration maxStreamDuration) {}

  private static @Nullable Hcm listener(Listener l, Sink sink) {
    if (!l.hasApiListener()) {
      sink.add("api_listener", "must be set: mesh4j reads the listeners of proxyless gRPC clients", null);
      return null;
    }
    Any any = l.getApiListener().getApiListener();
    HttpConnectionManager hcm = unpack(any, HttpConnectionManager.class, sink, "api_listener.api_listener");
    if (hcm == null) {
      return null;
    }
    Sink s = sink.at("api_listener.api_listener.");
    List<HttpFilter> filters = hcm.getHttpFiltersList();
    boolean router = false;
    for (int i = 0; i < filters.size(); i++) {
      HttpFilter f = filters.get(i);
      if (f.hasTypedConfig() && f.getTypedConfig().is(Router.class)) {
        router = true;
        if (i != filters.size() - 1) {
          s.add("http_filters[" + i + "]", "must be the last filter (the router)", f.getName());
        }
      } else if (!f.getIsOptional()) {
        s.add("http_filters[" + i + "]",
            "must be the router or marked is_optional: mesh4j implements no other HTTP filter",
            f.getName() + " (" + f.getTypedConfig().getTypeUrl() + ")");
      }
    }
    if (!router) {
      s.add("http_filters", "must end with the router filter (envoy.filters.http.router)", null);
    }
    Duration msd = hcm.getCommonHttpProtocolOptions().hasMaxStreamDuration()
        ? duration(hcm.getCommonHttpProtocolOptions().getMaxStreamDuration())
        : null;
    switch (hcm.getRouteSpecifierCase()) {
      case RDS -> {
        ConfigSource source = hcm.getRds().getConfigSource();
        if (!source.hasAds() && !source.hasSelf()) {
          s.add("rds.config_source", "must be ads or self: mesh4j follows one ADS stream", source.getConfigSourceSpecifierCase().name());
          return null;
        }
        String name = hcm.getRds().getRouteConfigName();
        if (name.isEmpty()) {
          s.add("rds.route_config_name", "must not be empty", "\"\"");
          return null;
        }
        return new Hcm(name, null, msd);
      }
      case ROUTE_CONFIG -> {
        return new Hcm(null, hcm.getRouteConfig(), msd);
      }
      default -> {
        s.add(hcm.getRouteSpecifierCase() == HttpConnectionManager.RouteSpecifierCase.SCOPED_ROUTES ? "scoped_routes" : "route_specifier",
            "must be rds or route_config: mesh4j does not read scoped routes", null);
        return null;
      }
    }
  }

  // ---- Routes

  /** A virtual host's rules and the header its routes hash, if any. */
  record Routes(List<TrafficRoute.Rule> rules, @Nullable String hashHeader) {}

  private static void routeConfiguration(RouteConfiguration config, Sink sink, @Nullable Duration defaultTimeout) {
    if (config.getVirtualHostsCount() == 0) {
      sink.add("virtual_hosts", "must not be empty", "[]");
    }
    for (int i = 0; i < config.getVirtualHostsCount(); i++) {
      virtualHostRoutes(config.getVirtualHosts(i), sink.at("virtual_hosts[" + i + "]."), defaultTimeout);
    }
    if (config.getTypedPerFilterConfigCount() > 0) {
      nonOptionalFilterConfigs(config.getTypedPerFilterConfigMap(), sink, "typed_per_filter_config");
    }
    if (config.getRequestHeadersToAddCount() + config.getRequestHeadersToRemoveCount()
        + config.getResponseHeadersToAddCount() + config.getResponseHeadersToRemoveCount() > 0) {
      sink.add("request_headers_to_add", "must be empty: mesh4j does not translate header edits from xDS", null);
    }
  }

  /**
   * The virtual host whose domains match {@code authority} best, as envoy and gRPC choose it:
   * exact, then the longest {@code *.suffix}, then the longest {@code prefix*}, then {@code *}.
   */
  static @Nullable VirtualHost virtualHost(RouteConfiguration config, String authority) {
    String a = authority.toLowerCase(Locale.ROOT);
    VirtualHost best = null;
    int bestRank = Integer.MAX_VALUE;
    int bestLength = -1;
    for (VirtualHost vh : config.getVirtualHostsList()) {
      for (String domain : vh.getDomainsList()) {
        String d = domain.toLowerCase(Locale.ROOT);
        int rank;
        if (d.equals("*")) {
          rank = 3;
        } else if (d.equals(a)) {
          rank = 0;
        } else if (d.startsWith("*") && a.endsWith(d.substring(1))) {
          rank = 1;
        } else if (d.endsWith("*") && a.startsWith(d.substring(0, d.length() - 1))) {
          rank = 2;
        } else {
          continue;
        }
        if (rank < bestRank || (rank == bestRank && d.length() > bestLength)) {
          best = vh;
          bestRank = rank;
          bestLength = d.length();
        }
      }
    }
    return best;
  }

  private static Routes virtualHostRoutes(VirtualHost host, Sink sink, @Nullable Duration defaultTimeout) {
    if (host.getTypedPerFilterConfigCount() > 0) {
      nonOptionalFilterConfigs(host.getTypedPerFilterConfigMap(), sink, "typed_per_filter_config");
    }
    if (host.getRequestHeadersToAddCount() + host.getRequestHeadersToRemoveCount()
        + host.getResponseHeadersToAddCount() + host.getResponseHeadersToRemoveCount() > 0) {
      sink.add("request_headers_to_add", "must be empty: mesh4j does not translate header edits from xDS", null);
    }
    List<TrafficRoute.Rule> rules = new ArrayList<>();
    String hashHeader = null;
    for (int i = 0; i < host.getRoutesCount(); i++) {
      Route route = host.getRoutes(i);
      Sink s = sink.at("routes[" + i + "].");
      TrafficRoute.Rule rule = rule(route, host.hasRetryPolicy() ? host.getRetryPolicy() : null, s, defaultTimeout);
      if (rule != null) {
        rules.add(rule);
      }
      for (int h = 0; h < route.getRoute().getHashPolicyCount(); h++) {
        RouteAction.HashPolicy policy = route.getRoute().getHashPolicy(h);
        if (policy.hasHeader()) {
          if (hashHeader == null) {
            hashHeader = policy.getHeader().getHeaderName();
          }
        } else {
          s.add("route.hash_policy[" + h + "]", "must hash a header: mesh4j's hash balancers hash one request header",
              policy.getPolicySpecifierCase().name());
        }
      }
      if (rule != null && rule.matches() == null) {
        // The first route that matches every call takes them all, in xDS as in mesh4j: the routes
        // after it are never reached (mesh4j's controller ends with such a default route).
        break;
      }
    }
    if (rules.isEmpty() && host.getRoutesCount() == 0) {
      sink.add("routes", "must not be empty", "[]");
    }
    return new Routes(rules, hashHeader);
  }

  private static TrafficRoute.@Nullable Rule rule(
      Route route, @Nullable RetryPolicy hostRetry, Sink s, @Nullable Duration defaultTimeout) {
    if (route.getTypedPerFilterConfigCount() > 0) {
      nonOptionalFilterConfigs(route.getTypedPerFilterConfigMap(), s, "typed_per_filter_config");
    }
    if (route.getRequestHeadersToAddCount() + route.getRequestHeadersToRemoveCount()
        + route.getResponseHeadersToAddCount() + route.getResponseHeadersToRemoveCount() > 0) {
      s.add("request_headers_to_add", "must be empty: mesh4j does not translate header edits from xDS", null);
    }
    TrafficRoute.Match match = match(route.getMatch(), s.at("match."));
    if (route.getActionCase() != Route.ActionCase.ROUTE) {
      s.add(actionField(route.getActionCase()),
          "must be route: mesh4j forwards calls; it does not answer them itself", null);
      return null;
    }
    RouteAction action = route.getRoute();
    Sink a = s.at("route.");
    List<TrafficRoute.Backend> backends = new ArrayList<>();
    switch (action.getClusterSpecifierCase()) {
      case CLUSTER -> backends.add(new TrafficRoute.Backend(null, action.getCluster(), 1, null));
      case WEIGHTED_CLUSTERS -> {
        WeightedCluster wc = action.getWeightedClusters();
        long total = 0;
        for (int i = 0; i < wc.getClustersCount(); i++) {
          WeightedCluster.ClusterWeight cw = wc.getClusters(i);
          if (cw.getTypedPerFilterConfigCount() > 0) {
            nonOptionalFilterConfigs(cw.getTypedPerFilterConfigMap(), a, "weighted_clusters.clusters[" + i + "].typed_per_filter_config");
          }
          if (cw.getRequestHeadersToAddCount() + cw.getRequestHeadersToRemoveCount()
              + cw.getResponseHeadersToAddCount() + cw.getResponseHeadersToRemoveCount() > 0) {
            a.add("weighted_clusters.clusters[" + i + "].request_headers_to_add",
                "must be empty: mesh4j does not translate header edits from xDS", null);
          }
          if (!cw.getClusterHeader().isEmpty()) {
            a.add("weighted_clusters.clusters[" + i + "].cluster_header",
                "must not be set: mesh4j routes to named clusters only", cw.getClusterHeader());
          }
          int weight = cw.hasWeight() ? cw.getWeight().getValue() : 0;
          if (weight < 0) {
            a.add("weighted_clusters.clusters[" + i + "].weight", "must be at most " + Integer.MAX_VALUE,
                Integer.toUnsignedString(weight));
            weight = 0;
          }
          total += weight;
          backends.add(new TrafficRoute.Backend(null, cw.getName(), weight, null));
        }
        if (total == 0) {
          a.add("weighted_clusters", "must have a cluster with a weight above 0", null);
          return null;
        }
      }
      default -> {
        a.add(action.getClusterSpecifierCase() == RouteAction.ClusterSpecifierCase.CLUSTER_HEADER
                ? "cluster_header" : action.getClusterSpecifierCase().name().toLowerCase(Locale.ROOT),
            "must be cluster or weighted_clusters: mesh4j routes to named clusters only",
            action.getClusterSpecifierCase() == RouteAction.ClusterSpecifierCase.CLUSTER_HEADER
                ? action.getClusterHeader() : null);
        return null;
      }
    }
    if (action.getRequestMirrorPoliciesCount() > 0) {
      a.add("request_mirror_policies", "must be empty: mesh4j does not translate mirrors from xDS", null);
    }
    if (!action.getPrefixRewrite().isEmpty() || action.hasRegexRewrite()
        || action.getHostRewriteSpecifierCase() != RouteAction.HostRewriteSpecifierCase.HOSTREWRITESPECIFIER_NOT_SET) {
      a.add("prefix_rewrite", "must not be set: gRPC calls are not rewritten", null);
    }
    Duration timeout = null;
    if (action.getMaxStreamDuration().hasMaxStreamDuration()) {
      timeout = duration(action.getMaxStreamDuration().getMaxStreamDuration());
    } else if (action.hasTimeout()) {
      timeout = duration(action.getTimeout());
    } else {
      timeout = defaultTimeout;
    }
    if (timeout != null && timeout.isZero()) {
      timeout = null; // xDS: 0 means no deadline
    }
    TrafficRoute.Retry retry = null;
    if (action.hasRetryPolicy()) {
      retry = retry(action.getRetryPolicy(), a.at("retry_policy."));
    } else if (hostRetry != null) {
      retry = retry(hostRetry, s.at("(virtual host) retry_policy."));
    }
    return new TrafficRoute.Rule(
        route.getName().isEmpty() ? null : route.getName(),
        match == null ? null : List.of(match),
        backends, timeout, retry, null, null, null, null, null, null, null);
  }

  private static String actionField(Route.ActionCase action) {
    return switch (action) {
      case REDIRECT -> "redirect";
      case DIRECT_RESPONSE -> "direct_response";
      case NON_FORWARDING_ACTION -> "non_forwarding_action";
      case FILTER_ACTION -> "filter_action";
      default -> "action";
    };
  }

  /** The match, or null when it matches every call. */
  private static TrafficRoute.@Nullable Match match(RouteMatch m, Sink s) {
    if (m.hasCaseSensitive() && !m.getCaseSensitive().getValue()) {
      s.add("case_sensitive", "must be true: mesh4j matches gRPC service and method names exactly", "false");
    }
    if (m.hasRuntimeFraction()) {
      s.add("runtime_fraction", "must not be set: mesh4j matches no share of calls at random", null);
    }
    if (m.getDynamicMetadataCount() > 0) {
      s.add("dynamic_metadata", "must be empty: mesh4j has no dynamic metadata", null);
    }
    TrafficRoute.GrpcMatch grpc = null;
    switch (m.getPathSpecifierCase()) {
      case PREFIX -> grpc = grpcPrefix(m.getPrefix());
      case PATH -> {
        String path = m.getPath();
        int slash = path.indexOf('/', 1);
        if (!path.startsWith("/") || slash < 0 || slash == path.length() - 1 || path.indexOf('/', slash + 1) >= 0) {
          s.add("path", "must be /service/method: mesh4j matches gRPC calls", path);
        } else {
          grpc = new TrafficRoute.GrpcMatch(path.substring(1, slash), path.substring(slash + 1), null, null);
        }
      }
      default -> s.add(m.getPathSpecifierCase().name().toLowerCase(Locale.ROOT),
          "must be prefix or path: mesh4j matches gRPC services and methods, not path patterns", null);
    }
    List<TrafficRoute.HeaderMatch> headers = new ArrayList<>();
    for (int i = 0; i < m.getHeadersCount(); i++) {
      TrafficRoute.HeaderMatch h = header(m.getHeaders(i), s.at("headers[" + i + "]."));
      if (h != null) {
        headers.add(h);
      }
    }
    if (m.getQueryParametersCount() > 0) {
      s.add("query_parameters", "must be empty: gRPC calls have no query", null);
    }
    if (grpc == null && headers.isEmpty()) {
      return null;
    }
    return new TrafficRoute.Match(grpc, null, null, headers.isEmpty() ? null : headers, null, null);
  }

  /**
   * A path prefix as a gRPC match: {@code /} or nothing matches every call, {@code /pkg.Svc/}
   * the service, {@code /pkg.Svc/Get} the service and methods starting {@code Get}, {@code /pkg.}
   * services starting {@code pkg.}.
   */
  static TrafficRoute.@Nullable GrpcMatch grpcPrefix(String prefix) {
    String p = prefix.startsWith("/") ? prefix.substring(1) : prefix;
    if (p.isEmpty()) {
      return null;
    }
    int slash = p.indexOf('/');
    if (slash < 0) {
      return new TrafficRoute.GrpcMatch(null, null, Pattern.quote(p) + ".*", null);
    }
    String service = p.substring(0, slash);
    String method = p.substring(slash + 1);
    return new TrafficRoute.GrpcMatch(service, null, null, method.isEmpty() ? null : Pattern.quote(method) + ".*");
  }

  // The deprecated matchers are what older control planes still send.
  @SuppressWarnings("deprecation")
  private static TrafficRoute.@Nullable HeaderMatch header(HeaderMatcher h, Sink s) {
    if (h.getInvertMatch()) {
      s.add("invert_match", "must be false: mesh4j does not invert header matches", "true");
      return null;
    }
    String name = h.getName();
    return switch (h.getHeaderMatchSpecifierCase()) {
      case EXACT_MATCH -> new TrafficRoute.HeaderMatch(name, h.getExactMatch(), null, null, null);
      case PREFIX_MATCH -> new TrafficRoute.HeaderMatch(name, null, h.getPrefixMatch(), null, null);
      case SUFFIX_MATCH -> new TrafficRoute.HeaderMatch(name, null, null, ".*" + Pattern.quote(h.getSuffixMatch()), null);
      case CONTAINS_MATCH -> new TrafficRoute.HeaderMatch(name, null, null, ".*" + Pattern.quote(h.getContainsMatch()) + ".*", null);
      case SAFE_REGEX_MATCH -> new TrafficRoute.HeaderMatch(name, null, null, h.getSafeRegexMatch().getRegex(), null);
      case PRESENT_MATCH -> new TrafficRoute.HeaderMatch(name, null, null, null, h.getPresentMatch());
      case STRING_MATCH -> stringMatch(name, h.getStringMatch(), s.at("string_match."));
      default -> {
        s.add(h.getHeaderMatchSpecifierCase().name().toLowerCase(Locale.ROOT),
            "must be exact, prefix, suffix, contains, safe_regex, present or string_match", null);
        yield null;
      }
    };
  }

  private static TrafficRoute.@Nullable HeaderMatch stringMatch(String name, StringMatcher m, Sink s) {
    if (m.getIgnoreCase()) {
      s.add("ignore_case", "must be false: mesh4j matches header values exactly", "true");
      return null;
    }
    return switch (m.getMatchPatternCase()) {
      case EXACT -> new TrafficRoute.HeaderMatch(name, m.getExact(), null, null, null);
      case PREFIX -> new TrafficRoute.HeaderMatch(name, null, m.getPrefix(), null, null);
      case SUFFIX -> new TrafficRoute.HeaderMatch(name, null, null, ".*" + Pattern.quote(m.getSuffix()), null);
      case CONTAINS -> new TrafficRoute.HeaderMatch(name, null, null, ".*" + Pattern.quote(m.getContains()) + ".*", null);
      case SAFE_REGEX -> new TrafficRoute.HeaderMatch(name, null, null, m.getSafeRegex().getRegex(), null);
      default -> {
        s.add(m.getMatchPatternCase().name().toLowerCase(Locale.ROOT), "must be exact, prefix, suffix, contains or safe_regex", null);
        yield null;
      }
    };
  }

  /**
   * A retry policy: {@code retry_on} conditions as mesh4j's outcomes, {@code num_retries} + 1
   * attempts (envoy's default of one retry when unset), capped at mesh4j's ten.
   */
  static TrafficRoute.@Nullable Retry retry(RetryPolicy p, Sink s) {
    Set<String> on = new LinkedHashSet<>();
    for (String raw : p.getRetryOn().split(",", -1)) {
      String c = raw.strip();
      switch (c) {
        case "" -> { }
        case "cancelled" -> on.add("CANCELLED");
        case "deadline-exceeded" -> on.add("DEADLINE_EXCEEDED");
        case "internal" -> on.add("INTERNAL");
        case "resource-exhausted" -> on.add("RESOURCE_EXHAUSTED");
        case "unavailable", "refused-stream", "reset" -> on.add("UNAVAILABLE");
        case "connect-failure" -> on.add("connect-failure");
        case "5xx" -> on.add("5xx");
        case "gateway-error" -> on.addAll(List.of("502", "503", "504"));
        case "retriable-4xx" -> on.add("409");
        case "retriable-status-codes" -> p.getRetriableStatusCodesList().forEach(code -> on.add(Integer.toString(code)));
        default -> s.add("retry_on", "must list conditions mesh4j knows (gRPC codes cancelled, deadline-exceeded,"
            + " internal, resource-exhausted, unavailable; connect-failure, refused-stream, reset, 5xx,"
            + " gateway-error, retriable-4xx, retriable-status-codes)", c);
      }
    }
    if (p.getRetryHostPredicateCount() > 0) {
      for (int i = 0; i < p.getRetryHostPredicateCount(); i++) {
        if (!p.getRetryHostPredicate(i).getName().equals("envoy.retry_host_predicates.previous_hosts")) {
          s.add("retry_host_predicate[" + i + "]",
              "must be envoy.retry_host_predicates.previous_hosts: mesh4j retries on another endpoint first and knows no other predicate",
              p.getRetryHostPredicate(i).getName());
        }
      }
    }
    if (p.hasRetryPriority()) {
      s.add("retry_priority", "must not be set: mesh4j has no endpoint priorities", p.getRetryPriority().getName());
    }
    if (p.hasRateLimitedRetryBackOff() || p.getRetriableHeadersCount() > 0 || p.getRetriableRequestHeadersCount() > 0) {
      s.add("retriable_headers", "must not be set: mesh4j retries on outcomes, not on headers", null);
    }
    int retries = p.hasNumRetries() ? p.getNumRetries().getValue() : 1;
    if (on.isEmpty() || retries <= 0) {
      return null;
    }
    int attempts = (int) Math.min((long) retries + 1, MAX_ATTEMPTS);
    Duration base = p.getRetryBackOff().hasBaseInterval()
        ? duration(p.getRetryBackOff().getBaseInterval()) : DEFAULT_BACKOFF_BASE;
    Duration max = p.getRetryBackOff().hasMaxInterval()
        ? duration(p.getRetryBackOff().getMaxInterval()) : base.multipliedBy(10);
    if (base.isZero()) {
      s.add("retry_back_off.base_interval", "must be above 0", "0s");
      return null;
    }
    if (max.compareTo(base) < 0) {
      s.add("retry_back_off.max_interval", "must be at least base_interval " + base, max.toString());
      return null;
    }
    Duration perTry = p.hasPerTryTimeout() && !duration(p.getPerTryTimeout()).isZero() ? duration(p.getPerTryTimeout()) : null;
    // xDS retries carry no idempotency: grpc-java retries every method a policy covers.
    return new TrafficRoute.Retry(attempts, perTry, List.copyOf(on), new TrafficRoute.Backoff(base, max), true, null);
  }

  private static void nonOptionalFilterConfigs(Map<String, Any> configs, Sink s, String field) {
    configs.forEach((filter, any) -> {
      if (any.is(io.envoyproxy.envoy.config.route.v3.FilterConfig.class)) {
        try {
          if (any.unpack(io.envoyproxy.envoy.config.route.v3.FilterConfig.class).getIsOptional()) {
            return;
          }
        } catch (InvalidProtocolBufferException e) {
          // refused below
        }
      }
      s.add(field + "[" + filter + "]",
          "must be empty or optional: mesh4j implements no HTTP filter but the router", any.getTypeUrl());
    });
  }

  // ---- Cluster

  /**
   * What a cluster contributes to its destination.
   *
   * @param edsName the ClusterLoadAssignment to subscribe to
   * @param inline the endpoints of a STATIC cluster, or null for EDS
   */
  record ClusterPolicy(
      String edsName,
      @Nullable ClusterLoadAssignment inline,
      DestinationPolicy.LbPolicy lb,
      DestinationPolicy.@Nullable CircuitBreaker circuitBreaker,
      DestinationPolicy.OutlierDetection outlierDetection) {

    boolean sameSettings(ClusterPolicy other) {
      return lb == other.lb && Objects.equals(circuitBreaker, other.circuitBreaker)
          && outlierDetection.equals(other.outlierDetection);
    }
  }

  private static String edsName(Cluster c) {
    String service = c.getEdsClusterConfig().getServiceName();
    return service.isEmpty() ? c.getName() : service;
  }

  static @Nullable ClusterPolicy cluster(Cluster c, Sink s) {
    String edsName = edsName(c);
    ClusterLoadAssignment inline = null;
    if (c.hasClusterType()) {
      s.add("cluster_type", "must not be set: mesh4j reads EDS and STATIC clusters only", c.getClusterType().getName());
      return null;
    }
    switch (c.getType()) {
      case EDS -> {
        ConfigSource eds = c.getEdsClusterConfig().getEdsConfig();
        if (!eds.hasAds() && !eds.hasSelf()) {
          s.add("eds_cluster_config.eds_config", "must be ads or self: mesh4j follows one ADS stream",
              eds.getConfigSourceSpecifierCase().name());
        }
      }
      case STATIC -> inline = c.getLoadAssignment();
      default -> {
        s.add("type", "must be EDS or STATIC: mesh4j resolves no DNS clusters", c.getType().name());
        return null;
      }
    }
    if (c.hasTransportSocket() || c.getTransportSocketMatchesCount() > 0) {
      s.add("transport_socket", "must not be set: mesh4j's mTLS comes from its own workload identity, not from xDS",
          c.getTransportSocket().getName());
    }
    DestinationPolicy.LbPolicy lb = c.hasLoadBalancingPolicy()
        ? typedLb(c.getLoadBalancingPolicy(), s.at("load_balancing_policy."))
        : switch (c.getLbPolicy()) {
          case ROUND_ROBIN -> DestinationPolicy.LbPolicy.ROUND_ROBIN;
          case LEAST_REQUEST -> leastRequest(c.getLeastRequestLbConfig().hasChoiceCount()
              ? c.getLeastRequestLbConfig().getChoiceCount().getValue() : 2, s.at("least_request_lb_config."));
          case RING_HASH -> DestinationPolicy.LbPolicy.RING_HASH;
          case MAGLEV -> DestinationPolicy.LbPolicy.MAGLEV;
          default -> {
            s.add("lb_policy", "must be ROUND_ROBIN, LEAST_REQUEST, RING_HASH or MAGLEV", c.getLbPolicy().name());
            yield null;
          }
        };
    if (lb == null) {
      return null;
    }
    DestinationPolicy.CircuitBreaker breaker = null;
    for (CircuitBreakers.Thresholds t : c.getCircuitBreakers().getThresholdsList()) {
      if (t.getPriority() == RoutingPriority.DEFAULT && t.hasMaxRequests()) {
        int max = (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(t.getMaxRequests().getValue()));
        if (max < 1) {
          s.add("circuit_breakers.thresholds.max_requests", "must be at least 1", "0");
          return null;
        }
        // Only the concurrency cap: minimumCalls at its maximum keeps the rate thresholds from
        // ever opening the breaker, as xDS has no failure-rate breaker.
        breaker = new DestinationPolicy.CircuitBreaker(100.0, 100.0, Duration.ofDays(1), Integer.MAX_VALUE,
            DestinationPolicy.SlidingWindowType.TIME, 1, Duration.ofSeconds(30), 5, max);
      }
    }
    DestinationPolicy.OutlierDetection od = outlierDetection(c, s.at("outlier_detection."));
    return new ClusterPolicy(edsName, inline, lb, breaker, od);
  }

  private static DestinationPolicy.@Nullable LbPolicy leastRequest(int choices, Sink s) {
    if (choices != 2) {
      s.add("choice_count", "must be 2: mesh4j's least-request balancer picks the better of two", Integer.toString(choices));
      return null;
    }
    return DestinationPolicy.LbPolicy.LEAST_REQUEST;
  }

  /** The first policy of the list mesh4j implements, as gRPC picks one (gRFC A52). */
  private static DestinationPolicy.@Nullable LbPolicy typedLb(LoadBalancingPolicy policy, Sink s) {
    StringBuilder seen = new StringBuilder();
    for (LoadBalancingPolicy.Policy p : policy.getPoliciesList()) {
      Any config = p.getTypedExtensionConfig().getTypedConfig();
      seen.append(seen.length() == 0 ? "" : ", ").append(config.getTypeUrl());
      if (config.is(RoundRobin.class)) {
        return DestinationPolicy.LbPolicy.ROUND_ROBIN;
      }
      if (config.is(LeastRequest.class)) {
        LeastRequest lr = unpack(config, LeastRequest.class, s, "policies");
        return lr == null ? null : leastRequest(lr.hasChoiceCount() ? lr.getChoiceCount().getValue() : 2, s);
      }
      if (config.is(RingHash.class)) {
        return DestinationPolicy.LbPolicy.RING_HASH;
      }
      if (config.is(WrrLocality.class)) {
        WrrLocality wrr = unpack(config, WrrLocality.class, s, "policies");
        if (wrr != null) {
          return typedLb(wrr.getEndpointPickingPolicy(), s.at("endpoint_picking_policy."));
        }
        return null;
      }
    }
    s.add("policies", "must include round_robin, least_request, ring_hash or wrr_locality of one of them", "[" + seen + "]");
    return null;
  }

  private static DestinationPolicy.OutlierDetection outlierDetection(Cluster c, Sink s) {
    if (!c.hasOutlierDetection()) {
      // xDS: no outlier detection unless asked for; mesh4j's default would eject.
      return new DestinationPolicy.OutlierDetection(5, null, 20, Duration.ofSeconds(10), Duration.ofSeconds(30),
          Duration.ofSeconds(300), 10.0, false);
    }
    var o = c.getOutlierDetection();
    if (!o.hasEnforcingSuccessRate() || o.getEnforcingSuccessRate().getValue() > 0) {
      s.add("enforcing_success_rate", "must be 0: mesh4j does not eject by success rate (it ejects by consecutive"
          + " failures and failure percentage)", o.hasEnforcingSuccessRate() ? Integer.toString(o.getEnforcingSuccessRate().getValue()) : "unset (100)");
    }
    Integer consecutive = null;
    if (!o.hasEnforcingConsecutive5Xx() || o.getEnforcingConsecutive5Xx().getValue() > 0) {
      consecutive = o.hasConsecutive5Xx() ? o.getConsecutive5Xx().getValue() : 5;
    } else if (o.hasEnforcingConsecutiveGatewayFailure() && o.getEnforcingConsecutiveGatewayFailure().getValue() > 0) {
      consecutive = o.hasConsecutiveGatewayFailure() ? o.getConsecutiveGatewayFailure().getValue() : 5;
    }
    Double percentage = null;
    int volume = o.hasFailurePercentageRequestVolume() ? o.getFailurePercentageRequestVolume().getValue() : 50;
    if (o.hasEnforcingFailurePercentage() && o.getEnforcingFailurePercentage().getValue() > 0) {
      percentage = (double) (o.hasFailurePercentageThreshold() ? o.getFailurePercentageThreshold().getValue() : 85);
    }
    boolean enabled = (consecutive != null && consecutive > 0) || (percentage != null && percentage > 0);
    return new DestinationPolicy.OutlierDetection(
        consecutive == null || consecutive <= 0 ? Integer.MAX_VALUE : consecutive,
        percentage == null || percentage <= 0 ? null : percentage,
        Math.max(1, volume),
        o.hasInterval() ? positive(duration(o.getInterval()), Duration.ofSeconds(10)) : Duration.ofSeconds(10),
        o.hasBaseEjectionTime() ? positive(duration(o.getBaseEjectionTime()), Duration.ofSeconds(30)) : Duration.ofSeconds(30),
        o.hasMaxEjectionTime() ? positive(duration(o.getMaxEjectionTime()), Duration.ofSeconds(300)) : Duration.ofSeconds(300),
        (double) (o.hasMaxEjectionPercent() ? Math.min(100, o.getMaxEjectionPercent().getValue()) : 10),
        enabled);
  }

  private static Duration positive(Duration d, Duration otherwise) {
    return d.isZero() || d.isNegative() ? otherwise : d;
  }

  // ---- ClusterLoadAssignment

  /**
   * The usable endpoints: those of the lowest priority that has any, healthy or of unknown health
   * (as gRPC takes them), each weighted by its own weight times its locality's.
   */
  static List<ServiceEndpoints.Endpoint> endpoints(ClusterLoadAssignment a, Sink s) {
    if (a.getPolicy().getDropOverloadsCount() > 0) {
      s.add("policy.drop_overloads", "must be empty: mesh4j drops no calls on the control plane's behalf", null);
    }
    int priority = Integer.MAX_VALUE;
    for (LocalityLbEndpoints l : a.getEndpointsList()) {
      for (LbEndpoint e : l.getLbEndpointsList()) {
        if (usable(e)) {
          priority = Math.min(priority, l.getPriority());
        }
      }
    }
    List<ServiceEndpoints.Endpoint> out = new ArrayList<>();
    for (int i = 0; i < a.getEndpointsCount(); i++) {
      LocalityLbEndpoints l = a.getEndpoints(i);
      long localityWeight = l.hasLoadBalancingWeight() ? l.getLoadBalancingWeight().getValue() : 1;
      for (int j = 0; j < l.getLbEndpointsCount(); j++) {
        LbEndpoint e = l.getLbEndpoints(j);
        String path = "endpoints[" + i + "].lb_endpoints[" + j + "].endpoint.address";
        if (!e.hasEndpoint() || !e.getEndpoint().getAddress().hasSocketAddress()) {
          s.add(path, "must be a socket address", null);
          continue;
        }
        SocketAddress sa = e.getEndpoint().getAddress().getSocketAddress();
        if (sa.getPortSpecifierCase() != SocketAddress.PortSpecifierCase.PORT_VALUE
            || sa.getPortValue() < 1 || sa.getPortValue() > 65_535) {
          s.add(path + ".socket_address.port_value", "must be a port, 1 to 65535",
              sa.getPortSpecifierCase() == SocketAddress.PortSpecifierCase.NAMED_PORT ? sa.getNamedPort() : Integer.toString(sa.getPortValue()));
          continue;
        }
        if (!usable(e) || l.getPriority() != priority || localityWeight == 0) {
          continue;
        }
        long weight = (e.hasLoadBalancingWeight() ? e.getLoadBalancingWeight().getValue() : 1) * localityWeight;
        String zone = l.getLocality().getZone();
        out.add(new ServiceEndpoints.Endpoint(sa.getAddress(), sa.getPortValue(), null,
            zone.isEmpty() ? null : zone, (int) Math.max(1, Math.min(Integer.MAX_VALUE, weight)), null));
      }
    }
    return out;
  }

  private static boolean usable(LbEndpoint e) {
    return e.getHealthStatus() == HealthStatus.HEALTHY || e.getHealthStatus() == HealthStatus.UNKNOWN;
  }

  // ---- helpers

  private static <T extends Message> @Nullable T unpack(Any any, Class<T> type, Sink s, String field) {
    if (!any.is(type)) {
      s.add(field, "must be a " + type.getSimpleName(), any.getTypeUrl());
      return null;
    }
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      s.add(field, "must be a well-formed " + type.getSimpleName(), e.getMessage());
      return null;
    }
  }

  private static Duration duration(com.google.protobuf.Duration d) {
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  /** Where problems go, and the resource and field path they are about. */
  record Sink(String resource, String prefix, List<Problem> problems) {

    Sink at(String more) {
      return new Sink(resource, prefix + more, problems);
    }

    void add(String field, String expected, @Nullable String actual) {
      problems.add(new Problem(resource, prefix + field, expected, actual));
    }
  }
}
