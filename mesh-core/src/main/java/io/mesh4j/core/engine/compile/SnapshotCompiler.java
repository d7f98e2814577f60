package io.mesh4j.core.engine.compile;

import com.google.re2j.PatternSyntaxException;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.HeaderEdits;
import io.mesh4j.core.call.HttpRedirect;
import io.mesh4j.core.call.HttpRewrite;
import io.mesh4j.core.call.PathRewrite;
import io.mesh4j.core.call.MirrorTarget;
import io.mesh4j.core.engine.authz.ServiceAuthorization;
import io.mesh4j.core.engine.balance.EndpointSet;
import io.mesh4j.core.engine.fault.FaultPolicy;
import io.mesh4j.core.engine.resilience.EndpointHealth.OutlierScope;
import io.mesh4j.core.engine.resilience.Ejections;
import io.mesh4j.core.engine.resilience.EndpointHealth;
import io.mesh4j.core.engine.resilience.RetryBudget;
import io.mesh4j.core.engine.resilience.RetryPolicy;
import io.mesh4j.core.engine.resilience.SubsetGuard;
import io.mesh4j.core.engine.resilience.TokenBucket;
import io.mesh4j.core.engine.route.Backend;
import io.mesh4j.core.engine.route.CompiledRule;
import io.mesh4j.core.engine.runtime.DestinationRuntime;
import io.mesh4j.core.engine.runtime.EngineContext;
import io.mesh4j.core.engine.runtime.MeshSnapshot;
import io.mesh4j.core.engine.state.GuardRegistry;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.GatewayRoutes;
import io.mesh4j.core.policy.GatewayRoutes.SourcedRule;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.policy.TrafficRoute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Turns a validated {@link PolicySet} into a {@link MeshSnapshot}: endpoints into arrays with
 * their long-lived health, subsets into endpoint sets with balancers and guards, rules (of
 * {@code TrafficRoute}s and, through {@link GatewayRoutes}, of Gateway API routes) into matchers
 * and cumulative weights. Whatever cannot be compiled (an unknown subset, a bad regular
 * expression, consistent hashing without a header, an unknown {@code retryOn} entry) becomes a
 * {@link Problem}, and the set is refused as a whole.
 *
 * <p>Confined to the mesh's update path (the registry checks it). A compile touches no state the
 * call path reads until {@link Compiled#publish()} runs.
 */
public final class SnapshotCompiler {

  /** What a destination without a {@link DestinationPolicy} gets. */
  private static final DestinationPolicy.Spec DEFAULTS = DestinationPolicy.defaults();

  private final EngineContext ctx;
  private final GuardRegistry registry;

  public SnapshotCompiler(EngineContext ctx, GuardRegistry registry) {
    this.ctx = ctx;
    this.registry = registry;
  }

  /** The result of one compile: a snapshot ready to publish, or the problems that refused it. */
  public static final class Compiled {
    private final @Nullable MeshSnapshot snapshot;
    private final List<Problem> problems;
    private final List<Runnable> bindings;

    Compiled(@Nullable MeshSnapshot snapshot, List<Problem> problems, List<Runnable> bindings) {
      this.snapshot = snapshot;
      this.problems = List.copyOf(problems);
      this.bindings = bindings;
    }

    public List<Problem> problems() {
      return problems;
    }

    /**
     * Binds long-lived state to the new snapshot's structure and returns the snapshot to
     * publish. Call only when {@link #problems()} is empty, after the registry was committed.
     */
    public MeshSnapshot publish() {
      MeshSnapshot s = snapshot;
      if (s == null) {
        throw new IllegalStateException("a refused compile cannot be published");
      }
      for (Runnable b : bindings) {
        b.run();
      }
      return s;
    }
  }

  /** Compiles {@code set}; the caller commits or aborts the registry according to the result. */
  public Compiled compile(PolicySet set) {
    List<Problem> problems = new ArrayList<>();
    List<Runnable> bindings = new ArrayList<>();
    long now = ctx.ticker().nanos();
    MeshConfig.Spec settings = set.meshConfig().map(MeshConfig::spec).orElseGet(MeshConfig::defaults);

    Map<String, List<ServiceEndpoints.Endpoint>> endpoints = new LinkedHashMap<>();
    for (ServiceEndpoints se : set.endpoints()) {
      endpoints.computeIfAbsent(se.spec().service(), k -> new ArrayList<>())
          .addAll(se.spec().endpoints());
    }
    Map<String, List<TrafficRoute>> routes = new LinkedHashMap<>();
    Map<String, List<SourcedRule>> rules = new LinkedHashMap<>();
    for (TrafficRoute r : set.routes()) {
      routes.computeIfAbsent(r.spec().destination(), k -> new ArrayList<>()).add(r);
      List<TrafficRoute.Rule> rs = r.spec().rules();
      for (int i = 0; i < rs.size(); i++) {
        rules.computeIfAbsent(r.spec().destination(), k -> new ArrayList<>())
            .add(new SourcedRule(r.ref(), "spec.rules[" + i + "]", rs.get(i), false, Map.of()));
      }
    }
    // The validator refuses a destination routed both ways, so these lists start empty.
    GatewayRoutes.rulesByParent(set).forEach(
        (parent, rs) -> rules.computeIfAbsent(parent, k -> new ArrayList<>()).addAll(rs));
    Map<String, DestinationPolicy> policies = new LinkedHashMap<>();
    Map<String, MeshSnapshot.InboundService> inbound = new HashMap<>();
    for (DestinationPolicy p : set.destinationPolicies()) {
      String dest = p.spec().service();
      if (policies.putIfAbsent(dest, p) != null) {
        problems.add(
            new Problem(
                p.ref(),
                "spec.destination",
                "must be the only DestinationPolicy for its destination",
                dest));
        continue;
      }
      DestinationPolicy.RateLimit server = p.spec().serverRateLimit();
      if (server != null) {
        TokenBucket bucket =
            registry.obtain(
                "server limiter " + dest, server, TokenBucket.class, () -> TokenBucket.of(server, now));
        inbound.put(dest, new MeshSnapshot.InboundService(bucket, describe(server)));
      }
    }

    Set<String> names = new LinkedHashSet<>();
    names.addAll(endpoints.keySet());
    names.addAll(rules.keySet());
    names.addAll(policies.keySet());
    // A service only a rule sends to is a destination too, so its share fails as "no endpoints".
    for (List<SourcedRule> rs : rules.values()) {
      for (SourcedRule r : rs) {
        for (TrafficRoute.Backend b : r.rule().backends()) {
          if (b.destination() != null) {
            names.add(Objects.requireNonNull(b.destination()));
          }
        }
      }
    }
    List<ServiceBackend> serviceBackends = new ArrayList<>();
    Map<String, DestinationRuntime> destinations = new HashMap<>();
    for (String name : names) {
      DestinationRuntime d =
          compileDestination(
              name,
              endpoints.getOrDefault(name, List.of()),
              routes.getOrDefault(name, List.of()),
              rules.getOrDefault(name, List.of()),
              policies.get(name),
              settings,
              now,
              problems,
              bindings,
              serviceBackends);
      if (d != null) {
        destinations.put(name, d);
      }
    }
    if (problems.isEmpty()) {
      bindServiceBackends(destinations, serviceBackends, problems);
    }
    if (problems.isEmpty()) {
      bindMirrors(destinations);
    }
    MeshSnapshot snapshot =
        problems.isEmpty() ? new MeshSnapshot(
                set.version(),
                destinations,
                inbound,
                ServiceAuthorization.compile(set.authorizationPolicies()),
                settings) : null;
    return new Compiled(snapshot, problems, bindings);
  }

  private @Nullable DestinationRuntime compileDestination(
      String dest,
      List<ServiceEndpoints.Endpoint> rawEndpoints,
      List<TrafficRoute> routes,
      List<SourcedRule> sourcedRules,
      @Nullable DestinationPolicy policy,
      MeshConfig.Spec settings,
      long now,
      List<Problem> problems,
      List<Runnable> bindings,
      List<ServiceBackend> serviceBackends) {
    DestinationPolicy.Spec spec = policy == null ? DEFAULTS : policy.spec();
    DestinationPolicy.LoadBalancer lb = spec.loadBalancer();
    DestinationPolicy.OutlierDetection od = spec.outlierDetection();
    DestinationPolicy.CircuitBreaker cb = spec.circuitBreaker();
    DestinationPolicy.AdaptiveConcurrency ac = spec.adaptiveConcurrency();
    int before = problems.size();

    if (lb != null
        && (lb.policy() == DestinationPolicy.LbPolicy.RING_HASH
            || lb.policy() == DestinationPolicy.LbPolicy.MAGLEV)
        && (lb.hashHeader() == null || Objects.requireNonNull(lb.hashHeader()).isBlank())) {
      problems.add(
          new Problem(
              Objects.requireNonNull(policy).ref(),
              "spec.loadBalancer.hashHeader",
              "is required by " + lb.policy(),
              null));
      // go on without it, so that one refusal names every problem of the set
      lb = null;
    }

    // Endpoints, deduplicated by address and port (the first entry wins), local zone first.
    Map<String, Endpoint> byAuthority = new LinkedHashMap<>();
    for (ServiceEndpoints.Endpoint e : rawEndpoints) {
      Map<String, String> labels = e.labels();
      Integer grpcPort = e.grpcPort();
      Endpoint ep =
          new Endpoint(
              e.address(),
              e.port(),
              labels == null ? Map.of() : labels,
              e.zone(),
              e.weight(),
              e.identity(),
              grpcPort == null || grpcPort.equals(e.port()) ? 0 : grpcPort);
      byAuthority.putIfAbsent(ep.authority(), ep);
    }
    List<Endpoint> ordered = new ArrayList<>(byAuthority.values());
    String zone = ctx.localZone();
    if (zone != null) {
      List<Endpoint> local = new ArrayList<>();
      List<Endpoint> remote = new ArrayList<>();
      for (Endpoint ep : ordered) {
        (zone.equals(ep.zone()) ? local : remote).add(ep);
      }
      ordered = new ArrayList<>(local);
      ordered.addAll(remote);
    }
    Map<Endpoint, EndpointHealth> health = new LinkedHashMap<>();
    for (Endpoint ep : ordered) {
      health.put(
          ep,
          registry.obtain(
              "endpoint " + dest + "/" + ep.authority(),
              od,
              EndpointHealth.class,
              () -> new EndpointHealth(od, ep, now)));
    }

    // Subsets named by the routes; one name means one label set per destination.
    Map<String, Map<String, String>> subsetLabels = new LinkedHashMap<>();
    for (TrafficRoute r : routes) {
      List<TrafficRoute.Subset> subsets = r.spec().subsets();
      if (subsets == null) {
        continue;
      }
      for (int i = 0; i < subsets.size(); i++) {
        TrafficRoute.Subset s = subsets.get(i);
        Map<String, String> prev = subsetLabels.putIfAbsent(s.name(), s.labels());
        if (prev != null && !prev.equals(s.labels())) {
          problems.add(
              new Problem(
                  r.ref(),
                  "spec.subsets[" + i + "].labels",
                  "must equal the labels of subset " + s.name() + " defined earlier for " + dest,
                  String.valueOf(s.labels())));
        }
      }
    }

    Map<String, Backend> backends = new LinkedHashMap<>();
    List<EndpointHealth[]> groups = new ArrayList<>();
    // ejections outlive snapshots: panic mode must know of those already running
    Ejections ejections = new Ejections();
    for (EndpointHealth h : health.values()) {
      h.noteEjection(ejections, now);
    }
    Backend all = backend(dest, null, ordered, health, lb, cb, ac, zone, groups, ejections);
    for (Map.Entry<String, Map<String, String>> s : subsetLabels.entrySet()) {
      List<Endpoint> members = new ArrayList<>();
      for (Endpoint ep : ordered) {
        if (ep.labels().entrySet().containsAll(s.getValue().entrySet())) {
          members.add(ep);
        }
      }
      backends.put(
          s.getKey(), backend(dest, s.getKey(), members, health, lb, cb, ac, zone, groups, ejections));
    }

    // Outlier detection sees each group (all endpoints, each subset) to cap its ejections.
    OutlierScope scope =
        !od.enabled()
            ? null
            : new OutlierScope(
                dest,
                ctx.events(),
                groups.toArray(new EndpointHealth[0][]),
                od.maxEjectionPercent(),
                ejections);
    for (Map.Entry<Endpoint, EndpointHealth> e : health.entrySet()) {
      List<Integer> memberOf = new ArrayList<>();
      for (int g = 0; g < groups.size(); g++) {
        for (EndpointHealth h : groups.get(g)) {
          if (h == e.getValue()) {
            memberOf.add(g);
            break;
          }
        }
      }
      int[] ids = new int[memberOf.size()];
      for (int k = 0; k < ids.length; k++) {
        ids[k] = memberOf.get(k);
      }
      Endpoint ep = e.getKey();
      EndpointHealth h = e.getValue();
      bindings.add(
          () -> {
            h.bind(ep, scope, ids);
            h.connecting(ctx.connections().notReady(dest, ep.authority()));
          });
    }

    List<CompiledRule> rules = new ArrayList<>();
    for (int ruleIndex = 0; ruleIndex < sourcedRules.size(); ruleIndex++) {
      SourcedRule r = sourcedRules.get(ruleIndex);
      CompiledRule cr =
          compileRule(dest, r.ref(), r.rule(), r.path(), ruleIndex, all, backends,
              settings.maxRegexInputBytes(), problems, serviceBackends, r.refused());
      if (cr != null) {
        rules.add(cr);
      }
    }
    List<TrafficRoute.Match> attached = attachedPorts(sourcedRules);
    if (!attached.isEmpty()) {
      // Last, so that calls on ports no route attaches to still reach the destination itself.
      rules.add(CompiledRule.noRoute(attached));
    }
    CompiledRule defaultRule =
        new CompiledRule(
            "default", "built in: every endpoint when no rule matches", null, 0, new Backend[] {all}, new int[] {1},
            Long.MAX_VALUE, null, null,
            null, 0, HeaderEdits.NONE, HeaderEdits.NONE, null, null, null, false);

    RetryBudget budget =
        registry.obtain(
            "retry budget " + dest,
            spec.retryBudget(),
            RetryBudget.class,
            () -> new RetryBudget(spec.retryBudget()));
    DestinationPolicy.RateLimit rl = spec.rateLimit();
    TokenBucket limiter =
        rl == null
            ? null
            : registry.obtain(
                "client limiter " + dest, rl, TokenBucket.class, () -> TokenBucket.of(rl, now));
    if (problems.size() > before) {
      return null;
    }
    return new DestinationRuntime(
        dest,
        ctx,
        rules.toArray(new CompiledRule[0]),
        defaultRule,
        budget,
        limiter,
        rl == null ? "" : describe(rl),
        ordered,
        all,
        backends,
        settings.defaultUnaryTimeout());
  }

  /**
   * One match per port Gateway API routes attach their rules to (a single port-less match when one
   * attaches to every port); empty when none does.
   */
  private static List<TrafficRoute.Match> attachedPorts(List<SourcedRule> rules) {
    Set<Integer> ports = new TreeSet<>();
    for (SourcedRule r : rules) {
      if (!r.attached()) {
        continue;
      }
      for (TrafficRoute.Match m : Objects.requireNonNullElse(r.rule().matches(), List.<TrafficRoute.Match>of())) {
        if (m.port() == null) {
          return List.of(new TrafficRoute.Match(null, null, null, null, null, null));
        }
        ports.add(m.port());
      }
    }
    List<TrafficRoute.Match> out = new ArrayList<>();
    for (Integer port : ports) {
      out.add(new TrafficRoute.Match(null, null, null, null, null, port));
    }
    return out;
  }

  /** A rule's backend that is another service (or a subset of one), bound once all are compiled. */
  private record ServiceBackend(
      CompiledRule rule, int index, String destination, @Nullable String subset, String ref, String path) {}

  /**
   * Gives every rule its backends on other services: that service's endpoints (or subset), with
   * its own balancer, breaker and outlier detection, named {@code service} or {@code
   * service/subset} in telemetry. The service's own routes do not apply: a call is routed once.
   */
  private static void bindServiceBackends(
      Map<String, DestinationRuntime> destinations, List<ServiceBackend> pending, List<Problem> problems) {
    for (ServiceBackend p : pending) {
      DestinationRuntime target = destinations.get(p.destination());
      Backend b = target == null ? null : target.backend(p.subset());
      if (b == null) {
        // The validator names undefined subsets first; this is the last line of defence.
        problems.add(new Problem(p.ref(), p.path(), "must name a subset defined for " + p.destination(), p.subset()));
        continue;
      }
      String label = p.subset() == null ? p.destination() : p.destination() + "/" + p.subset();
      p.rule().bindBackend(p.index(), new Backend(label, b.endpoints(), b.guard()));
    }
  }

  /**
   * Points every mirroring rule at the backend its copies go to, once all destinations are
   * compiled (a rule may mirror into any of them). A shadow the snapshot does not know stays
   * unbound, and its copies are refused when taken.
   */
  private static void bindMirrors(Map<String, DestinationRuntime> destinations) {
    for (DestinationRuntime d : destinations.values()) {
      for (CompiledRule rule : d.allRules()) {
        MirrorTarget target = rule.mirror;
        if (target == null) {
          continue;
        }
        DestinationRuntime shadow = destinations.get(target.destination());
        if (shadow == null) {
          continue;
        }
        String subset = target.subset();
        Backend b = shadow.backend(subset);
        if (b != null) {
          rule.bindMirror(b);
        }
      }
    }
  }

  private Backend backend(
      String dest,
      @Nullable String subset,
      List<Endpoint> members,
      Map<Endpoint, EndpointHealth> health,
      DestinationPolicy.@Nullable LoadBalancer lb,
      DestinationPolicy.@Nullable CircuitBreaker cb,
      DestinationPolicy.@Nullable AdaptiveConcurrency adaptive,
      @Nullable String zone,
      List<EndpointHealth[]> groups,
      Ejections ejections) {
    Endpoint[] eps = members.toArray(new Endpoint[0]);
    EndpointHealth[] hs = new EndpointHealth[eps.length];
    int local = 0;
    for (int i = 0; i < eps.length; i++) {
      hs[i] = health.get(eps[i]);
      if (zone != null && zone.equals(eps[i].zone())) {
        local++;
      }
    }
    groups.add(hs);
    SubsetGuard guard =
        registry.obtain(
            subset == null ? "breaker " + dest : "breaker " + dest + "/" + subset,
            java.util.Arrays.asList(cb, adaptive),
            SubsetGuard.class,
            () -> new SubsetGuard(dest, subset, cb, adaptive, ctx.ticker(), ctx.events()));
    return new Backend(subset, new EndpointSet(eps, hs, local, lb, ejections), guard);
  }

  private @Nullable CompiledRule compileRule(
      String dest,
      String ref,
      TrafficRoute.Rule rule,
      String path,
      int index,
      Backend all,
      Map<String, Backend> subsets,
      int maxRegexInput,
      List<Problem> problems,
      List<ServiceBackend> serviceBackends,
      Map<Integer, String> refused) {
    int before = problems.size();
    List<TrafficRoute.Backend> bs = rule.backends();
    Backend[] backends = new Backend[bs.size()];
    int[] weights = new int[bs.size()];
    List<Integer> foreign = new ArrayList<>();
    for (int j = 0; j < bs.size(); j++) {
      TrafficRoute.Backend b = bs.get(j);
      String subset = b.subset();
      weights[j] = b.weight();
      String why = refused.get(j);
      if (why != null) {
        // Its share fails as "no endpoints", naming the backend and why it has none.
        backends[j] = new Backend(b.destination() + ", not permitted (" + why + ")",
            new EndpointSet(new Endpoint[0], new EndpointHealth[0], 0, null, new Ejections()), all.guard());
        continue;
      }
      if (b.destination() != null && !dest.equals(b.destination())) {
        // Bound to the other service's backend once every destination is compiled.
        backends[j] = all;
        foreign.add(j);
        continue;
      }
      Backend target = subset == null ? all : subsets.get(subset);
      if (target == null) {
        problems.add(
            new Problem(
                ref,
                path + ".backends[" + j + "].subset",
                "must name a subset defined in spec.subsets",
                subset));
        continue;
      }
      backends[j] = target;
    }
    if (bs.isEmpty()) {
      problems.add(new Problem(ref, path + ".backends", "must not be empty", "[]"));
    }
    TrafficRoute.Retry retry = rule.retries();
    TrafficRoute.Hedging hedging = rule.hedging();
    // The validator refuses a rule with both.
    RetryPolicy retryPolicy =
        retry != null
            ? RetryPolicy.compile(retry, ref, path + ".retries", problems)
            : hedging != null
                ? RetryPolicy.compileHedging(hedging, ref, path + ".hedging", problems)
                : null;
    TrafficRoute.Fault fault = rule.fault();
    TrafficRoute.Mirror mirror = rule.mirror();
    MirrorTarget mirrorTarget = null;
    long mirrorPpm = 0;
    if (mirror != null) {
      String md = mirror.destination();
      mirrorTarget = new MirrorTarget(md == null ? dest : md, mirror.subset());
      mirrorPpm = FaultPolicy.ppm(mirror.percent());
    }
    Duration timeout = rule.timeout();
    String name = rule.name() != null ? Objects.requireNonNull(rule.name()) : "rule-" + index;
    HeaderEdits requestEdits = edits(rule.requestHeaders());
    HeaderEdits[] backendEdits = null;
    for (int j = 0; j < bs.size(); j++) {
      if (bs.get(j).requestHeaders() != null) {
        backendEdits = new HeaderEdits[bs.size()];
        for (int k = 0; k < bs.size(); k++) {
          backendEdits[k] = requestEdits.then(edits(bs.get(k).requestHeaders()));
        }
        break;
      }
    }
    if (problems.size() > before) {
      return null;
    }
    try {
      CompiledRule compiled = new CompiledRule(
          name,
          ref + " " + path,
          rule.matches(),
          maxRegexInput,
          backends,
          weights,
          timeout == null ? Long.MAX_VALUE : timeout.toNanos(),
          retryPolicy,
          fault == null ? null : new FaultPolicy(fault),
          mirrorTarget,
          mirrorPpm,
          requestEdits,
          edits(rule.responseHeaders()),
          backendEdits,
          rewrite(rule.rewrite()),
          redirect(rule.redirect()),
          false);
      for (int j : foreign) {
        TrafficRoute.Backend b = bs.get(j);
        serviceBackends.add(new ServiceBackend(compiled, j, Objects.requireNonNull(b.destination()), b.subset(),
            ref, path + ".backends[" + j + "].subset"));
      }
      return compiled;
    } catch (PatternSyntaxException e) {
      // The validator refuses these first, naming the field; this is the last line of defence.
      problems.add(
          new Problem(
              ref,
              path + ".matches",
              "regular expressions must be valid RE2 syntax: " + e.getMessage(),
              e.getPattern()));
      return null;
    }
  }

  private static PathRewrite path(@Nullable String fullPath, TrafficRoute.@Nullable PrefixRewrite prefix) {
    return fullPath == null && prefix == null
        ? PathRewrite.NONE
        : new PathRewrite(fullPath, prefix == null ? null : prefix.match(), prefix == null ? null : prefix.replacement());
  }

  private static @Nullable HttpRewrite rewrite(TrafficRoute.@Nullable Rewrite r) {
    return r == null ? null : new HttpRewrite(r.hostname(), path(r.fullPath(), r.prefix()));
  }

  private static @Nullable HttpRedirect redirect(TrafficRoute.@Nullable Redirect r) {
    return r == null
        ? null
        : new HttpRedirect(r.statusCode(), r.scheme(), r.hostname(), r.port() == null ? 0 : r.port(), path(r.fullPath(), r.prefix()));
  }

  private static HeaderEdits edits(TrafficRoute.@Nullable HeaderEdits e) {
    if (e == null) {
      return HeaderEdits.NONE;
    }
    List<String[]> set = new ArrayList<>();
    List<String[]> add = new ArrayList<>();
    for (TrafficRoute.Header h : Objects.requireNonNullElse(e.set(), List.<TrafficRoute.Header>of())) {
      set.add(new String[] {h.name(), h.value()});
    }
    for (TrafficRoute.Header h : Objects.requireNonNullElse(e.add(), List.<TrafficRoute.Header>of())) {
      add.add(new String[] {h.name(), h.value()});
    }
    return HeaderEdits.of(set, add, Objects.requireNonNullElse(e.remove(), List.of()));
  }

  private static String describe(DestinationPolicy.RateLimit rl) {
    Integer burst = rl.burst();
    double rate = rl.requestsPerSecond();
    String r = rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate);
    return burst == null ? r + "/s" : r + "/s, burst " + burst;
  }
}
