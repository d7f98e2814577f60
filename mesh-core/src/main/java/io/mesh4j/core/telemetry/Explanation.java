package io.mesh4j.core.telemetry;

import io.mesh4j.core.telemetry.MeshListener.BreakerState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Why the mesh would send a call where it would, answered by {@code Mesh.explain} from the policy
 * in effect and the live state of its guards: every rule of the destination in order, matched or
 * with the first condition that failed, the matched rule's backends with their weights, and each
 * backend's breaker, endpoints (healthy or ejected, and for how long) and next pick where that is
 * known without drawing. Built without side effects: no counter moves, no random value is drawn.
 *
 * <p>Immutable.
 *
 * @param destination the destination, {@code name.namespace}
 * @param call the call as messages write it, {@code shop.Catalog/GetItem} or {@code GET /x}
 * @param version the policy version the answer comes from; 0 before the first
 * @param verdict what would happen to the call
 * @param summary one sentence saying where the next such call would go
 * @param rules every rule of the destination in the order calls try them
 * @param matchedRule the name of the rule the call takes, null when the destination is unknown
 * @param backends the matched rule's backends in the order the rule lists them
 * @param chosenBackend the index in {@code backends} the call certainly goes to (one backend has
 *     all the weight); null when the weights decide per call, or when nothing is sent
 */
