package io.mesh4j.core.policy;

import io.mesh4j.core.policy.DestinationPolicy.LbPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Semantic and cross-resource checks on resources that have already been bound (and so are
 * normalized: defaults filled in, service names qualified). Everything is checked and every
 * problem is returned; nothing stops at the first one.
 *
 * <p>Resources the binder refused but could still build are checked too, so one pass shows every
 * error. A problem here is left out when the binder already refused a value at or under its path:
 * such a check judged a value the user must change anyway (a refused negative weight would
 * otherwise also leave "no weight above 0").
 *
 * <p>Stateless and thread-safe; each call works on its own state.
 */
final class PolicyValidator {

  /** The canonical gRPC status code names, in code order. */
  static final List<String> GRPC_CODES =
      List.of(
          "OK",
          "CANCELLED",
          "UNKNOWN",
          "INVALID_ARGUMENT",
          "DEADLINE_EXCEEDED",
          "NOT_FOUND",
          "ALREADY_EXISTS",
          "PERMISSION_DENIED",
          "RESOURCE_EXHAUSTED",
          "FAILED_PRECONDITION",
          "ABORTED",
          "OUT_OF_RANGE",
          "UNIMPLEMENTED",
          "INTERNAL",
          "UNAVAILABLE",
          "DATA_LOSS",
          "UNAUTHENTICATED");

  private static final Pattern HTTP_TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern HTTP_STATUS = Pattern.compile("[1-5][0-9][0-9]");
  private static final Pattern DNS_LABEL = Pattern.compile(Binder.DNS_LABEL);
  private static final Pattern SPIFFE_ID =
      Pattern.compile("spiffe://[a-z0-9]([a-z0-9._-]*[a-z0-9])?(/[A-Za-z0-9._-]+)*");
  private static final Pattern GRPC_METHOD =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*/(\\*|[A-Za-z_][A-Za-z0-9_]*)");

  private static final String RETRY_ON_EXPECTED =
      "must be a gRPC status name (e.g. UNAVAILABLE), a 3-digit HTTP status (e.g. 429), 5xx, 4xx,"
          + " connect-failure or per-try-timeout";
  private static final String NON_FATAL_EXPECTED =
      "must be a gRPC status name (e.g. UNAVAILABLE), a 3-digit HTTP status (e.g. 503), 5xx, 4xx"
          + " or connect-failure";
  private static final String SPIFFE_EXPECTED =
      "must be a SPIFFE ID such as spiffe://cluster.local/ns/shop/sa/frontend";

  private final List<Problem> problems = new ArrayList<>();
  /** Every (destination service, subset) pair some backend or mirror refers to. */
  private final Set<String> usedSubsets = new HashSet<>();
  /** By resource ref: the paths the binder already refused. */
  private final Map<String, List<String>> refusedPaths = new HashMap<>();
  private final Map<MeshResource, List<String>> refused;

  private PolicyValidator(Map<MeshResource, List<String>> refused) {
    this.refused = refused;
  }

  /**
   * Every semantic and cross-resource problem of {@code resources}; empty when they are valid.
   * {@code refused} holds, for the resources the binder refused yet built, its problems' paths.
   */
  static List<Problem> validate(List<MeshResource> resources, Map<MeshResource, List<String>> refused) {
    PolicyValidator v = new PolicyValidator(refused);
    v.run(resources);
    return List.copyOf(v.problems);
  }

  private void run(List<MeshResource> resources) {
    Map<String, MeshResource> byRef = new HashMap<>();
    Map<String, TrafficRoute> routes = new HashMap<>();
    List<TrafficRoute> allRoutes = new ArrayList<>();
    Map<String, DestinationPolicy> destinationPolicies = new HashMap<>();
    Map<String, ServiceEndpoints> endpointLists = new HashMap<>();
    MeshConfig firstMeshConfig = null;
    List<Runnable> afterwards = new ArrayList<>();
    List<MeshResource> gatewayRoutes = new ArrayList<>();

    for (MeshResource resource : resources) {
      String ref = resource.ref();
      checkNamespace(resource);
      if (byRef.putIfAbsent(ref, resource) != null) {
        add(ref, "metadata.name", "must be unique per kind and namespace", resource.metadata().name());
        continue;
      }
      refusedPaths.put(ref, refused.getOrDefault(resource, List.of()));
      if (resource instanceof TrafficRoute route) {
        allRoutes.add(route);
        checkRoute(route, routes, afterwards);
        unique(routes, route.spec().destination(), route, "spec.destination", "the destination");
      } else if (resource instanceof DestinationPolicy policy) {
        checkDestinationPolicy(policy);
        if (policy.spec().destination() != null || policy.spec().targetRef() != null) {
          unique(destinationPolicies, policy.spec().service(), policy,
              policy.spec().destination() != null ? "spec.destination" : "spec.targetRef", "the destination");
        }
      } else if (resource instanceof AuthorizationPolicy policy) {
        checkAuthorization(policy);
      } else if (resource instanceof ServiceEndpoints endpoints) {
        checkEndpoints(endpoints);
        unique(endpointLists, endpoints.spec().service(), endpoints, "spec.service", "the service");
      } else if (resource instanceof HTTPRoute route) {
        checkHttpRoute(route);
        gatewayRoutes.add(route);
      } else if (resource instanceof GRPCRoute route) {
        checkGrpcRoute(route);
        gatewayRoutes.add(route);
      } else if (resource instanceof ReferenceGrant grant) {
        checkListSize(ref, "spec.from", grant.spec().from(), 16);
        checkListSize(ref, "spec.to", grant.spec().to(), 16);
        if (grant.spec().from().isEmpty()) {
          add(ref, "spec.from", "must name at least one kind and namespace", "[]");
        }
        if (grant.spec().to().isEmpty()) {
          add(ref, "spec.to", "must name at least one kind", "[]");
        }
      } else if (resource instanceof MeshConfig config) {
        if (firstMeshConfig == null) {
          firstMeshConfig = config;
        } else {
          add(ref, "", "must be the only MeshConfig; " + firstMeshConfig.ref() + " is defined too", null);
        }
      }
    }
    afterwards.forEach(Runnable::run);
    allRoutes.forEach(this::checkSubsetsUsed);
    for (MeshResource r : gatewayRoutes) {
      List<HTTPRoute.ParentReference> parents =
          r instanceof HTTPRoute h ? h.spec().parentRefs() : ((GRPCRoute) r).spec().parentRefs();
      for (int i = 0; i < parents.size(); i++) {
        HTTPRoute.ParentReference p = parents.get(i);
        String service = p.name() + "." + (p.namespace() == null ? r.metadata().namespace() : p.namespace());
        TrafficRoute other = routes.get(service);
        if (other != null) {
          add(r.ref(), "spec.parentRefs[" + i + "]",
              "must not name a Service that " + other.ref() + " routes; route a Service one way or the other", service);
        }
      }
    }
  }

