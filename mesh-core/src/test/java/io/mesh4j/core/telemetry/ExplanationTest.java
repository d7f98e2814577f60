package io.mesh4j.core.telemetry;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.exact;
import static io.mesh4j.core.testing.Policies.grpc;
import static io.mesh4j.core.testing.Policies.headers;
import static io.mesh4j.core.testing.Policies.http;
import static io.mesh4j.core.testing.Policies.outliers;
import static io.mesh4j.core.testing.Policies.policy;
import static io.mesh4j.core.testing.Policies.prefix;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static io.mesh4j.core.testing.Policies.subset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.TrafficRoute;
import io.mesh4j.core.telemetry.Explanation.Availability;
import io.mesh4j.core.telemetry.Explanation.BackendState;
import io.mesh4j.core.telemetry.Explanation.EndpointState;
import io.mesh4j.core.telemetry.Explanation.RuleMatch;
import io.mesh4j.core.telemetry.Explanation.Verdict;
import io.mesh4j.core.testing.MeshHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ExplanationTest {

  private static final Map<String, String> CANARY = Map.of("x-canary", "true");
  private static final Outcome FAIL = Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");
  private static final Outcome OK = Outcome.success();

  /** catalog.shop: v1 on .1 and .2, v2 on .3 and .4; x-canary: true goes to v2, the rest 90/10. */
  private static MeshHarness catalog() {
    MeshHarness h = new MeshHarness();
    h.apply(
        endpoints(
            "catalog.shop",
            ep("10.0.0.1", Map.of("version", "v1")),
            ep("10.0.0.2", Map.of("version", "v1")),
            ep("10.0.0.3", Map.of("version", "v2")),
            ep("10.0.0.4", Map.of("version", "v2"))),
        route(
            "catalog.shop",
            List.of(subset("v1", "version", "v1"), subset("v2", "version", "v2")),
            rule()
                .name("canary")
                .match(headers(new TrafficRoute.HeaderMatch("x-canary", "true", null, null, null)))
                .backend("v2", 100)
                .build(),
            rule().name("items").match(grpc("shop.Catalog", "GetItem")).backend("v1", 90).backend("v2", 10).build()),
        policy("catalog.shop")
            .lb(DestinationPolicy.LbPolicy.ROUND_ROBIN, null, false)
            .outliers(outliers(3, Duration.ofSeconds(30), Duration.ofSeconds(300), 50))
            .build());
    return h;
  }

  private static OutboundCall canaryCall() {
    return OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").header("x-canary", "true").build();
  }

  @Test
  void aHeaderRuleSendsTheCallToTheCanarySubsetAndSaysWhereItWasWritten() {
    try (MeshHarness h = catalog()) {
      Explanation e = h.mesh.explain(ExplainRequest.grpc("catalog.shop", "shop.Catalog/GetItem", Map.of("X-Canary", "true")));

      assertThat(e.verdict()).isEqualTo(Verdict.ROUTED);
      assertThat(e.matchedRule()).isEqualTo("canary");
      assertThat(e.rules())
          .extracting(Explanation.RuleOutcome::name, Explanation.RuleOutcome::match)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("canary", RuleMatch.MATCHED),
              org.assertj.core.groups.Tuple.tuple("items", RuleMatch.NOT_REACHED),
              org.assertj.core.groups.Tuple.tuple("default", RuleMatch.NOT_REACHED));
      assertThat(e.rules().get(0).source()).isEqualTo("TrafficRoute shop/catalog-shop spec.rules[0]");
      assertThat(e.chosenBackend()).isZero();
      BackendState v2 = e.backends().get(0);
      assertThat(v2.label()).isEqualTo("catalog.shop/v2");
      assertThat(v2.percent()).isEqualTo(100.0);
      assertThat(v2.balancer()).isEqualTo("ROUND_ROBIN");
      assertThat(v2.endpoints()).extracting(EndpointState::authority).containsExactly("10.0.0.3:8080", "10.0.0.4:8080");
      assertThat(e.summary())
          .startsWith("rule canary (TrafficRoute shop/catalog-shop spec.rules[0]) matched; the call goes to subset v2 of catalog.shop, endpoint ");
    }
  }

  @Test
  void withoutTheHeaderTheFirstRuleSaysWhyNotAndTheWeightsDecide() {
    try (MeshHarness h = catalog()) {
      Explanation e = h.mesh.explain(ExplainRequest.grpc("catalog.shop", "/shop.Catalog/GetItem", Map.of()));

      assertThat(e.matchedRule()).isEqualTo("items");
      assertThat(e.rules().get(0).match()).isEqualTo(RuleMatch.NOT_MATCHED);
      assertThat(e.rules().get(0).reason()).isEqualTo("header x-canary: wanted exact 'true', got none");
      assertThat(e.chosenBackend()).isNull();
      assertThat(e.backends()).extracting(BackendState::subset, BackendState::weight, BackendState::percent)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("v1", 90L, 90.0),
              org.assertj.core.groups.Tuple.tuple("v2", 10L, 10.0));
      assertThat(e.summary()).endsWith("the weights decide each call: catalog.shop/v1 90%, catalog.shop/v2 10%");
    }
  }

  @Test
  void anEjectedEndpointIsShownWithItsRemainingTimeAndIsNotTheNextPick() {
    try (MeshHarness h = catalog()) {
      String bad = "10.0.0.3:8080";
      for (int i = 0; i < 100 && h.mesh.explain(canary()).backends().get(0).endpoints().get(0).state() != Availability.EJECTED; i++) {
        Attempt a = h.attempt(canaryCall());
        a.settle(a.endpoint().authority().equals(bad) ? FAIL : OK);
      }
      h.ticker.advance(Duration.ofSeconds(12));

      Explanation e = h.mesh.explain(canary());

      BackendState v2 = e.backends().get(0);
      EndpointState ejected = v2.endpoints().get(0);
      assertThat(ejected.authority()).isEqualTo(bad);
      assertThat(ejected.state()).isEqualTo(Availability.EJECTED);
      assertThat(ejected.ejectionLeft()).isEqualTo(Duration.ofSeconds(18));
      assertThat(ejected.ejections()).isEqualTo(1);
      assertThat(v2.endpoints().get(1).state()).isEqualTo(Availability.HEALTHY);
      assertThat(v2.nextEndpoint()).isEqualTo("10.0.0.4:8080");
      Map<String, Object> json = e.toMap(Instant.parse("2026-12-05T12:00:00Z"));
      assertThat(io.mesh4j.core.base.JsonText.write(json))
          .contains("\"state\":\"EJECTED\",\"ejectionLeftMillis\":18000,\"ejectedUntil\":\"2026-12-05T12:00:18Z\"");

      // once its time is up it is shown healthy, although no pick has ended the ejection yet
      h.ticker.advance(Duration.ofSeconds(18));
      assertThat(h.mesh.explain(canary()).backends().get(0).endpoints().get(0).state()).isEqualTo(Availability.HEALTHY);
      assertThat(h.events.snapshot()).noneMatch(l -> l.startsWith("returned"));
    }
  }

  @Test
  void anHttpCallIsMatchedOnMethodAndPathWithTheReasonForEachMiss() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("pricing.shop", ep("10.0.1.1")),
          route(
              "pricing.shop",
              List.of(),
              rule().name("writes").match(http("POST", prefix("/prices/"))).build(),
              rule().name("prices").match(http("GET", prefix("/prices/"))).build(),
              rule().name("exact").match(http("GET", exact("/health"))).build()));

      Explanation miss = h.mesh.explain(ExplainRequest.http("pricing.shop", "get", "/x?q=1", Map.of()));
      Explanation hit = h.mesh.explain(ExplainRequest.http("pricing.shop", "GET", "/prices/1", Map.of()));

      assertThat(miss.call()).isEqualTo("GET /x?q=1");
      assertThat(miss.verdict()).isEqualTo(Verdict.DEFAULT_ROUTE);
      assertThat(miss.rules()).extracting(Explanation.RuleOutcome::reason)
          .containsExactly("method: wanted POST, got GET", "path: wanted prefix '/prices/', got /x", "path: wanted exact '/health', got /x", null);
      assertThat(miss.summary()).startsWith("no rule matched: the call goes to every endpoint of the destination; the call goes to all endpoints of pricing.shop");
      assertThat(hit.verdict()).isEqualTo(Verdict.ROUTED);
      assertThat(hit.matchedRule()).isEqualTo("prices");
      assertThat(hit.backends().get(0).next()).startsWith("peak EWMA: power of two random choices among 1 available endpoint; fewest in flight (0): 10.0.1.1:8080");
    }
  }

  @Test
  void noMatchingGatewayRouteIsNoRoute() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(io.mesh4j.core.policy.PolicySet.parse(
          """
          apiVersion: mesh4j.io/v1alpha1
          kind: ServiceEndpoints
          metadata: {name: pricing, namespace: shop}
          spec: {service: pricing, endpoints: [{address: 10.0.1.1, port: 80}]}
          ---
          apiVersion: gateway.networking.k8s.io/v1
          kind: HTTPRoute
          metadata: {name: pricing, namespace: shop}
          spec:
            parentRefs: [{group: "", kind: Service, name: pricing}]
            rules:
              - matches: [{path: {type: PathPrefix, value: /prices}}]
                backendRefs: [{name: pricing, port: 80}]
          """).resources().toArray(new io.mesh4j.core.policy.MeshResource[0]));

      Explanation e = h.mesh.explain(ExplainRequest.http("pricing.shop", "GET", "/other", Map.of()));

      assertThat(e.verdict()).isEqualTo(Verdict.NO_ROUTE);
      assertThat(e.summary()).contains("NO_ROUTE");
      assertThat(e.rules().get(0).reason()).isEqualTo("path: wanted regex '/prices(?:/.*)?', got /other");
    }
  }

  @Test
  void anUnknownDestinationSaysSo() {
    try (MeshHarness h = catalog()) {
      Explanation e = h.mesh.explain(ExplainRequest.grpc("nowhere.shop", "a.B/C", Map.of()));

      assertThat(e.verdict()).isEqualTo(Verdict.UNKNOWN_DESTINATION);
      assertThat(e.rules()).isEmpty();
      assertThat(e.backends()).isEmpty();
      assertThat(e.summary()).contains("does not know nowhere.shop");
    }
  }

  @Test
  void explainingAThousandTimesChangesNothing() {
    try (MeshHarness h = catalog()) {
      // an ejection whose time is up, which a pick (but no explanation) would end
      String bad = "10.0.0.3:8080";
      for (int i = 0; i < 100 && h.events.snapshot().stream().noneMatch(l -> l.startsWith("ejected")); i++) {
        Attempt a = h.attempt(canaryCall());
        a.settle(a.endpoint().authority().equals(bad) ? FAIL : OK);
      }
      Attempt held = h.attempt(canaryCall()); // one attempt in flight
      h.ticker.advance(Duration.ofSeconds(31));
      List<String> events = h.events.snapshot();
      long[] draws = draws(h);
      Explanation first = h.mesh.explain(canary());

      for (int i = 0; i < 1000; i++) {
        h.mesh.explain(canary());
        h.mesh.explain(ExplainRequest.grpc("catalog.shop", "shop.Catalog/GetItem", Map.of()));
        h.mesh.explain(ExplainRequest.http("catalog.shop", "GET", "/x", Map.of("x-canary", "no")));
      }

      assertThat(h.mesh.explain(canary())).isEqualTo(first);
      assertThat(draws(h)).containsExactly(draws);
      assertThat(h.events.snapshot()).isEqualTo(events);
      assertThat(first.backends().get(0).inFlight()).isEqualTo(1);
      // the round-robin cursor did not move: the next real pick is the one explained
      String next = first.backends().get(0).nextEndpoint();
      assertThat(h.attempt(canaryCall()).endpoint().authority()).isEqualTo(next);
      held.settle(OK);
    }
  }

  @Test
  void explainingLeavesTheBreakersWindowAlone() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("cart.shop", ep("10.0.2.1")),
          policy("cart.shop")
              .breaker(io.mesh4j.core.testing.Policies.breaker(50, 4, 4, Duration.ofSeconds(30), 1))
              .outliers(io.mesh4j.core.testing.Policies.noOutliers())
              .build());
      OutboundCall call = OutboundCall.builder("cart.shop").grpc("shop.Cart", "Get").build();
      ExplainRequest request = ExplainRequest.grpc("cart.shop", "shop.Cart/Get", Map.of());
      for (int i = 0; i < 3; i++) {
        h.attempt(call).settle(FAIL);
      }

      for (int i = 0; i < 1000; i++) {
        h.mesh.explain(request);
      }

      // three failures of four calls: the window opens the breaker at the fourth call, neither
      // earlier (an explanation counted as a failure) nor later (one counted as a success)
      assertThat(h.mesh.explain(request).backends().get(0).breaker()).isEqualTo(MeshListener.BreakerState.CLOSED);
      h.attempt(call).settle(OK);
      assertThat(h.mesh.explain(request).backends().get(0).breaker()).isEqualTo(MeshListener.BreakerState.OPEN);
    }
  }

  @Test
  void aRequestIsOneProtocolWithAWellFormedMethod() {
    assertThatThrownBy(() -> ExplainRequest.grpc("a.b", "NoSlash", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("package.Service/Method");
    assertThatThrownBy(() -> ExplainRequest.http("a.b", "GET", "x", Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ExplainRequest("a.b", "s", "m", "GET", "/", Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static ExplainRequest canary() {
    return ExplainRequest.grpc("catalog.shop", "shop.Catalog/GetItem", CANARY);
  }

  private static long[] draws(MeshHarness h) {
    MeshRandom.Purpose[] ps = MeshRandom.Purpose.values();
    long[] out = new long[ps.length];
    for (int i = 0; i < ps.length; i++) {
      out[i] = h.random.draws(ps[i]);
    }
    return out;
  }
}
