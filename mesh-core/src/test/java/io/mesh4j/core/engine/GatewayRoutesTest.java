package io.mesh4j.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.PolicyResult;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.PolicyWriter;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.testing.MeshHarness;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Gateway API routes (GAMMA) read from YAML and routed by the engine. */
@Timeout(30)
class GatewayRoutesTest {

  private static final String ENDPOINTS =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: echo, namespace: shop}
      spec: {service: echo, endpoints: [{address: 10.0.0.1, port: 80}]}
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: echo-v1, namespace: shop}
      spec: {service: echo-v1, endpoints: [{address: 10.0.1.1, port: 80}]}
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: echo-v2, namespace: shop}
      spec: {service: echo-v2, endpoints: [{address: 10.0.2.1, port: 80}]}
      """;

  private static OutboundCall http(String method, String path, String... headers) {
    OutboundCall.Builder b = OutboundCall.builder("echo.shop").http(method, path);
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b.build();
  }

  private static String backendOf(MeshHarness h, OutboundCall call) {
    CallPlan plan = h.plan(call);
    Attempt a = plan.nextAttempt();
    assertThat(a.admitted()).as("admitted: %s", a.admitted() ? "" : a.refusal().getMessage()).isTrue();
    a.settle(Outcome.success());
    return a.endpoint().address();
  }

  private static MeshHarness mesh(String routes) {
    MeshHarness h = new MeshHarness();
    PolicySet set = PolicySet.parse(ENDPOINTS + "---\n" + routes);
    h.apply(set.resources().toArray(new io.mesh4j.core.policy.MeshResource[0]));
    return h;
  }

  @Test
  void httpRouteSplitsTheParentsTrafficByWeightAcrossBackendServices() {
    try (MeshHarness h =
        mesh(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: echo-split, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo}]
              rules:
                - backendRefs:
                    - {name: echo-v1, port: 80, weight: 70}
                    - {name: echo-v2, port: 80, weight: 30}
            """)) {
      Map<String, Integer> hits = new HashMap<>();
      int n = 10_000;
      for (int i = 0; i < n; i++) {
        hits.merge(backendOf(h, http("GET", "/")), 1, Integer::sum);
      }
      assertThat(hits.keySet()).containsExactlyInAnyOrder("10.0.1.1", "10.0.2.1");
      assertThat(hits.get("10.0.1.1") / (double) n).isCloseTo(0.70, within(0.02));
    }
  }

  @Test
  void mostSpecificMatchWinsAcrossRoutesOfOneService() {
    try (MeshHarness h =
        mesh(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: a-catch-all, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo}]
              rules:
                - backendRefs: [{name: echo, port: 80}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: b-specific, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo}]
              rules:
                - matches: [{path: {type: PathPrefix, value: /v2/}}]
                  backendRefs: [{name: echo-v2, port: 80}]
                - matches:
                    - path: {type: Exact, value: /v2/one}
                    - headers: [{name: version, value: one}]
                  backendRefs: [{name: echo-v1, port: 80}]
            """)) {
      // The catch-all is read first, yet the prefix and the exact path outrank it.
      assertThat(backendOf(h, http("GET", "/v2"))).isEqualTo("10.0.2.1");
      assertThat(backendOf(h, http("GET", "/v2/two"))).isEqualTo("10.0.2.1");
      assertThat(backendOf(h, http("GET", "/v2/one"))).isEqualTo("10.0.1.1");
      assertThat(backendOf(h, http("GET", "/other", "version", "one"))).isEqualTo("10.0.1.1");
      // Whole path elements only: /v2x is not under /v2.
      assertThat(backendOf(h, http("GET", "/v2x"))).isEqualTo("10.0.0.1");
    }
  }

  @Test
  void aMatchWithoutPathIsPathPrefixSlashSoItsHeaderConditionOutranksABarePrefixSlash() {
    try (MeshHarness h =
        mesh(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: matching, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo}]
              rules:
                - matches: [{path: {type: PathPrefix, value: /}}]
                  backendRefs: [{name: echo-v1, port: 80}]
                - matches: [{headers: [{name: version, value: two}]}]
                  backendRefs: [{name: echo-v2, port: 80}]
            """)) {
      assertThat(backendOf(h, http("GET", "/"))).isEqualTo("10.0.1.1");
      assertThat(backendOf(h, http("GET", "/", "version", "two"))).isEqualTo("10.0.2.1");
    }
  }

  @Test
  void aCallNoRuleMatchesFailsAs404OnTheRoutesPortAndReachesTheServiceOnAnother() {
    try (MeshHarness h =
        mesh(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: only-v2, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo, port: 80}]
              rules:
                - matches: [{path: {type: PathPrefix, value: /v2}}]
                  backendRefs: [{name: echo-v2, port: 80}]
            """)) {
      assertThat(backendOf(h, http("GET", "/v2/x"))).isEqualTo("10.0.2.1");
      Attempt refused = h.plan(OutboundCall.builder("echo.shop").http("GET", "/other").port(80).build()).nextAttempt();
      assertThat(refused.admitted()).isFalse();
      assertThat(refused.refusal().reason()).isEqualTo(MeshFailure.Reason.NO_ROUTE);
      assertThat(refused.refusal().httpStatus()).isEqualTo(404);
      assertThat(refused.refusal().getMessage())
          .isEqualTo("mesh4j: no matching route rule for echo.shop"
              + " (no rule of the Gateway API routes attached to it matches the call)");
      // No route attaches to port 8080: the call goes to the Service itself.
      assertThat(backendOf(h, OutboundCall.builder("echo.shop").http("GET", "/other").port(8080).build()))
          .isEqualTo("10.0.0.1");
    }
  }

  private static final String CROSS_NAMESPACE =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: echo, namespace: payments}
      spec: {service: echo.payments, endpoints: [{address: 10.0.9.1, port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: to-payments, namespace: shop}
      spec:
        parentRefs: [{kind: Service, name: echo}]
        rules:
          - backendRefs: [{name: echo, namespace: payments, port: 80}]
      """;

  @Test
  void aBackendInAnotherNamespaceGetsNoCallsUntilAReferenceGrantThereAllowsIt() {
    try (MeshHarness h = mesh(CROSS_NAMESPACE)) {
      Attempt refused = h.plan(http("GET", "/")).nextAttempt();
      assertThat(refused.admitted()).isFalse();
      assertThat(refused.refusal().reason()).isEqualTo(MeshFailure.Reason.NO_ENDPOINTS);
      assertThat(refused.refusal().getMessage()).contains(
          "echo.payments, not permitted (spec.rules[0].backendRefs[0]: Service payments/echo is in another namespace,"
              + " and no ReferenceGrant there permits references from HTTPRoutes in shop)");
    }
    String grant =
        """
        ---
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {name: from-shop, namespace: payments}
        spec:
          from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
          to: [{group: "", kind: Service, name: echo}]
        """;
    try (MeshHarness h = mesh(CROSS_NAMESPACE + grant)) {
      assertThat(backendOf(h, http("GET", "/"))).isEqualTo("10.0.9.1");
    }
    // A grant for GRPCRoutes, or from another namespace, does not do.
    try (MeshHarness h = mesh(CROSS_NAMESPACE + grant.replace("kind: HTTPRoute", "kind: GRPCRoute"))) {
      assertThat(h.plan(http("GET", "/")).nextAttempt().admitted()).isFalse();
    }
    try (MeshHarness h = mesh(CROSS_NAMESPACE + grant.replace("namespace: shop}", "namespace: other}"))) {
      assertThat(h.plan(http("GET", "/")).nextAttempt().admitted()).isFalse();
    }
  }

  @Test
  void queryParameterConditionsMatchTheFirstValueAndOutrankFewerConditions() {
    try (MeshHarness h =
        mesh(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: echo, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo}]
              rules:
                - matches: [{queryParams: [{name: animal, value: whale}]}]
                  backendRefs: [{name: echo-v1, port: 80}]
                - matches: [{queryParams: [{name: animal, value: whale}, {type: RegularExpression, name: color, value: "bl.*"}]}]
                  backendRefs: [{name: echo-v2, port: 80}]
                - backendRefs: [{name: echo, port: 80}]
            """)) {
      OutboundCall.Builder whale = OutboundCall.builder("echo.shop").http("GET", "/").queryParameter("animal", "whale");
      assertThat(backendOf(h, whale.build())).isEqualTo("10.0.1.1");
      assertThat(backendOf(h, OutboundCall.builder("echo.shop").http("GET", "/").queryParameter("animal", "whale")
          .queryParameter("color", "blue").build())).isEqualTo("10.0.2.1");
      assertThat(backendOf(h, OutboundCall.builder("echo.shop").http("GET", "/").queryParameter("Animal", "whale").build()))
          .isEqualTo("10.0.0.1");
    }
  }

  @Test
  void grpcRouteMatchesServiceAndMethodAndRoutesToBackendServices() {
    try (MeshHarness h =
        mesh(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: echo, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo}]
              rules:
                - matches: [{method: {type: RegularExpression, service: 'shop\\..*', method: "Get.*"}}]
                  backendRefs: [{name: echo, port: 80}]
                - matches: [{method: {service: shop.Echo, method: GetSlow}}]
                  backendRefs: [{name: echo-v2, port: 80}]
                - backendRefs: [{name: echo-v1, port: 80}]
            """)) {
      // The exact match outranks the expression written before it.
      assertThat(backendOf(h, OutboundCall.builder("echo.shop").grpc("shop.Echo", "GetSlow").build())).isEqualTo("10.0.2.1");
      assertThat(backendOf(h, OutboundCall.builder("echo.shop").grpc("shop.Echo", "GetFast").build())).isEqualTo("10.0.0.1");
      assertThat(backendOf(h, OutboundCall.builder("echo.shop").grpc("shop.Echo", "Fast").build())).isEqualTo("10.0.1.1");
      assertThat(backendOf(h, OutboundCall.builder("echo.shop").grpc("other.Echo", "GetFast").build())).isEqualTo("10.0.1.1");
    }
  }

  @Test
  void aDestinationPolicyAttachedByTargetRefGuardsTheBackendService() {
    try (MeshHarness h =
        mesh(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: ServiceEndpoints
            metadata: {name: echo-v3, namespace: shop}
            spec: {service: echo-v3, endpoints: [{address: 10.0.3.1, port: 80}, {address: 10.0.3.2, port: 80}]}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: echo-v3, namespace: shop}
            spec:
              targetRef: {group: "", kind: Service, name: echo-v3}
              loadBalancer: {policy: ROUND_ROBIN}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: echo, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo}]
              rules: [{backendRefs: [{name: echo-v3, port: 80}]}]
            """)) {
      // Round robin, the attached policy's balancer: strictly alternating.
      String first = backendOf(h, http("GET", "/"));
      for (int i = 1; i < 10; i++) {
        assertThat(backendOf(h, http("GET", "/"))).isNotEqualTo(first);
        assertThat(backendOf(h, http("GET", "/"))).isEqualTo(first);
      }
    }
  }

  @Test
  void timeoutsBecomeTheCallsAndEachAttemptsDeadline() {
    try (MeshHarness h =
        mesh(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: echo, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo}]
              rules:
                - matches: [{path: {type: Exact, value: /bounded}}]
                  timeouts: {request: 2s, backendRequest: 500ms}
                  backendRefs: [{name: echo, port: 80}]
                - backendRefs: [{name: echo, port: 80}]
            """)) {
      CallPlan bounded = h.plan(http("GET", "/bounded"));
      assertThat(bounded.remainingNanos()).isEqualTo(java.time.Duration.ofSeconds(2).toNanos());
      Attempt a = bounded.nextAttempt();
      assertThat(a.timeoutNanos()).isEqualTo(java.time.Duration.ofMillis(500).toNanos());
      a.settle(Outcome.success());
      // Without timeouts, the mesh's default for unary calls applies.
      assertThat(h.plan(http("GET", "/other")).remainingNanos()).isEqualTo(java.time.Duration.ofSeconds(15).toNanos());
    }
    // The specification's "0s means none" is refused, with its path: leave the field out instead.
    assertThat(PolicyResult.parse(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: echo, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo}]
              rules: [{timeouts: {request: 0s}}]
            """).problems())
        .extracting(Problem::path)
        .containsExactly("spec.rules[0].timeouts.request");
  }

  @Test
  void aRuleWithoutBackendsFailsItsCalls() {
    try (MeshHarness h =
        mesh(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: echo, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo}]
              rules:
                - matches: [{path: {type: Exact, value: /gone}}]
            """)) {
      Attempt a = h.plan(http("GET", "/gone")).nextAttempt();
      assertThat(a.admitted()).isFalse();
      assertThat(a.refusal().reason()).isEqualTo(MeshFailure.Reason.NO_ENDPOINTS);
    }
  }

  @Test
  void whatMesh4jDoesNotImplementIsRefusedWithItsPath() {
    PolicyResult result =
        PolicyResult.parse(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: echo, namespace: shop}
            spec:
              parentRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: edge}]
              rules:
                - matches: [{path: {type: RegularExpression, value: "(a"}, method: FETCH}]
                  filters: [{type: RequestHeaderModifier}]
                  backendRefs: [{kind: ServiceImport, name: echo-v1}]
                  timeouts: {request: 1s, backendRequest: 2s}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: echo, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo, sectionName: grpc}]
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: HTTPRoute
            metadata: {name: versioned, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo}]
            """);
    assertThat(result.problems())
        .extracting(Problem::resource, Problem::path)
        .containsExactlyInAnyOrder(
            tuple("HTTPRoute shop/echo", "spec.parentRefs[0].group"),
            tuple("HTTPRoute shop/echo", "spec.parentRefs[0].kind"),
            tuple("HTTPRoute shop/echo", "spec.rules[0].matches[0].path.value"),
            tuple("HTTPRoute shop/echo", "spec.rules[0].matches[0].method"),
            tuple("HTTPRoute shop/echo", "spec.rules[0].filters[0].requestHeaderModifier"),
            tuple("HTTPRoute shop/echo", "spec.rules[0].backendRefs[0].kind"),
            tuple("HTTPRoute shop/echo", "spec.rules[0].timeouts.backendRequest"),
            tuple("GRPCRoute shop/echo", "spec.parentRefs[0].sectionName"),
            tuple("HTTPRoute shop/versioned", "apiVersion"));
  }

  @Test
  void listsAreBoundedAsGatewayApiBoundsThemSoOneRouteCannotMultiplyIntoMillionsOfRules() {
    StringBuilder parents = new StringBuilder();
    for (int i = 0; i < 33; i++) {
      parents.append("{kind: Service, name: s").append(i).append("}, ");
    }
    StringBuilder matches = new StringBuilder();
    for (int i = 0; i < 65; i++) {
      matches.append("{path: {type: Exact, value: /").append(i).append("}}, ");
    }
    PolicyResult result =
        PolicyResult.parse(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: echo, namespace: shop}
            spec:
              parentRefs: [%s]
              rules: [{matches: [%s]}]
            """.formatted(parents, matches));
    assertThat(result.problems())
        .extracting(Problem::path, Problem::expected)
        .containsExactly(
            tuple("spec.parentRefs", "must have at most 32 items, as in Gateway API"),
            tuple("spec.rules[0].matches", "must have at most 64 items, as in Gateway API"));
  }

  @Test
  void aServiceIsRoutedByATrafficRouteOrByGatewayRoutesNotBoth() {
    PolicyResult result =
        PolicyResult.parse(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: echo, namespace: shop}
            spec:
              destination: echo
              rules: [{}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: echo, namespace: shop}
            spec:
              parentRefs: [{kind: Service, name: echo}]
            """);
    assertThat(result.problems())
        .extracting(Problem::resource, Problem::path, Problem::actual)
        .containsExactly(tuple("HTTPRoute shop/echo", "spec.parentRefs[0]", "echo.shop"));
  }

  @Test
  void routesTravelAsCanonicalYamlAndReadBackEqual() {
    String yaml =
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: echo, namespace: shop}
        spec:
          parentRefs: [{kind: Service, name: echo}]
          rules:
            - matches: [{path: {type: Exact, value: /a}, headers: [{name: x, value: y}]}]
              backendRefs: [{name: echo-v1, port: 80, weight: 3}]
              timeouts: {request: 2s}
        """;
    PolicySet set = PolicySet.parse(yaml);
    String canonical = PolicyWriter.toYaml(set.resources().get(0));
    assertThat(canonical).startsWith("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n");
    assertThat(PolicySet.parse(canonical).resources()).isEqualTo(set.resources());
  }
}
