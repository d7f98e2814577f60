package io.mesh4j.core.policy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Gateway API routes in the engine's terms: every {@link HTTPRoute} and {@link GRPCRoute} rule
 * becomes {@link TrafficRoute.Rule}s of its parent Services (one per match, so matches of
 * different routes interleave), whose backends are the backend Services, merged over every route
 * attached to a Service in the specification's order of precedence:
 *
 * <ul>
 *   <li>HTTP: an {@code Exact} path, then the longest {@code PathPrefix} (longer than {@code /}),
 *       then a {@code RegularExpression} path, then no path condition (or the prefix {@code /});
 *       among those, a method condition first, then the most header conditions, then the most
 *       query parameter conditions;
 *   <li>gRPC: exact names, then expressions, then no method condition; then the longest service,
 *       then the longest method, then the most header conditions;
 *   <li>ties: the route's {@code namespace/name} in alphabetical order (the specification puts
 *       the oldest route first; files carry no creation time), then the rule's and the match's
 *       position.
 * </ul>
 *
 * <p>A {@code PathPrefix} compares whole path elements: it compiles to the expression {@code
 * <prefix>(?:/.*)?}, so it obeys the MeshConfig's {@code maxRegexInputBytes}. Stateless.
 */
public final class GatewayRoutes {

  private GatewayRoutes() {}

  /**
   * One engine rule and where it came from.
   *
   * @param ref the route, e.g. {@code HTTPRoute shop/catalog-canary}
   * @param path the rule's field path in it, e.g. {@code spec.rules[1]}
   * @param attached whether a Gateway API route attached it, so that calls no rule matches fail
   *     rather than go to the destination itself
   * @param refused the rule's backends no {@link ReferenceGrant} permits, by index, each with why;
   *     their share of calls fails
   */
  public record SourcedRule(
      String ref, String path, TrafficRoute.Rule rule, boolean attached, Map<Integer, String> refused) {}