  private <R extends MeshResource> void unique(
      Map<String, R> seen, String service, R resource, String path, String role) {
    R first = seen.putIfAbsent(service, resource);
    if (first != null) {
      add(
          resource.ref(),
          path,
          "must not be " + role + " of another " + resource.kind() + " (" + first.ref() + ")",
          service);
    }
  }

  private void checkNamespace(MeshResource resource) {
    String namespace = resource.metadata().namespace();
    if (!DNS_LABEL.matcher(namespace).matches()) {
      add(resource.ref(), "metadata.namespace", "must be a DNS label (lowercase letters, digits and '-')", namespace);
    }
  }

  // ---- TrafficRoute

  private void checkRoute(TrafficRoute route, Map<String, TrafficRoute> routes, List<Runnable> afterwards) {
    String ref = route.ref();
    TrafficRoute.Spec spec = route.spec();
    List<String> defined = subsetNames(spec);
    Set<String> seen = new HashSet<>();
    List<TrafficRoute.Subset> subsets = spec.subsets() == null ? List.of() : spec.subsets();
    for (int i = 0; i < subsets.size(); i++) {
      TrafficRoute.Subset subset = subsets.get(i);
      String path = "spec.subsets[" + i + "]";
      if (!seen.add(subset.name())) {
        add(ref, path + ".name", "must be unique within the route", subset.name());
      }
      if (subset.labels().isEmpty()) {
        add(ref, path + ".labels", "must not be empty", null);
      }
    }

    int catchAll = -1;
    for (int i = 0; i < spec.rules().size(); i++) {
      TrafficRoute.Rule rule = spec.rules().get(i);
      String path = "spec.rules[" + i + "]";
      if (catchAll >= 0) {
        add(ref, path, "can never match: " + ruleLabel(spec, catchAll) + " before it matches every call", null);
      }
      if (rule.matches() != null) {
        for (int j = 0; j < rule.matches().size(); j++) {
          checkMatch(ref, path + ".matches[" + j + "]", rule.matches().get(j));
        }
      }
      if (catchAll < 0 && matchesEveryCall(rule)) {
        catchAll = i;
      }
      checkBackends(ref, path, rule.backends(), spec.destination(), defined, routes, afterwards);
      if (rule.retries() != null) {
        checkRetry(ref, path, rule.retries(), rule.timeout());
      }
      if (rule.hedging() != null) {
        checkHedging(ref, path, rule, rule.hedging());
      }
      if (rule.fault() != null) {
        checkFault(ref, path + ".fault", rule.fault());
      }
      if (rule.requestHeaders() != null) {
        checkHeaderEdits(ref, path + ".requestHeaders", rule.requestHeaders());
      }
      if (rule.responseHeaders() != null) {
        checkHeaderEdits(ref, path + ".responseHeaders", rule.responseHeaders());
      }
      checkUrlChanges(ref, path, rule);
      for (int b = 0; b < rule.backends().size(); b++) {
        TrafficRoute.HeaderEdits edits = rule.backends().get(b).requestHeaders();
        if (edits != null) {
          checkHeaderEdits(ref, path + ".backends[" + b + "].requestHeaders", edits);
        }
      }
      TrafficRoute.Mirror mirror = rule.mirror();
      if (mirror != null && mirror.subset() != null) {
        String target = mirror.destination() == null ? spec.destination() : mirror.destination();
        String subset = mirror.subset();
        usedSubsets.add(target + "#" + subset);
        String mirrorPath = path + ".mirror.subset";
        if (target.equals(spec.destination())) {
          if (!defined.contains(subset)) {
            add(ref, mirrorPath, "must name a subset defined in the route " + definedText(defined), subset);
          }
        } else {
          afterwards.add(() -> checkSubsetOf(ref, mirrorPath, target, subset, routes));
        }
      }
    }
  }

  private void checkUrlChanges(String ref, String path, TrafficRoute.Rule rule) {
    TrafficRoute.Rewrite rewrite = rule.rewrite();
    TrafficRoute.Redirect redirect = rule.redirect();
    if (rewrite == null && redirect == null) {
      return;
    }
    if (rewrite != null && redirect != null) {
      add(ref, path + ".redirect", "must not be set together with rewrite: a redirected call is not sent", null);
    }
    List<TrafficRoute.Match> matches = rule.matches() == null ? List.of() : rule.matches();
    boolean http = !matches.isEmpty();
    for (TrafficRoute.Match m : matches) {
      http &= m.path() != null || m.method() != null;
    }
    if (!http) {
      add(ref, path + ".matches", "must test the path or the method in every match when the rule rewrites or redirects, so that"
          + " only HTTP calls take it", null);
    }
    if (rewrite != null) {
      checkHostname(ref, path + ".rewrite.hostname", rewrite.hostname());
      checkPathChange(ref, path + ".rewrite", rewrite.fullPath(), rewrite.prefix());
    }
    if (redirect != null) {
      checkRedirect(ref, path + ".redirect", redirect.scheme(), redirect.hostname(), redirect.statusCode());
      checkPathChange(ref, path + ".redirect", redirect.fullPath(), redirect.prefix());
    }
  }

  private void checkPathChange(String ref, String path, @Nullable String fullPath, TrafficRoute.@Nullable PrefixRewrite prefix) {
    if (fullPath != null && prefix != null) {
      add(ref, path, "must set at most one of fullPath and prefix", "fullPath, prefix");
    }
    if (fullPath != null) {
      checkAbsolutePath(ref, path + ".fullPath", fullPath);
    }
    if (prefix != null) {
      checkAbsolutePath(ref, path + ".prefix.match", prefix.match());
      checkAbsolutePath(ref, path + ".prefix.replacement", prefix.replacement());
    }
  }

