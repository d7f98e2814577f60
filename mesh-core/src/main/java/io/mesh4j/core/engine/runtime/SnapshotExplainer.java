package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.engine.balance.EndpointSet;
import io.mesh4j.core.engine.resilience.EndpointHealth;
import io.mesh4j.core.engine.route.Backend;
import io.mesh4j.core.engine.route.CompiledRule;
import io.mesh4j.core.policy.DestinationPolicy.LbPolicy;
import io.mesh4j.core.telemetry.ExplainRequest;
import io.mesh4j.core.telemetry.Explanation;
import io.mesh4j.core.telemetry.Explanation.Availability;
import io.mesh4j.core.telemetry.Explanation.BackendState;
import io.mesh4j.core.telemetry.Explanation.EndpointState;
import io.mesh4j.core.telemetry.Explanation.RuleMatch;
import io.mesh4j.core.telemetry.Explanation.RuleOutcome;
import io.mesh4j.core.telemetry.Explanation.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Answers {@code Mesh.explain}: walks one snapshot as {@link CallEngine#plan} and the balancers
 * would, but only reads. It matches rules with the same matchers, reads weights instead of
 * drawing, reads ejections without ending those whose time is up, and peeks at the round-robin
 * cursor without moving it. Off the call path: it allocates freely.
 */
public final class SnapshotExplainer {

  private SnapshotExplainer() {}

  /** Explains {@code request} against {@code snapshot} at ticker time {@code now}. */
  public static Explanation explain(MeshSnapshot snapshot, ExplainRequest request, long now) {
    String call = request.describe();
    DestinationRuntime d = snapshot.destination(request.destination());
    if (d == null) {
      return new Explanation(
          request.destination(),
          call,
          snapshot.version(),
          Verdict.UNKNOWN_DESTINATION,
          "the policy in effect (version " + snapshot.version() + ") does not know "
              + request.destination() + ": the call would fail as UNKNOWN_DESTINATION",
          List.of(),
          null,
          List.of(),
          null);
    }
    OutboundCall outbound = request.toCall();
    CompiledRule[] rules = d.allRules();
    List<RuleOutcome> outcomes = new ArrayList<>();
    CompiledRule matched = null;
    for (int i = 0; i < rules.length; i++) {
      CompiledRule r = rules[i];
      if (matched != null) {
        outcomes.add(new RuleOutcome(i, r.name, r.source, RuleMatch.NOT_REACHED, null));
        continue;
      }
      String why = r.whyNot(outbound);
      if (why == null) {
        matched = r;
        outcomes.add(new RuleOutcome(i, r.name, r.source, RuleMatch.MATCHED, null));
      } else {
        outcomes.add(new RuleOutcome(i, r.name, r.source, RuleMatch.NOT_MATCHED, why));
      }
    }
    // the default rule matches every call, so one always does
    CompiledRule rule = matched == null ? rules[rules.length - 1] : matched;
    boolean isDefault = rule == rules[rules.length - 1];

    List<BackendState> backends = new ArrayList<>();
    long total = rule.totalWeight();
    Integer chosen = null;
    int positive = 0;
    for (int i = 0; i < rule.backendCount(); i++) {
      long w = rule.weight(i);
      double percent = total <= 0 ? 0 : Math.round(w * 1000.0 / total) / 10.0;
      backends.add(backend(rule.backend(i), w, percent, outbound, now));
      if (w > 0) {
        positive++;
        chosen = i;
      }
    }
    if (positive != 1) {
      chosen = null;
    }

    Verdict verdict;
    if (rule.noRoute) {
      verdict = Verdict.NO_ROUTE;
    } else if (rule.redirect != null) {
      verdict = Verdict.REDIRECT;
    } else if (total <= 0) {
      verdict = Verdict.NO_BACKEND;
    } else if (isDefault) {
      verdict = Verdict.DEFAULT_ROUTE;
    } else {
      verdict = Verdict.ROUTED;
    }
    String summary = summary(verdict, rule, rules.length, backends, chosen);
    return new Explanation(
        request.destination(),
        call,
        snapshot.version(),
        verdict,
        summary,
        outcomes,
        rule.name,
        backends,
        chosen);
  }

  private static String summary(
      Verdict verdict, CompiledRule rule, int ruleCount, List<BackendState> backends, @Nullable Integer chosen) {
    String which = "rule " + rule.name + (rule.source == null ? "" : " (" + rule.source + ")");
    String failure =
        switch (verdict) {
          case NO_ROUTE ->
              "no rule matched and Gateway API routes attach to the destination: the call would fail as NO_ROUTE";
          case REDIRECT -> which + " matched: it answers with an HTTP redirect and sends nothing";
          case NO_BACKEND -> which + " matched, but every backend has weight 0: the call would fail";
          default -> null;
        };
    if (failure != null) {
      return failure;
    }
    String head =
        verdict == Verdict.DEFAULT_ROUTE
            ? (ruleCount == 1 ? "the destination has no route rules" : "no rule matched")
                + ": the call goes to every endpoint of the destination"
            : which + " matched";
    if (chosen != null) {
      BackendState b = backends.get(chosen);
      String to = b.subset() == null ? "all endpoints of " + b.destination() : "subset " + b.subset() + " of " + b.destination();
      String endpoint = b.nextEndpoint();
      return head + "; the call goes to " + to
          + (endpoint == null ? " (" + b.next() + ")" : ", endpoint " + endpoint);
    }
    StringBuilder sb = new StringBuilder(head).append("; the weights decide each call:");
    for (BackendState b : backends) {
      sb.append(' ').append(b.label()).append(' ').append(percent(b.percent())).append(',');
    }
    sb.setLength(sb.length() - 1);
    return sb.toString();
  }

  private static String percent(double p) {
    return p == Math.rint(p) ? (long) p + "%" : p + "%";
  }

  private static BackendState backend(Backend b, long weight, double percent, OutboundCall call, long now) {
    EndpointSet set = b.endpoints();
    List<EndpointState> endpoints = new ArrayList<>(set.size());
    boolean[] eligible = new boolean[set.size()];
    int inFlight = 0;
    int available = 0;
    for (int i = 0; i < set.size(); i++) {
      EndpointHealth h = set.health(i);
      long left = h.ejectionLeft(now);
      Availability state =
          left > 0 ? Availability.EJECTED : h.connecting() ? Availability.CONNECTING : Availability.HEALTHY;
      int n = h.inFlight();
      inFlight += n;
      eligible[i] = left == 0;
      if (eligible[i]) {
        available++;
      }
      var e = set.endpoint(i);
      endpoints.add(
          new EndpointState(
              e.authority(), e.zone(), e.labels(), state, left > 0 ? Duration.ofNanos(left) : null,
              h.ejections(), n));
    }
    LbPolicy policy = set.policy();
    String nextEndpoint = null;
    String next;
    if (set.size() == 0) {
      next = "no endpoints: the call would fail as NO_ENDPOINTS";
    } else if (available == 0) {
      next = "every endpoint is ejected: the call fails as NO_HEALTHY_ENDPOINT unless the"
          + " destination's panic threshold lets picks ignore ejections";
    } else if (policy == LbPolicy.ROUND_ROBIN) {
      // as the pick does: endpoints with a ready connection first
      int i = set.peekRoundRobin(k -> eligible[k] && endpoints.get(k).state() == Availability.HEALTHY);
      if (i < 0) {
        i = set.peekRoundRobin(k -> eligible[k]);
      }
      nextEndpoint = i < 0 ? null : set.endpoint(i).authority();
      next = "round robin: next in the schedule is " + (nextEndpoint == null ? "none" : nextEndpoint)
          + " (unless another call takes it first)";
    } else if (policy == LbPolicy.RING_HASH || policy == LbPolicy.MAGLEV) {
      String header = set.hashHeader();
      String value = header == null ? null : call.header(header);
      next = policy + " on header " + header
          + (value == null
              ? ": the call has none, so the pick is least request among " + available + " available"
              : ": the endpoint owning the hash of '" + value + "' among " + available + " available");
    } else {
      next = (policy == LbPolicy.LEAST_REQUEST ? "least request" : "peak EWMA")
          + ": power of two random choices among " + available + " available endpoint"
          + (available == 1 ? "" : "s") + fewest(endpoints, eligible);
    }
    return new BackendState(
        b.guard().destination(),
        b.name(),
        weight,
        percent,
        b.guard().state(),
        inFlight,
        policy.name(),
        endpoints,
        nextEndpoint,
        next);
  }

  /** "; fewest in flight: a, b (0)" over the available endpoints. */
  private static String fewest(List<EndpointState> endpoints, boolean[] eligible) {
    int min = Integer.MAX_VALUE;
    for (int i = 0; i < endpoints.size(); i++) {
      if (eligible[i]) {
        min = Math.min(min, endpoints.get(i).inFlight());
      }
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < endpoints.size(); i++) {
      if (eligible[i] && endpoints.get(i).inFlight() == min) {
        names.add(endpoints.get(i).authority());
      }
    }
    if (names.size() > 5) {
      names = new ArrayList<>(names.subList(0, 5));
      names.add("…");
    }
    return String.format(Locale.ROOT, "; fewest in flight (%d): %s", min, String.join(", ", names));
  }
}