  /** The rules of every parent Service ({@code name.namespace}), each list in the order calls try them. */
  public static Map<String, List<SourcedRule>> rulesByParent(PolicySet set) {
    List<ReferenceGrant> grants = set.referenceGrants();
    Map<String, List<Ranked>> ranked = new LinkedHashMap<>();
    for (HTTPRoute r : set.httpRoutes()) {
      String ns = r.metadata().namespace();
      List<HTTPRoute.Rule> rules = r.spec().rules();
      for (int i = 0; i < rules.size(); i++) {
        HTTPRoute.Rule rule = rules.get(i);
        List<TrafficRoute.Backend> backends = backends(rule.backendRefs(), ns);
        Map<Integer, String> refused = refused(rule.backendRefs(), r, i, grants);
        HTTPRoute.Timeouts t = rule.timeouts();
        Duration timeout = t == null ? null : t.request();
        Duration backendRequest = t == null ? null : t.backendRequest();
        TrafficRoute.Retry retry = retry(rule.retry(), backendRequest);
        List<HTTPRoute.Match> matches = rule.matches() == null || rule.matches().isEmpty()
            ? List.of(new HTTPRoute.Match(null, null, null, null))
            : Objects.requireNonNull(rule.matches());
        HTTPRoute.URLRewrite rewrite = filter(rule.filters(), HTTPRoute.Filter::urlRewrite);
        HTTPRoute.RequestRedirect redirect = filter(rule.filters(), HTTPRoute.Filter::requestRedirect);
        for (int j = 0; j < matches.size(); j++) {
          HTTPRoute.Match m = matches.get(j);
          TrafficRoute.Match match = match(m);
          String prefix = m.path() != null && m.path().type() == HTTPRoute.PathMatchType.PathPrefix ? trimSlash(m.path().value()) : null;
          if ((rewrite != null || redirect != null) && match.path() == null) {
            // Only HTTP calls have a path: a gRPC call to the Service never takes this rule.
            match = new TrafficRoute.Match(null, match.method(), new TrafficRoute.StringMatch(null, "/", null), match.headers(),
                match.queryParams(), null);
          }
          TrafficRoute.Rule engine = new TrafficRoute.Rule(
              name(r.metadata(), rule.name(), i), List.of(match), backends, timeout, retry, null, null, mirror(rule.filters(), ns),
              edits(rule.filters(), true), edits(rule.filters(), false), rewrite(rewrite, prefix), redirect(redirect, prefix));
          for (HTTPRoute.ParentReference parent : r.spec().parentRefs()) {
            ranked.computeIfAbsent(service(parent, ns), k -> new ArrayList<>())
                .add(new Ranked(new SourcedRule(r.ref(), "spec.rules[" + i + "]", onPort(engine, parent.port()), true, refused), httpRank(m),
                    ns + "/" + r.metadata().name(), i, j));
          }
        }
      }
    }
    for (GRPCRoute r : set.grpcRoutes()) {
      String ns = r.metadata().namespace();
      List<GRPCRoute.Rule> rules = r.spec().rules();
      for (int i = 0; i < rules.size(); i++) {
        GRPCRoute.Rule rule = rules.get(i);
        List<TrafficRoute.Backend> backends = backends(rule.backendRefs(), ns);
        Map<Integer, String> refused = refused(rule.backendRefs(), r, i, grants);
        List<GRPCRoute.Match> matches = rule.matches() == null || rule.matches().isEmpty()
            ? List.of(new GRPCRoute.Match(null, null))
            : Objects.requireNonNull(rule.matches());
        for (int j = 0; j < matches.size(); j++) {
          GRPCRoute.Match m = matches.get(j);
          TrafficRoute.Rule engine = new TrafficRoute.Rule(
              name(r.metadata(), rule.name(), i), List.of(match(m)), backends, null, null, null, null, null,
              edits(rule.filters(), true), edits(rule.filters(), false), null, null);
          for (HTTPRoute.ParentReference parent : r.spec().parentRefs()) {
            ranked.computeIfAbsent(service(parent, ns), k -> new ArrayList<>())
                .add(new Ranked(new SourcedRule(r.ref(), "spec.rules[" + i + "]", onPort(engine, parent.port()), true, refused), grpcRank(m),
                    ns + "/" + r.metadata().name(), i, j));
          }
        }
      }
    }
    Map<String, List<SourcedRule>> out = new LinkedHashMap<>();
    ranked.forEach((parent, list) -> {
      list.sort(GatewayRoutes::precedence);
      out.put(parent, list.stream().map(Ranked::rule).toList());
    });
    return out;
  }

  /** The Services a route attaches to, {@code name.namespace}. */
  public static Set<String> parents(List<HTTPRoute.ParentReference> refs, String routeNamespace) {
    Set<String> out = new LinkedHashSet<>();
    for (HTTPRoute.ParentReference p : refs) {
      out.add(service(p, routeNamespace));
    }
    return out;
  }

  private static String service(HTTPRoute.ParentReference p, String routeNamespace) {
    return p.name() + "." + (p.namespace() == null ? routeNamespace : p.namespace());
  }

  /** {@code rule} limited to calls to the parent's {@code port}, when the parent reference names one. */
  private static TrafficRoute.Rule onPort(TrafficRoute.Rule rule, @Nullable Integer port) {
    if (port == null) {
      return rule;
    }
    List<TrafficRoute.Match> matches = new ArrayList<>();
    for (TrafficRoute.Match m : Objects.requireNonNullElse(rule.matches(), List.<TrafficRoute.Match>of())) {
      matches.add(new TrafficRoute.Match(m.grpc(), m.method(), m.path(), m.headers(), m.queryParams(), port));
    }
    return new TrafficRoute.Rule(rule.name(), matches, rule.backends(), rule.timeout(), rule.retries(), rule.hedging(),
        rule.fault(), rule.mirror(), rule.requestHeaders(), rule.responseHeaders(), rule.rewrite(), rule.redirect());
  }

  private static List<TrafficRoute.Backend> backends(@Nullable List<HTTPRoute.BackendRef> refs, String ns) {
    if (refs == null || refs.isEmpty()) {
      // Nothing to send to: every call matching the rule fails, as the specification asks.
      return List.of(new TrafficRoute.Backend(null, null, 0, null));
    }
    List<TrafficRoute.Backend> out = new ArrayList<>(refs.size());
    for (HTTPRoute.BackendRef b : refs) {
      out.add(new TrafficRoute.Backend(
          b.name() + "." + (b.namespace() == null ? ns : b.namespace()), null, b.weight(), edits(b.filters(), true)));
    }
    return out;
  }