public record Explanation(
    String destination,
    String call,
    long version,
    Verdict verdict,
    String summary,
    List<RuleOutcome> rules,
    @Nullable String matchedRule,
    List<BackendState> backends,
    @Nullable Integer chosenBackend) {

  /** Copies the lists. */
  public Explanation {
    rules = List.copyOf(rules);
    backends = List.copyOf(backends);
  }

  /** What the engine would do with the call. */
  public enum Verdict {
    /** A rule matched and sends the call to its backends. */
    ROUTED,
    /** No rule matched (or there are none): the call goes to every endpoint of the destination. */
    DEFAULT_ROUTE,
    /** The matched rule answers with an HTTP redirect instead of sending the call. */
    REDIRECT,
    /** Gateway API routes attach to the destination and none matches: the call fails as NO_ROUTE. */
    NO_ROUTE,
    /** The matched rule gives every backend weight 0: the call fails. */
    NO_BACKEND,
    /** The policy in effect does not know the destination: the call fails. */
    UNKNOWN_DESTINATION
  }

  /** How one rule judged the call. */
  public enum RuleMatch {
    /** The rule matches; it is the one the call takes. */
    MATCHED,
    /** The rule does not match; {@link RuleOutcome#reason} says why. */
    NOT_MATCHED,
    /** An earlier rule matched, so this one is not tried. */
    NOT_REACHED
  }

  /**
   * One rule.
   *
   * @param index its position among the destination's rules
   * @param name its name ({@code rule-N} when the policy gives none)
   * @param source where it was written, e.g. {@code TrafficRoute shop/catalog spec.rules[0]};
   *     null for the rules the mesh adds (the default, the Gateway API's "no matching rule")
   * @param match how it judged the call
   * @param reason the first condition that failed, e.g. {@code header x-canary: wanted exact
   *     'true', got none}; null unless {@code NOT_MATCHED}
   */
  public record RuleOutcome(
      int index, String name, @Nullable String source, RuleMatch match, @Nullable String reason) {}

  /**
   * One backend of the matched rule: a subset (or all endpoints) of the destination or of
   * another service.
   *
   * @param destination the service the backend belongs to
   * @param subset the subset, null for all endpoints of {@code destination}
   * @param weight its weight in the rule
   * @param percent its share of the rule's calls, 0 to 100
   * @param breaker its circuit breaker; {@code CLOSED} when it has none
   * @param inFlight attempts in flight to its endpoints
   * @param balancer the load-balancing policy, e.g. {@code ROUND_ROBIN}
   * @param endpoints its endpoints, local zone first
   * @param nextEndpoint the authority ({@code address:port}) of the endpoint the next attempt
   *     would take, when that is known without drawing (round robin); null otherwise
   * @param next how the next endpoint is chosen, in words
   */
  public record BackendState(
      String destination,
      @Nullable String subset,
      long weight,
      double percent,
      BreakerState breaker,
      int inFlight,
      String balancer,
      List<EndpointState> endpoints,
      @Nullable String nextEndpoint,
      String next) {

    /** Copies the list. */
    public BackendState {
      endpoints = List.copyOf(endpoints);
    }

    /** {@code catalog.shop/v2}, or {@code catalog.shop} for all its endpoints. */
    public String label() {
      return subset == null ? destination : destination + "/" + subset;
    }
  }

  /** An endpoint's state as picks see it. */
  public enum Availability {
    /** It may be picked. */
    HEALTHY,
    /** It may be picked, but its transport has no ready connection yet; others go first. */
    CONNECTING,
    /** Outlier detection ejected it; it gets no picks until the ejection ends. */
    EJECTED
  }

  /**
   * One endpoint.
   *
   * @param authority {@code address:port}
   * @param zone its zone, null when unknown
   * @param labels its labels
   * @param state whether it may be picked
   * @param ejectionLeft how long its ejection still lasts; null unless {@code EJECTED}
   * @param ejections how many times it was ejected without a quiet interval since
   * @param inFlight attempts in flight to it
   */
  public record EndpointState(
      String authority,
      @Nullable String zone,
      Map<String, String> labels,
      Availability state,
      @Nullable Duration ejectionLeft,
      int ejections,
      int inFlight) {

    /** Copies the labels. */
    public EndpointState {
      labels = Map.copyOf(labels);
    }
  }

  /**
   * The explanation as JSON-ready maps, lists, strings, numbers, booleans and nulls, in a stable
   * key order, for an actuator endpoint or a command line. Durations are milliseconds; an
   * ejection's end is also given as a wall-clock instant, computed from {@code now}.
   *
   * @param now the wall-clock time the explanation was made at
   */
  public Map<String, @Nullable Object> toMap(Instant now) {
    Map<String, @Nullable Object> m = new LinkedHashMap<>();
    m.put("destination", destination);
    m.put("call", call);
    m.put("version", version);
    m.put("verdict", verdict.name());
    m.put("summary", summary);
    m.put("matchedRule", matchedRule);
    List<Object> rs = new ArrayList<>();
    for (RuleOutcome r : rules) {
      Map<String, @Nullable Object> rm = new LinkedHashMap<>();
      rm.put("index", r.index());
      rm.put("name", r.name());
      rm.put("source", r.source());
      rm.put("match", r.match().name());
      rm.put("reason", r.reason());
      rs.add(rm);
    }
    m.put("rules", rs);
    List<Object> bs = new ArrayList<>();
    for (BackendState b : backends) {
      Map<String, @Nullable Object> bm = new LinkedHashMap<>();
      bm.put("destination", b.destination());
      bm.put("subset", b.subset());
      bm.put("weight", b.weight());
      bm.put("percent", b.percent());
      bm.put("breaker", b.breaker().name());
      bm.put("inFlight", b.inFlight());
      bm.put("balancer", b.balancer());
      bm.put("nextEndpoint", b.nextEndpoint());
      bm.put("next", b.next());
      List<Object> es = new ArrayList<>();
      for (EndpointState e : b.endpoints()) {
        Map<String, @Nullable Object> em = new LinkedHashMap<>();
        em.put("authority", e.authority());
        em.put("zone", e.zone());
        em.put("labels", new java.util.TreeMap<>(e.labels()));
        em.put("state", e.state().name());
        Duration left = e.ejectionLeft();
        em.put("ejectionLeftMillis", left == null ? null : left.toMillis());
        em.put("ejectedUntil", left == null ? null : now.plus(left).toString());
        em.put("ejections", e.ejections());
        em.put("inFlight", e.inFlight());
        es.add(em);
      }
      bm.put("endpoints", es);
      bs.add(bm);
    }
    m.put("backends", bs);
    m.put("chosenBackend", chosenBackend);
    return m;
  }
}