  private void checkSubsetOf(
      String ref, String path, String target, String subset, Map<String, TrafficRoute> routes) {
    TrafficRoute targetRoute = routes.get(target);
    if (targetRoute == null) {
      add(ref, path, "must name a subset of " + target + ", but no TrafficRoute defines subsets for it", subset);
    } else if (!subsetNames(targetRoute.spec()).contains(subset)) {
      add(
          ref,
          path,
          "must name a subset defined in " + targetRoute.ref() + " " + definedText(subsetNames(targetRoute.spec())),
          subset);
    }
  }

  private void checkSubsetsUsed(TrafficRoute route) {
    List<TrafficRoute.Subset> subsets = route.spec().subsets();
    if (subsets == null) {
      return;
    }
    for (int i = 0; i < subsets.size(); i++) {
      String name = subsets.get(i).name();
      if (!usedSubsets.contains(route.spec().destination() + "#" + name)) {
        add(
            route.ref(),
            "spec.subsets[" + i + "].name",
            "must be referred to by a backend or a mirror; no call can reach this subset",
            name);
      }
    }
  }

  private void checkBackends(
      String ref,
      String rulePath,
      List<TrafficRoute.Backend> backends,
      String destination,
      List<String> defined,
      Map<String, TrafficRoute> routes,
      List<Runnable> afterwards) {
    String path = rulePath + ".backends";
    if (backends.isEmpty()) {
      add(ref, path, "must not be empty", null);
      return;
    }
    boolean anyWeight = false;
    for (int i = 0; i < backends.size(); i++) {
      TrafficRoute.Backend backend = backends.get(i);
      anyWeight |= backend.weight() > 0;
      String target = backend.destination();
      if (target != null && !target.equals(destination)) {
        String subset = backend.subset();
        if (subset != null) {
          usedSubsets.add(target + "#" + subset);
          String subsetPath = path + "[" + i + "].subset";
          afterwards.add(() -> checkSubsetOf(ref, subsetPath, target, subset, routes));
        }
      } else if (backend.subset() != null) {
        usedSubsets.add(destination + "#" + backend.subset());
        if (!defined.contains(backend.subset())) {
          add(
              ref,
              path + "[" + i + "].subset",
              "must name a subset defined in the route " + definedText(defined),
              backend.subset());
        }
      }
    }
    if (!anyWeight) {
      add(ref, path, "must have at least one weight above 0", null);
    }
  }

  private void checkMatch(String ref, String path, TrafficRoute.Match match) {
    TrafficRoute.GrpcMatch grpc = match.grpc();
    if (grpc != null) {
      if (grpc.service() != null && grpc.serviceRegex() != null) {
        add(ref, path + ".grpc", "must set at most one of service and serviceRegex", "service, serviceRegex");
      }
      if (grpc.method() != null && grpc.methodRegex() != null) {
        add(ref, path + ".grpc", "must set at most one of method and methodRegex", "method, methodRegex");
      }
      checkRegex(ref, path + ".grpc.serviceRegex", grpc.serviceRegex());
      checkRegex(ref, path + ".grpc.methodRegex", grpc.methodRegex());
    }
    if (match.method() != null && !HTTP_TOKEN.matcher(match.method()).matches()) {
      add(ref, path + ".method", "must be an HTTP method token such as GET", match.method());
    }
    TrafficRoute.StringMatch p = match.path();
    if (p != null) {
      exactlyOne(ref, path + ".path", new String[] {"exact", "prefix", "regex"}, p.exact(), p.prefix(), p.regex());
      checkRegex(ref, path + ".path.regex", p.regex());
    }
    if (match.headers() != null) {
      for (int i = 0; i < match.headers().size(); i++) {
        TrafficRoute.HeaderMatch h = match.headers().get(i);
        String headerPath = path + ".headers[" + i + "]";
        exactlyOne(
            ref,
            headerPath,
            new String[] {"exact", "prefix", "regex", "present"},
            h.exact(),
            h.prefix(),
            h.regex(),
            h.present());
        checkRegex(ref, headerPath + ".regex", h.regex());
      }
    }
    if (match.queryParams() != null) {
      for (int i = 0; i < match.queryParams().size(); i++) {
        TrafficRoute.QueryMatch q = match.queryParams().get(i);
        String queryPath = path + ".queryParams[" + i + "]";
        exactlyOne(ref, queryPath, new String[] {"exact", "regex"}, q.exact(), q.regex());
        checkRegex(ref, queryPath + ".regex", q.regex());
      }
    }
  }