  /**
   * The backends of rule {@code index} of {@code route} that point into another namespace with no
   * {@link ReferenceGrant} there permitting it, each with a message that names its field. A
   * consumer route's backend in its parent Service's namespace needs no grant: such a route only
   * changes its own namespace's calls, to Services they could call anyway (MeshConsumerRoute).
   */
  public static Map<Integer, String> refused(
      @Nullable List<HTTPRoute.BackendRef> refs, MeshResource route, int index, List<ReferenceGrant> grants) {
    if (refs == null) {
      return Map.of();
    }
    Map<Integer, String> out = new LinkedHashMap<>();
    String ns = route.metadata().namespace();
    Set<String> parentNamespaces = new LinkedHashSet<>();
    List<HTTPRoute.ParentReference> parentRefs =
        route instanceof HTTPRoute h ? h.spec().parentRefs()
            : route instanceof GRPCRoute g ? g.spec().parentRefs() : List.of();
    for (HTTPRoute.ParentReference p : parentRefs) {
      parentNamespaces.add(p.namespace() == null ? ns : p.namespace());
    }
    for (int j = 0; j < refs.size(); j++) {
      HTTPRoute.BackendRef b = refs.get(j);
      String to = b.namespace() == null ? ns : b.namespace();
      if (!parentNamespaces.contains(to) && !ReferenceGrant.permits(grants, route.kind(), ns, to, b.name())) {
        out.put(j, "spec.rules[" + index + "].backendRefs[" + j + "]: Service " + to + "/" + b.name()
            + " is in another namespace, and no ReferenceGrant there permits references from " + route.kind()
            + "s in " + ns);
      }
    }
    return out;
  }

  /** The first filter's part that {@code part} gives, or null; the validator allows one of each. */
  private static <T> @Nullable T filter(
      @Nullable List<HTTPRoute.Filter> filters, java.util.function.Function<HTTPRoute.Filter, @Nullable T> part) {
    if (filters != null) {
      for (HTTPRoute.Filter f : filters) {
        T t = part.apply(f);
        if (t != null) {
          return t;
        }
      }
    }
    return null;
  }

  /** The rule's {@code RequestMirror} as the engine's mirror; the validator allows one. */
  private static TrafficRoute.@Nullable Mirror mirror(@Nullable List<HTTPRoute.Filter> filters, String ns) {
    HTTPRoute.RequestMirror m = filter(filters, HTTPRoute.Filter::requestMirror);
    if (m == null) {
      return null;
    }
    HTTPRoute.Fraction f = m.fraction();
    double percent = m.percent() != null ? m.percent() : f != null ? 100.0 * f.numerator() / f.denominator() : 100.0;
    return new TrafficRoute.Mirror(m.backendRef().service(ns), null, percent);
  }

  private static TrafficRoute.@Nullable PrefixRewrite prefixRewrite(HTTPRoute.@Nullable PathModifier p, @Nullable String matched) {
    return p == null || p.type() != HTTPRoute.PathModifierType.ReplacePrefixMatch || matched == null
        ? null
        : new TrafficRoute.PrefixRewrite(matched, Objects.requireNonNullElse(p.replacePrefixMatch(), "/"));
  }

  private static @Nullable String fullPath(HTTPRoute.@Nullable PathModifier p) {
    return p == null || p.type() != HTTPRoute.PathModifierType.ReplaceFullPath ? null : p.replaceFullPath();
  }

  private static TrafficRoute.@Nullable Rewrite rewrite(HTTPRoute.@Nullable URLRewrite r, @Nullable String matched) {
    return r == null ? null : new TrafficRoute.Rewrite(r.hostname(), fullPath(r.path()), prefixRewrite(r.path(), matched));
  }

  private static TrafficRoute.@Nullable Redirect redirect(HTTPRoute.@Nullable RequestRedirect r, @Nullable String matched) {
    return r == null
        ? null
        : new TrafficRoute.Redirect(r.scheme(), r.hostname(), r.port(), fullPath(r.path()), prefixRewrite(r.path(), matched),
            r.statusCode());
  }

  /** The header modifiers of {@code filters}, the request's or the response's, in order; null for none. */
  private static TrafficRoute.@Nullable HeaderEdits edits(@Nullable List<HTTPRoute.Filter> filters, boolean request) {
    if (filters == null) {
      return null;
    }
    List<TrafficRoute.Header> set = new ArrayList<>();
    List<TrafficRoute.Header> add = new ArrayList<>();
    List<String> remove = new ArrayList<>();
    for (HTTPRoute.Filter f : filters) {
      TrafficRoute.HeaderEdits e = request ? f.requestHeaderModifier() : f.responseHeaderModifier();
      if (e != null) {
        set.addAll(Objects.requireNonNullElse(e.set(), List.of()));
        add.addAll(Objects.requireNonNullElse(e.add(), List.of()));
        remove.addAll(Objects.requireNonNullElse(e.remove(), List.of()));
      }
    }
    return set.isEmpty() && add.isEmpty() && remove.isEmpty() ? null : new TrafficRoute.HeaderEdits(set, add, remove);
  }

  private static String name(Metadata route, @Nullable String ruleName, int index) {
    return ruleName != null ? ruleName : route.name() + "-rule-" + index;
  }

  /**
   * The engine's retries for a rule's {@code retry} (GEP-1731) and {@code timeouts.backendRequest}:
   * codes become {@code retryOn} next to connection failures, and backoff starts at the rule's.
   */
  private static TrafficRoute.@Nullable Retry retry(HTTPRoute.@Nullable Retry retry, @Nullable Duration backendRequest) {
    if (retry == null) {
      return backendRequest == null ? null : new TrafficRoute.Retry(
          1, backendRequest, null, new TrafficRoute.Backoff(Duration.ofMillis(25), Duration.ofMillis(250)), false, null);
    }
    List<String> retryOn = new ArrayList<>();
    retryOn.add("connect-failure");
    if (backendRequest != null) {
      retryOn.add("per-try-timeout");
    }
    for (Integer code : retry.codes() == null ? List.<Integer>of() : retry.codes()) {
      retryOn.add(code.toString());
    }
    return new TrafficRoute.Retry(retry.attempts() + 1, backendRequest, retryOn,
        new TrafficRoute.Backoff(retry.backoff(), retry.backoff().multipliedBy(10)), false, null);
  }

  private static TrafficRoute.Match match(HTTPRoute.Match m) {
    HTTPRoute.PathMatch p = m.path();
    TrafficRoute.StringMatch path = null;
    if (p != null) {
      path = switch (p.type()) {
        case Exact -> new TrafficRoute.StringMatch(p.value(), null, null);
        case RegularExpression -> new TrafficRoute.StringMatch(null, null, p.value());
        case PathPrefix -> {
          String prefix = trimSlash(p.value());
          yield prefix.equals("/") ? null : new TrafficRoute.StringMatch(null, null, quote(prefix) + "(?:/.*)?");
        }
      };
    }
    String method = m.method() == null ? null : Objects.requireNonNull(m.method()).toUpperCase(Locale.ROOT);
    return new TrafficRoute.Match(null, method, path, headers(m.headers()), queryParams(m.queryParams()), null);
  }

  private static TrafficRoute.Match match(GRPCRoute.Match m) {
    GRPCRoute.MethodMatch method = m.method();
    TrafficRoute.GrpcMatch grpc =
        method == null
            ? null
            : method.type() == GRPCRoute.MethodMatchType.Exact
                ? new TrafficRoute.GrpcMatch(method.service(), method.method(), null, null)
                : new TrafficRoute.GrpcMatch(null, null, method.service(), method.method());
    return new TrafficRoute.Match(grpc, null, null, headers(m.headers()), null, null);
  }