  private void exactlyOne(String ref, String path, String[] names, @Nullable Object... values) {
    List<String> set = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      if (values[i] != null) {
        set.add(names[i]);
      }
    }
    if (set.size() != 1) {
      add(
          ref,
          path,
          "must set exactly one of " + String.join(", ", names),
          set.isEmpty() ? "none" : String.join(", ", set));
    }
  }

  // ---- Gateway API routes

  private static final java.util.Set<String> HTTP_METHODS =
      java.util.Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  /**
   * Gateway API's own list bounds: a route becomes rules x matches x parents engine rules, so each
   * factor is bounded, as the specification's CRDs bound them.
   */
  private void checkListSize(String ref, String path, @Nullable List<?> list, int max) {
    if (list != null && list.size() > max) {
      add(ref, path, "must have at most " + max + " items, as in Gateway API", Integer.toString(list.size()));
    }
  }

  private void checkHttpRoute(HTTPRoute route) {
    String ref = route.ref();
    checkParents(ref, route.spec().parentRefs());
    List<HTTPRoute.Rule> rules = route.spec().rules();
    checkListSize(ref, "spec.rules", rules, 16);
    for (int i = 0; i < rules.size(); i++) {
      HTTPRoute.Rule rule = rules.get(i);
      String path = "spec.rules[" + i + "]";
      List<HTTPRoute.Match> matches = rule.matches() == null ? List.of() : rule.matches();
      checkListSize(ref, path + ".matches", matches, 64);
      checkListSize(ref, path + ".filters", rule.filters(), 16);
      checkListSize(ref, path + ".backendRefs", rule.backendRefs(), 16);
      for (int j = 0; j < matches.size(); j++) {
        HTTPRoute.Match m = matches.get(j);
        String matchPath = path + ".matches[" + j + "]";
        HTTPRoute.PathMatch p = m.path();
        if (p != null) {
          if (p.type() == HTTPRoute.PathMatchType.RegularExpression) {
            checkRegex(ref, matchPath + ".path.value", p.value());
          } else if (!p.value().startsWith("/")) {
            add(ref, matchPath + ".path.value", "must be a path starting with '/'", p.value());
          }
        }
        String method = m.method();
        if (method != null && !HTTP_METHODS.contains(method)) {
          add(ref, matchPath + ".method", "must be one of " + new java.util.TreeSet<>(HTTP_METHODS), method);
        }
        checkGatewayHeaders(ref, matchPath, m.headers());
        checkListSize(ref, matchPath + ".queryParams", m.queryParams(), 16);
        List<HTTPRoute.HeaderMatch> query = m.queryParams() == null ? List.of() : m.queryParams();
        for (int k = 0; k < query.size(); k++) {
          HTTPRoute.HeaderMatch q = query.get(k);
          String queryPath = matchPath + ".queryParams[" + k + "]";
          if (q.name().isEmpty()) {
            add(ref, queryPath + ".name", "must not be empty", "");
          }
          if (q.type() == HTTPRoute.HeaderMatchType.RegularExpression) {
            checkRegex(ref, queryPath + ".value", q.value());
          }
        }
      }
      checkFilters(ref, path, rule.filters(), FilterPlace.HTTP_RULE, rule.matches());
      checkBackendRefs(ref, path, rule.backendRefs());
      HTTPRoute.Retry retry = rule.retry();
      if (retry != null) {
        List<Integer> codes = retry.codes() == null ? List.of() : retry.codes();
        checkListSize(ref, path + ".retry.codes", codes, 16);
        for (int c = 0; c < codes.size(); c++) {
          if (codes.get(c) < 400 || codes.get(c) > 599) {
            add(ref, path + ".retry.codes[" + c + "]", "must be an HTTP status from 400 to 599", codes.get(c).toString());
          }
        }
      }
      HTTPRoute.Timeouts t = rule.timeouts();
      if (t != null && t.request() != null && t.backendRequest() != null && t.backendRequest().compareTo(t.request()) > 0) {
        add(ref, path + ".timeouts.backendRequest", "must not be longer than timeouts.request, " + Durations.format(t.request()),
            Durations.format(t.backendRequest()));
      }
    }
  }

  private void checkGrpcRoute(GRPCRoute route) {
    String ref = route.ref();
    checkParents(ref, route.spec().parentRefs());
    List<GRPCRoute.Rule> rules = route.spec().rules();
    checkListSize(ref, "spec.rules", rules, 16);
    for (int i = 0; i < rules.size(); i++) {
      GRPCRoute.Rule rule = rules.get(i);
      String path = "spec.rules[" + i + "]";
      List<GRPCRoute.Match> matches = rule.matches() == null ? List.of() : rule.matches();
      checkListSize(ref, path + ".matches", matches, 64);
      checkListSize(ref, path + ".filters", rule.filters(), 16);
      checkListSize(ref, path + ".backendRefs", rule.backendRefs(), 16);
      for (int j = 0; j < matches.size(); j++) {
        GRPCRoute.Match m = matches.get(j);
        String matchPath = path + ".matches[" + j + "]";
        GRPCRoute.MethodMatch method = m.method();
        if (method != null) {
          if (method.service() == null && method.method() == null) {
            add(ref, matchPath + ".method", "must set service, method or both", null);
          } else if (method.type() == GRPCRoute.MethodMatchType.RegularExpression) {
            checkRegex(ref, matchPath + ".method.service", method.service());
            checkRegex(ref, matchPath + ".method.method", method.method());
          }
        }
        checkGatewayHeaders(ref, matchPath, m.headers());
      }
      checkFilters(ref, path, rule.filters(), FilterPlace.GRPC_RULE, null);
      checkBackendRefs(ref, path, rule.backendRefs());
    }
  }

  private void checkParents(String ref, List<HTTPRoute.ParentReference> parents) {
    if (parents.isEmpty()) {
      add(ref, "spec.parentRefs", "must name at least one Service", "[]");
    }
    checkListSize(ref, "spec.parentRefs", parents, 32);
    for (int i = 0; i < parents.size(); i++) {
      HTTPRoute.ParentReference p = parents.get(i);
      checkServiceRef(ref, "spec.parentRefs[" + i + "]", p.group(), p.kind(), p.name(), p.namespace(),
          "mesh4j attaches routes to Services (GAMMA), not to Gateways");
    }
  }

  private void checkBackendRefs(String ref, String rulePath, @Nullable List<HTTPRoute.BackendRef> backends) {
    if (backends == null) {
      return;
    }
    for (int i = 0; i < backends.size(); i++) {
      HTTPRoute.BackendRef b = backends.get(i);
      checkServiceRef(ref, rulePath + ".backendRefs[" + i + "]", b.group(), b.kind(), b.name(), b.namespace(),
          "mesh4j sends to Services");
      checkFilters(ref, rulePath + ".backendRefs[" + i + "]", b.filters(), FilterPlace.BACKEND, null);
    }
  }

  private void checkServiceRef(
      String ref, String path, String group, String kind, String name, @Nullable String namespace, String why) {
    if (!group.isEmpty() && !group.equals("core")) {
      add(ref, path + ".group", "must be \"\" (the core group): " + why, group);
    }
    if (!kind.equals("Service")) {
      add(ref, path + ".kind", "must be Service: " + why, kind);
    }
    if (!DNS_LABEL.matcher(name).matches()) {
      add(ref, path + ".name", "must be a Service name (a DNS label)", name);
    }
    if (namespace != null && !DNS_LABEL.matcher(namespace).matches()) {
      add(ref, path + ".namespace", "must be a namespace (a DNS label)", namespace);
    }
  }

  /** Where a filter sits, and so which types mesh4j implements there. */
  private enum FilterPlace {
    HTTP_RULE("RequestHeaderModifier, ResponseHeaderModifier, URLRewrite, RequestRedirect or RequestMirror"),
    GRPC_RULE("RequestHeaderModifier or ResponseHeaderModifier, the filters mesh4j implements for gRPC"),
    BACKEND("RequestHeaderModifier, the one filter mesh4j implements on a backend");

    final String expected;

    FilterPlace(String expected) {
      this.expected = expected;
    }

    boolean allows(String type) {
      return switch (type) {
        case "RequestHeaderModifier" -> true;
        case "ResponseHeaderModifier" -> this != BACKEND;
        case "URLRewrite", "RequestRedirect", "RequestMirror" -> this == HTTP_RULE;
        default -> false;
      };
    }
  }

  private static final List<String> FILTER_FIELDS =
      List.of("requestHeaderModifier", "responseHeaderModifier", "urlRewrite", "requestRedirect", "requestMirror");

  private void checkFilters(
      String ref, String ownerPath, @Nullable List<HTTPRoute.Filter> filters, FilterPlace place, @Nullable List<HTTPRoute.Match> matches) {
    if (filters == null) {
      return;
    }
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < filters.size(); i++) {
      HTTPRoute.Filter f = filters.get(i);
      String path = ownerPath + ".filters[" + i + "]";
      if (!place.allows(f.type())) {
        add(ref, path + ".type", "must be " + place.expected + "; mesh4j does not implement other filters yet", f.type());
        continue;
      }
      if (f.type().equals("URLRewrite") || f.type().equals("RequestRedirect") || f.type().equals("RequestMirror")) {
        if (!seen.add(f.type())) {
          add(ref, path + ".type", "must appear once per rule", f.type());
        }
        if (seen.contains("URLRewrite") && seen.contains("RequestRedirect")) {
          add(ref, path + ".type", "must not be used together with " + (f.type().equals("URLRewrite") ? "RequestRedirect" : "URLRewrite"),
              f.type());
        }
      }
      String wanted =
          switch (f.type()) {
            case "RequestHeaderModifier" -> "requestHeaderModifier";
            case "ResponseHeaderModifier" -> "responseHeaderModifier";
            case "URLRewrite" -> "urlRewrite";
            case "RequestMirror" -> "requestMirror";
            default -> "requestRedirect";
          };
      Object[] parts = {f.requestHeaderModifier(), f.responseHeaderModifier(), f.urlRewrite(), f.requestRedirect(), f.requestMirror()};
      for (int k = 0; k < parts.length; k++) {
        String field = FILTER_FIELDS.get(k);
        if (field.equals(wanted) && parts[k] == null) {
          add(ref, path + "." + field, "is required by type " + f.type(), null);
        } else if (!field.equals(wanted) && parts[k] != null) {
          add(ref, path + "." + field, "must not be set with type " + f.type() + "; set only " + wanted, null);
        }
      }
      if (f.requestHeaderModifier() != null && wanted.equals("requestHeaderModifier")) {
        checkHeaderEdits(ref, path + ".requestHeaderModifier", f.requestHeaderModifier());
      }
      if (f.responseHeaderModifier() != null && wanted.equals("responseHeaderModifier")) {
        checkHeaderEdits(ref, path + ".responseHeaderModifier", f.responseHeaderModifier());
      }
      HTTPRoute.URLRewrite rewrite = f.urlRewrite();
      if (rewrite != null && wanted.equals("urlRewrite")) {
        checkHostname(ref, path + ".urlRewrite.hostname", rewrite.hostname());
        checkPathModifier(ref, path + ".urlRewrite.path", rewrite.path(), matches);
      }
      HTTPRoute.RequestMirror mirror = f.requestMirror();
      if (mirror != null && wanted.equals("requestMirror")) {
        HTTPRoute.BackendObjectReference b = mirror.backendRef();
        checkServiceRef(ref, path + ".requestMirror.backendRef", b.group(), b.kind(), b.name(), b.namespace(), "mesh4j mirrors to Services");
        if (mirror.percent() != null && mirror.fraction() != null) {
          add(ref, path + ".requestMirror", "must set at most one of percent and fraction", "percent, fraction");
        }
        HTTPRoute.Fraction fraction = mirror.fraction();
        if (fraction != null && fraction.numerator() > fraction.denominator()) {
          add(ref, path + ".requestMirror.fraction.numerator", "must not be greater than the denominator, "
              + fraction.denominator(), Integer.toString(fraction.numerator()));
        }
      }
      HTTPRoute.RequestRedirect redirect = f.requestRedirect();
      if (redirect != null && wanted.equals("requestRedirect")) {
        checkRedirect(ref, path + ".requestRedirect", redirect.scheme(), redirect.hostname(), redirect.statusCode());
        checkPathModifier(ref, path + ".requestRedirect.path", redirect.path(), matches);
      }
    }
  }

  private void checkPathModifier(
      String ref, String path, HTTPRoute.@Nullable PathModifier p, @Nullable List<HTTPRoute.Match> matches) {
    if (p == null) {
      return;
    }
    if (p.type() == HTTPRoute.PathModifierType.ReplaceFullPath) {
      if (p.replaceFullPath() == null) {
        add(ref, path + ".replaceFullPath", "is required by type ReplaceFullPath", null);
      } else {
        checkAbsolutePath(ref, path + ".replaceFullPath", p.replaceFullPath());
      }
      if (p.replacePrefixMatch() != null) {
        add(ref, path + ".replacePrefixMatch", "must not be set with type ReplaceFullPath", p.replacePrefixMatch());
      }
      return;
    }
    if (p.replacePrefixMatch() != null) {
      checkAbsolutePath(ref, path + ".replacePrefixMatch", p.replacePrefixMatch());
    }
    if (p.replaceFullPath() != null) {
      add(ref, path + ".replaceFullPath", "must not be set with type ReplacePrefixMatch", p.replaceFullPath());
    }
    boolean prefixMatches = matches != null && !matches.isEmpty();
    if (matches != null) {
      for (HTTPRoute.Match m : matches) {
        prefixMatches &= m.path() != null && m.path().type() == HTTPRoute.PathMatchType.PathPrefix;
      }
    }
    if (!prefixMatches) {
      add(ref, path + ".type", "must be used only in a rule whose every match has a PathPrefix path: that is the prefix it replaces",
          "ReplacePrefixMatch");
    }
  }

  private static final java.util.Set<Integer> REDIRECT_CODES = java.util.Set.of(301, 302, 303, 307, 308);
  private static final Pattern HOSTNAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*");

  private void checkRedirect(String ref, String path, @Nullable String scheme, @Nullable String hostname, int statusCode) {
    if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
      add(ref, path + ".scheme", "must be http or https", scheme);
    }
    checkHostname(ref, path + ".hostname", hostname);
    if (!REDIRECT_CODES.contains(statusCode)) {
      add(ref, path + ".statusCode", "must be 301, 302, 303, 307 or 308", Integer.toString(statusCode));
    }
  }

  private void checkHostname(String ref, String path, @Nullable String hostname) {
    if (hostname != null && (hostname.length() > 253 || !HOSTNAME.matcher(hostname).matches())) {
      add(ref, path, "must be a lower-case DNS name such as example.com", hostname);
    }
  }

  private void checkAbsolutePath(String ref, String path, String value) {
    if (!value.startsWith("/") || value.length() > 1024 || !escaped(value).equals(value)) {
      add(ref, path, "must be a path starting with '/', at most 1024 characters, without control characters", escaped(value));
    }
  }

  /** Names headers a route may not touch: the transport and gRPC own them. */
  private static final java.util.Set<String> RESERVED_HEADERS =
      java.util.Set.of("host", "content-length", "content-type", "transfer-encoding", "connection", "upgrade", "te",
          "keep-alive", "proxy-connection", "user-agent");

  private static final int MAX_HEADER_EDITS = 16;

  private void checkHeaderEdits(String ref, String path, TrafficRoute.HeaderEdits edits) {
    checkHeaders(ref, path + ".set", edits.set());
    checkHeaders(ref, path + ".add", edits.add());
    List<String> remove = edits.remove() == null ? List.of() : edits.remove();
    if (remove.size() > MAX_HEADER_EDITS) {
      add(ref, path + ".remove", "must have at most " + MAX_HEADER_EDITS + " names", Integer.toString(remove.size()));
    }
    for (int i = 0; i < remove.size(); i++) {
      checkHeaderName(ref, path + ".remove[" + i + "]", remove.get(i));
    }
  }

  private void checkHeaders(String ref, String path, @Nullable List<TrafficRoute.Header> headers) {
    if (headers == null) {
      return;
    }
    if (headers.size() > MAX_HEADER_EDITS) {
      add(ref, path, "must have at most " + MAX_HEADER_EDITS + " headers", Integer.toString(headers.size()));
    }
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < headers.size(); i++) {
      TrafficRoute.Header h = headers.get(i);
      String at = path + "[" + i + "]";
      if (checkHeaderName(ref, at + ".name", h.name()) && !seen.add(h.name().toLowerCase(java.util.Locale.ROOT))) {
        add(ref, at + ".name", "must be unique in the list (case-insensitive)", h.name());
      }
      for (int c = 0; c < h.value().length(); c++) {
        char ch = h.value().charAt(c);
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f || ch > 0xff) {
          // A CR or LF would let a route write headers of its choosing into the request.
          add(ref, at + ".value", "must be visible ASCII, spaces or tabs (no control characters)", escaped(h.value()));
          break;
        }
      }
      if (h.value().length() > 4096) {
        add(ref, at + ".value", "must have at most 4096 characters", h.value().length() + " characters");
      }
    }
  }

  /** {@code value} with control characters written as escapes, so a message stays one line. */
  private static String escaped(String value) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    for (; i < value.length() && sb.length() < 80; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\r' -> sb.append("\\r");
        case '\n' -> sb.append("\\n");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return i < value.length() ? sb + "..." : sb.toString();
  }

  /** Whether the name is one a route may write; reports why not otherwise. */
  private boolean checkHeaderName(String ref, String path, String name) {
    String lower = name.toLowerCase(java.util.Locale.ROOT);
    if (!HTTP_TOKEN.matcher(name).matches()) {
      add(ref, path, "must be a header name (an HTTP token)", name);
      return false;
    }
    if (RESERVED_HEADERS.contains(lower) || lower.startsWith("grpc-") || lower.endsWith("-bin")) {
      add(ref, path, "must not be a header the transport or gRPC owns (host, content-type, te, grpc-*, *-bin, ...)", name);
      return false;
    }
    return true;
  }

  private void checkGatewayHeaders(String ref, String matchPath, @Nullable List<HTTPRoute.HeaderMatch> headers) {
    if (headers == null) {
      return;
    }
    checkListSize(ref, matchPath + ".headers", headers, 16);
    for (int k = 0; k < headers.size(); k++) {
      HTTPRoute.HeaderMatch h = headers.get(k);
      String path = matchPath + ".headers[" + k + "]";
      if (!HTTP_TOKEN.matcher(h.name()).matches()) {
        add(ref, path + ".name", "must be a header name (an HTTP token)", h.name());
      }
      if (h.type() == HTTPRoute.HeaderMatchType.RegularExpression) {
        checkRegex(ref, path + ".value", h.value());
      }
    }
  }

  private void checkRegex(String ref, String path, @Nullable String regex) {
    if (regex == null) {
      return;
    }
    String tooLarge = RegexLimits.violation(regex);
    if (tooLarge != null) {
      add(ref, path, tooLarge, regex.length() > 80 ? regex.substring(0, 80) + "..." : regex);
      return;
    }
    try {
      com.google.re2j.Pattern.compile(regex);
    } catch (com.google.re2j.PatternSyntaxException e) {
      // RE2 has no backreferences or lookaround: they are what makes matching time explode.
      add(
          ref,
          path,
          "must be a regular expression in RE2 syntax, which has no backreferences or lookaround ("
              + e.getMessage()
              + ")",
          regex);
    }
  }

  private static boolean matchesEveryCall(TrafficRoute.Rule rule) {
    if (rule.matches() == null || rule.matches().isEmpty()) {
      return true;
    }
    for (TrafficRoute.Match m : rule.matches()) {
      boolean anyGrpc = m.grpc() == null || (m.grpc().service() == null && m.grpc().method() == null);
      boolean noHeaders = m.headers() == null || m.headers().isEmpty();
      if (anyGrpc && m.method() == null && m.path() == null && noHeaders) {
        return true;
      }
    }
    return false;
  }

  private void checkRetry(String ref, String rulePath, TrafficRoute.Retry retry, @Nullable Duration timeout) {
    String path = rulePath + ".retries";
    Duration perTry = retry.perTryTimeout();
    if (perTry != null && timeout != null && perTry.compareTo(timeout) > 0) {
      add(
          ref,
          path + ".perTryTimeout",
          "must be <= the rule's timeout (" + Durations.format(timeout) + ")",
          Durations.format(perTry));
    }
    TrafficRoute.Backoff backoff = retry.backoff();
    if (backoff.base().compareTo(backoff.max()) > 0) {
      add(
          ref,
          path + ".backoff.base",
          "must be <= backoff.max (" + Durations.format(backoff.max()) + ")",
          Durations.format(backoff.base()));
    }
    checkOutcomes(ref, path + ".retryOn", retry.effectiveRetryOn(), true);
    checkIdempotentMethods(
        ref,
        path,
        retry.idempotentMethods(),
        "; to replay every call of the rule, set retryNonIdempotent");
  }

  private void checkHedging(
      String ref, String rulePath, TrafficRoute.Rule rule, TrafficRoute.Hedging hedging) {
    String path = rulePath + ".hedging";
    if (rule.retries() != null) {
      add(
          ref,
          path,
          "must not be set together with retries: a rule either retries or hedges, as in gRPC's"
              + " service config",
          "hedging and retries");
    }
    Duration timeout = rule.timeout();
    if (timeout != null && hedging.delay().compareTo(timeout) >= 0) {
      add(
          ref,
          path + ".delay",
          "must be < the rule's timeout (" + Durations.format(timeout) + "), or no attempt is ever"
              + " hedged",
          Durations.format(hedging.delay()));
    }
    checkOutcomes(ref, path + ".nonFatalCodes", hedging.effectiveNonFatalCodes(), false);
    checkIdempotentMethods(ref, path, hedging.idempotentMethods(), "");
  }

  /** A {@code retryOn}-like list: codes, statuses, classes and the transport's failures. */
  private void checkOutcomes(String ref, String path, List<String> outcomes, boolean perTry) {
    if (outcomes.isEmpty()) {
      add(ref, path, "must not be empty; leave the field out for the default", null);
    }
    for (int i = 0; i < outcomes.size(); i++) {
      String entry = outcomes.get(i);
      boolean valid =
          GRPC_CODES.contains(entry)
              || HTTP_STATUS.matcher(entry).matches()
              || entry.equals("5xx")
              || entry.equals("4xx")
              || entry.equals("connect-failure")
              || (perTry && entry.equals("per-try-timeout"));
      if (!valid) {
        add(ref, path + "[" + i + "]", perTry ? RETRY_ON_EXPECTED : NON_FATAL_EXPECTED, entry);
      }
    }
  }

  private void checkIdempotentMethods(
      String ref, String path, @Nullable List<String> methods, String hint) {
    each(methods, path + ".idempotentMethods", (p, value) -> {
      if (!GRPC_METHOD.matcher(value).matches()) {
        add(
            ref,
            p,
            "must be a gRPC method as package.Service/Method or package.Service/* (every method"
                + " of the service)"
                + hint,
            value);
      }
    });
  }

  private void checkFault(String ref, String path, TrafficRoute.Fault fault) {
    if (fault.delay() == null && fault.abort() == null) {
      add(ref, path, "must set delay, abort or both", null);
    }
    if (fault.abort() != null && !GRPC_CODES.contains(fault.abort().grpcStatus())) {
      add(
          ref,
          path + ".abort.grpcStatus",
          "must be one of " + String.join(", ", GRPC_CODES),
          fault.abort().grpcStatus());
    }
  }

  private static List<String> subsetNames(TrafficRoute.Spec spec) {
    Set<String> names = new LinkedHashSet<>();
    if (spec.subsets() != null) {
      spec.subsets().forEach(s -> names.add(s.name()));
    }
    return List.copyOf(names);
  }

  private static String definedText(List<String> defined) {
    return "(defined: " + (defined.isEmpty() ? "none" : String.join(", ", defined)) + ")";
  }

  private static String ruleLabel(TrafficRoute.Spec spec, int index) {
    String name = spec.rules().get(index).name();
    return "rules[" + index + "]" + (name == null ? "" : " (" + name + ")");
  }

  // ---- DestinationPolicy

  private void checkDestinationPolicy(DestinationPolicy policy) {
    String ref = policy.ref();
    DestinationPolicy.Spec spec = policy.spec();
    DestinationPolicy.TargetRef target = spec.targetRef();
    if ((spec.destination() == null) == (target == null)) {
      add(ref, "spec", "must set exactly one of destination and targetRef", target == null ? "neither" : "both");
    }
    if (target != null) {
      if (!target.group().isEmpty() && !target.group().equals("core")) {
        add(ref, "spec.targetRef.group", "must be \"\" (the core group): a DestinationPolicy attaches to a Service", target.group());
      }
      if (!target.kind().equals("Service")) {
        add(ref, "spec.targetRef.kind", "must be Service: a DestinationPolicy attaches to a Service", target.kind());
      }
    }
    DestinationPolicy.LoadBalancer lb = spec.loadBalancer();
    boolean hashing = lb.policy() == LbPolicy.RING_HASH || lb.policy() == LbPolicy.MAGLEV;
    if (hashing && lb.hashHeader() == null) {
      add(ref, "spec.loadBalancer.hashHeader", "is required when policy is " + lb.policy(), null);
    } else if (!hashing && lb.hashHeader() != null) {
      add(
          ref,
          "spec.loadBalancer.hashHeader",
          "is only used by RING_HASH and MAGLEV, but policy is " + lb.policy(),
          lb.hashHeader());
    }
    DestinationPolicy.AdaptiveConcurrency ac = spec.adaptiveConcurrency();
    // durations are positive by binding; only the relation between fields is checked here
    if (ac != null && ac.initialLimit() > ac.maxLimit()) {
      add(
          ref,
          "spec.adaptiveConcurrency.initialLimit",
          "must be <= maxLimit (" + ac.maxLimit() + ")",
          String.valueOf(ac.initialLimit()));
    }
    DestinationPolicy.OutlierDetection od = spec.outlierDetection();
    if (od.baseEjectionTime().compareTo(od.maxEjectionTime()) > 0) {
      add(
          ref,
          "spec.outlierDetection.baseEjectionTime",
          "must be <= maxEjectionTime (" + Durations.format(od.maxEjectionTime()) + ")",
          Durations.format(od.baseEjectionTime()));
    }
  }

  // ---- AuthorizationPolicy

  private void checkAuthorization(AuthorizationPolicy policy) {
    String ref = policy.ref();
    List<AuthorizationPolicy.Rule> rules = policy.spec().rules();
    if ((rules == null || rules.isEmpty()) && policy.spec().action() == AuthorizationPolicy.Action.DENY) {
      add(ref, "spec.rules", "must not be empty in a DENY policy, which would deny nothing", null);
    }
    if (rules == null) {
      return;
    }
    for (int i = 0; i < rules.size(); i++) {
      AuthorizationPolicy.Rule rule = rules.get(i);
      String path = "spec.rules[" + i + "]";
      each(rule.principals(), path + ".principals", (p, value) -> {
        if (!isSpiffeId(value, true)) {
          add(ref, p, SPIFFE_EXPECTED + " (a trailing * matches any suffix)", value);
        }
      });
      each(rule.namespaces(), path + ".namespaces", (p, value) -> {
        if (!DNS_LABEL.matcher(value).matches()) {
          add(ref, p, "must be a namespace name (lowercase letters, digits and '-')", value);
        }
      });
      each(rule.grpcMethods(), path + ".grpcMethods", (p, value) -> {
        if (!GRPC_METHOD.matcher(value).matches()) {
          add(ref, p, "must be package.Service/Method or package.Service/*", value);
        }
      });
      each(rule.httpMethods(), path + ".httpMethods", (p, value) -> {
        if (!HTTP_TOKEN.matcher(value).matches()) {
          add(ref, p, "must be an HTTP method token such as GET", value);
        }
      });
      each(rule.paths(), path + ".paths", (p, value) -> {
        if (!value.startsWith("/")) {
          add(ref, p, "must start with /", value);
        } else if (value.indexOf('*') >= 0 && value.indexOf('*') != value.length() - 1) {
          add(ref, p, "may hold * only as its last character (a prefix match)", value);
        } else if (!isNormalPath(value.endsWith("*") ? value.substring(0, value.length() - 1) : value)) {
          add(ref, p, NORMAL_PATH_EXPECTED, value);
        }
      });
      each(rule.pathPrefixes(), path + ".pathPrefixes", (p, value) -> {
        if (!value.startsWith("/")) {
          add(ref, p, "must start with /", value);
        } else if (value.indexOf('*') >= 0) {
          add(ref, p, "must not hold * (a prefix already covers everything under it)", value);
        } else if (value.length() > 1 && value.endsWith("/")) {
          add(ref, p, "must not end with / (the prefix /admin covers /admin, /admin/ and what is under it)", value);
        } else if (!isNormalPath(value)) {
          add(ref, p, NORMAL_PATH_EXPECTED, value);
        }
      });
      // An empty list would read as "unset" and match everything: in an ALLOW rule, everyone.
      nonEmpty(ref, path + ".principals", rule.principals());
      nonEmpty(ref, path + ".namespaces", rule.namespaces());
      nonEmpty(ref, path + ".grpcMethods", rule.grpcMethods());
      nonEmpty(ref, path + ".httpMethods", rule.httpMethods());
      nonEmpty(ref, path + ".paths", rule.paths());
      nonEmpty(ref, path + ".pathPrefixes", rule.pathPrefixes());
      if (rule.grpcMethods() != null
          && (rule.httpMethods() != null || rule.paths() != null || rule.pathPrefixes() != null)) {
        add(ref, path,
            "must not set both grpcMethods and httpMethods/paths/pathPrefixes: a call is either"
                + " gRPC or plain HTTP, so the rule would match nothing; split it into two rules",
            null);
      }
    }
  }

  private static final String NORMAL_PATH_EXPECTED =
      "must be in normalized form (no empty, . or .. segments, %-escapes, ;, ? or #), since"
          + " request paths are normalized before rules see them and would never match it";

  /** Whether a rule's path is already in the form request paths are normalized to. */
  private static boolean isNormalPath(String p) {
    if (p.indexOf('%') >= 0 || p.indexOf(';') >= 0 || p.indexOf('?') >= 0 || p.indexOf('#') >= 0
        || p.indexOf('\\') >= 0) {
      return false;
    }
    String[] segments = p.split("/", -1);
    // segments[0] is before the leading /; the last one may be empty (a trailing slash).
    for (int i = 1; i < segments.length; i++) {
      String s = segments[i];
      boolean last = i == segments.length - 1;
      if ((s.isEmpty() && !last) || s.equals(".") || s.equals("..")) {
        return false;
      }
    }
    return true;
  }

  private void nonEmpty(String ref, String path, @Nullable List<String> values) {
    if (values != null && values.isEmpty()) {
      add(ref, path, "must not be empty; leave the field out to match any value", "[]");
    }
  }

  private interface ItemCheck {
    void check(String path, String value);
  }

  private static void each(@Nullable List<String> values, String path, ItemCheck check) {
    if (values != null) {
      for (int i = 0; i < values.size(); i++) {
        check.check(path + "[" + i + "]", values.get(i));
      }
    }
  }

  static boolean isSpiffeId(String value, boolean allowWildcard) {
    String id = value;
    if (allowWildcard && id.endsWith("*")) {
      id = id.substring(0, id.length() - 1);
      if (id.endsWith("/")) {
        id = id.substring(0, id.length() - 1);
      }
    }
    return SPIFFE_ID.matcher(id).matches();
  }

  // ---- ServiceEndpoints

  private void checkEndpoints(ServiceEndpoints endpoints) {
    String ref = endpoints.ref();
    Map<String, Integer> seen = new HashMap<>();
    List<ServiceEndpoints.Endpoint> list = endpoints.spec().endpoints();
    for (int i = 0; i < list.size(); i++) {
      ServiceEndpoints.Endpoint e = list.get(i);
      String path = "spec.endpoints[" + i + "]";
      String key = e.address() + ":" + e.port();
      Integer first = seen.putIfAbsent(key, i);
      if (first != null) {
        add(ref, path, "must be unique; spec.endpoints[" + first + "] has the same address and port", key);
      }
      if (e.identity() != null && !isSpiffeId(e.identity(), false)) {
        add(ref, path + ".identity", SPIFFE_EXPECTED, e.identity());
      }
    }
  }

  private void add(String resource, String path, String expected, @Nullable String actual) {
    for (String taken : refusedPaths.getOrDefault(resource, List.of())) {
      if (taken.equals(path) || taken.startsWith(path + ".") || taken.startsWith(path + "[")) {
        return; // this check judged a value the binder already refused
      }
    }
    problems.add(new Problem(resource, path, expected, actual));
  }
}