  private static @Nullable List<TrafficRoute.HeaderMatch> headers(@Nullable List<HTTPRoute.HeaderMatch> hs) {
    if (hs == null || hs.isEmpty()) {
      return null;
    }
    List<TrafficRoute.HeaderMatch> out = new ArrayList<>(hs.size());
    for (HTTPRoute.HeaderMatch h : hs) {
      out.add(h.type() == HTTPRoute.HeaderMatchType.Exact
          ? new TrafficRoute.HeaderMatch(h.name(), h.value(), null, null, null)
          : new TrafficRoute.HeaderMatch(h.name(), null, null, h.value(), null));
    }
    return out;
  }

  private static @Nullable List<TrafficRoute.QueryMatch> queryParams(@Nullable List<HTTPRoute.HeaderMatch> qs) {
    if (qs == null || qs.isEmpty()) {
      return null;
    }
    List<TrafficRoute.QueryMatch> out = new ArrayList<>(qs.size());
    for (HTTPRoute.HeaderMatch q : qs) {
      out.add(q.type() == HTTPRoute.HeaderMatchType.Exact
          ? new TrafficRoute.QueryMatch(q.name(), q.value(), null)
          : new TrafficRoute.QueryMatch(q.name(), null, q.value()));
    }
    return out;
  }

  /** {@code /foo/} and {@code /foo} are the same prefix; {@code /} stays. */
  private static String trimSlash(String prefix) {
    return prefix.length() > 1 && prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
  }

  /** {@code text} as an expression matching exactly it. */
  static String quote(String text) {
    StringBuilder sb = new StringBuilder(text.length() + 8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.toString();
  }

  // ---- precedence

  /** A rule with what orders it among the rules of one parent. */
  private record Ranked(SourcedRule rule, long rank, String route, int ruleIndex, int matchIndex) {}

  // A method rather than a static comparator, so that a policy without Gateway API routes links
  // none of it on the way to the first call.
  private static int precedence(Ranked a, Ranked b) {
    int c = Long.compare(b.rank(), a.rank());
    if (c == 0) {
      c = a.route().compareTo(b.route());
    }
    if (c == 0) {
      c = Integer.compare(a.ruleIndex(), b.ruleIndex());
    }
    return c != 0 ? c : Integer.compare(a.matchIndex(), b.matchIndex());
  }

  /** Larger is more specific: path kind, path length, method, headers, packed in that order. */
  private static long httpRank(HTTPRoute.Match m) {
    HTTPRoute.PathMatch p = m.path();
    int kind;
    int length = 0;
    if (p == null) {
      // The specification's default: a match without a path is PathPrefix "/".
      kind = 0;
      length = 1;
    } else {
      switch (p.type()) {
        case Exact -> {
          kind = 3;
          length = p.value().length();
        }
        case PathPrefix -> {
          String prefix = trimSlash(p.value());
          kind = prefix.equals("/") ? 0 : 2;
          length = prefix.length();
        }
        default -> kind = 1;
      }
    }
    return pack(kind, length, m.method() == null ? 0 : 1, m.headers() == null ? 0 : m.headers().size(),
        m.queryParams() == null ? 0 : m.queryParams().size());
  }

  /** Larger is more specific: service length, method length, headers, packed in that order. */
  private static long grpcRank(GRPCRoute.Match m) {
    GRPCRoute.MethodMatch method = m.method();
    String service = method == null ? null : method.service();
    String name = method == null ? null : method.method();
    int kind = method == null ? 0 : method.type() == GRPCRoute.MethodMatchType.Exact ? 2 : 1;
    return pack(kind, service == null ? 0 : service.length(), name == null ? 0 : name.length(),
        m.headers() == null ? 0 : m.headers().size(), 0);
  }

  /**
   * Five criteria, most significant first, compared like the tuple: a 2-bit kind, two 16-bit
   * lengths and two counts of at most 255 (the validator allows far fewer conditions).
   */
  private static long pack(int kind, int a, int b, int c, int d) {
    return ((long) Math.min(kind, 3) << 48) | ((long) Math.min(a, 0xFFFF) << 32) | ((long) Math.min(b, 0xFFFF) << 16)
        | ((long) Math.min(c, 0xFF) << 8) | Math.min(d, 0xFF);
  }
}
