package io.mesh4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.core.policy.DestinationPolicy.LbPolicy;
import io.mesh4j.core.policy.MeshConfig.MtlsMode;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicySetTest {

  static Path resource(String name) {
    try {
      return Path.of(PolicySetTest.class.getResource("/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void destinationPolicyDefaultsAreWhatAPolicyNamingOnlyItsDestinationGets() {
    PolicySet set =
        PolicySet.parse(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec: {destination: catalog}
            """);
    DestinationPolicy.Spec bound = set.destinationPolicies().get(0).spec();
    DestinationPolicy.Spec defaults = DestinationPolicy.defaults();

    assertThat(defaults.loadBalancer()).isEqualTo(bound.loadBalancer());
    assertThat(defaults.outlierDetection()).isEqualTo(bound.outlierDetection());
    assertThat(defaults.retryBudget()).isEqualTo(bound.retryBudget());
    assertThat(defaults.circuitBreaker()).isNull();
    assertThat(defaults.loadBalancer().policy()).isEqualTo(LbPolicy.PEAK_EWMA);
  }

  @Test
  void fullExampleParsesWithDefaultsFilledIn() {
    PolicyResult result = PolicyResult.load(resource("valid/full-example.yaml"));
    assertThat(result.problems()).isEmpty();
    PolicySet set = result.orElseThrow();

    assertThat(set.resources())
        .extracting(MeshResource::ref)
        .containsExactly(
            "MeshConfig mesh4j-system/mesh",
            "TrafficRoute shop/catalog",
            "DestinationPolicy shop/catalog",
            "AuthorizationPolicy shop/catalog-callers",
            "ServiceEndpoints shop/catalog");

    MeshConfig.Spec mesh = set.meshConfig().orElseThrow().spec();
    assertThat(mesh.mtls()).isEqualTo(MtlsMode.STRICT);
    assertThat(mesh.trustDomain()).isEqualTo("cluster.local");
    assertThat(mesh.certificateLifetime()).isEqualTo(Duration.ofHours(24));
    assertThat(mesh.tracing().samplingPercent()).isEqualTo(5.0);
    assertThat(mesh.accessLog()).isEqualTo(new MeshConfig.AccessLog(false, 100.0));

    TrafficRoute route = set.routes().get(0);
    assertThat(route.metadata().labels()).containsExactly(Map.entry("team", "storefront"));
    assertThat(route.spec().destination()).isEqualTo("catalog.shop");
    List<TrafficRoute.Rule> rules = route.spec().rules();
    assertThat(rules.get(0).matches().get(0).headers().get(0).exact()).isEqualTo("true");
    assertThat(rules.get(0).backends()).containsExactly(new TrafficRoute.Backend(null, "v2", 1, null));
    TrafficRoute.Retry retry = rules.get(1).retries();
    assertThat(retry.attempts()).isEqualTo(3);
    assertThat(retry.perTryTimeout()).isEqualTo(Duration.ofMillis(300));
    assertThat(retry.retryOn()).as("absent stays absent, so that it follows perTryTimeout").isNull();
    assertThat(retry.effectiveRetryOn())
        .as("a per-try timeout is set to have slow attempts retried")
        .containsExactly("connect-failure", "UNAVAILABLE", "503", "per-try-timeout");
    assertThat(retry.backoff())
        .isEqualTo(new TrafficRoute.Backoff(Duration.ofMillis(25), Duration.ofMillis(250)));
    assertThat(retry.retryNonIdempotent()).isFalse();
    assertThat(rules.get(1).mirror()).isEqualTo(new TrafficRoute.Mirror(null, "v2", 5.0));
    assertThat(rules.get(2).fault().abort())
        .isEqualTo(new TrafficRoute.Abort(0.5, "UNAVAILABLE", 503));

    DestinationPolicy.Spec policy = set.destinationPolicies().get(0).spec();
    assertThat(policy.destination()).isEqualTo("catalog.shop");
    assertThat(policy.loadBalancer()).isEqualTo(new DestinationPolicy.LoadBalancer(LbPolicy.PEAK_EWMA, null, true, Duration.ofSeconds(10), 50.0));
    assertThat(policy.circuitBreaker())
        .isEqualTo(
            new DestinationPolicy.CircuitBreaker(
                25.0, 100.0, Duration.ofSeconds(60), 20, DestinationPolicy.SlidingWindowType.COUNT, 100,
                Duration.ofSeconds(30), 5, null));
    assertThat(policy.outlierDetection())
        .isEqualTo(
            new DestinationPolicy.OutlierDetection(
                5, null, 20, Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(300), 10.0, true));
    assertThat(policy.rateLimit()).isEqualTo(new DestinationPolicy.RateLimit(200.0, null));
    assertThat(policy.serverRateLimit()).isNull();
    assertThat(policy.retryBudget()).isEqualTo(new DestinationPolicy.RetryBudget(20.0, 10, Duration.ofSeconds(10)));

    AuthorizationPolicy.Spec authz = set.authorizationPolicies().get(0).spec();
    assertThat(authz.service()).isEqualTo("catalog.shop");
    assertThat(authz.action()).isEqualTo(AuthorizationPolicy.Action.ALLOW);

    List<ServiceEndpoints.Endpoint> endpoints = set.endpoints().get(0).spec().endpoints();
    assertThat(endpoints).extracting(ServiceEndpoints.Endpoint::weight).containsExactly(1, 1);
    assertThat(endpoints).extracting(ServiceEndpoints.Endpoint::grpcPort).containsExactly(null, 7070);
    assertThat(set.endpoints().get(0).spec().service()).isEqualTo("catalog.shop");
  }

  @Test
  void multiDocumentStringYieldsEveryResourceInOrder() {
    PolicySet set =
        PolicySet.parse(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: a}
            spec: {destination: a, rules: [{backends: [{}]}]}
            ---
            ---
            # an empty document above and a comment-only one below are skipped
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: b, namespace: other}
            spec: {destination: b.elsewhere, rules: [{backends: [{weight: 3}]}]}
            """);
    assertThat(set.routes()).extracting(r -> r.spec().destination()).containsExactly("a.default", "b.elsewhere");
    assertThat(set.routes().get(1).spec().rules().get(0).backends()).containsExactly(new TrafficRoute.Backend(null, null, 3, null));
    assertThat(set.version()).isZero();
  }

  @Test
  void directoryIsReadInFileNameOrderSkippingOtherFiles() {
    PolicySet set = PolicyResult.load(resource("valid/directory")).orElseThrow();
    assertThat(set.resources())
        .extracting(MeshResource::ref)
        .containsExactly(
            "MeshConfig default/mesh",
            "TrafficRoute shop/payments",
            "TrafficRoute shop/catalog",
            "DestinationPolicy shop/payments");
    assertThat(set.destinationPolicies().get(0).spec().loadBalancer().policy()).isEqualTo(LbPolicy.ROUND_ROBIN);
  }

  @Test
  void codeBuiltRecordsGetTheSameDefaultsAsYaml() {
    TrafficRoute built =
        new TrafficRoute(
            Metadata.of("shop", "catalog"),
            new TrafficRoute.Spec(
                "catalog",
                null,
                List.of(
                    new TrafficRoute.Rule(
                        null,
                        null,
                        List.of(new TrafficRoute.Backend(null, null, null, null)),
                        Duration.ofMillis(1500),
                        new TrafficRoute.Retry(2, null, null, null, null, null),
                        null,
                        null,
                        null,
                        null,
                        null,
                        null,
                        null))));
    PolicySet fromCode = PolicySet.of(built, new MeshConfig(new Metadata("mesh", null, null, null), null));
    PolicySet fromYaml =
        PolicySet.parse(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog
              rules:
                - backends: [{}]
                  timeout: 1s500ms
                  retries: {attempts: 2}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata: {name: mesh}
            """);
    assertThat(fromCode.resources()).isEqualTo(fromYaml.resources());
    assertThat(fromCode.meshConfig().orElseThrow().metadata().namespace()).isEqualTo("default");
  }

  @Test
  void codeBuiltRecordsAreValidatedLikeYaml() {
    TrafficRoute bad =
        new TrafficRoute(
            Metadata.of("shop", "catalog"),
            new TrafficRoute.Spec(
                "Catalog",
                null,
                List.of(new TrafficRoute.Rule(null, null, List.of(new TrafficRoute.Backend(null, "v9", -1, null)), null, null, null, null, null, null, null, null, null))));
    assertThatThrownBy(() -> PolicySet.of(bad, null))
        .isInstanceOfSatisfying(
            InvalidPolicyException.class,
            e ->
                assertThat(e.problems())
                    .extracting(Problem::message)
                    .containsExactly(
                        "TrafficRoute shop/catalog: spec.destination: " + Binder.SERVICE_NAME_EXPECTED + ", got Catalog",
                        "TrafficRoute shop/catalog: spec.rules[0].backends[0].weight: must be >= 0, got -1",
                        "resources[1]: must not be null"))
        .hasMessageContaining("invalid mesh4j policy (3 problems):\n  - TrafficRoute shop/catalog: spec.destination");
  }

  @Test
  void versionIsReplacedWithoutTouchingResources() {
    PolicySet set = PolicySet.parse("apiVersion: mesh4j.io/v1alpha1\nkind: MeshConfig\nmetadata: {name: m}\n");
    PolicySet later = set.withVersion(7);
    assertThat(later.version()).isEqualTo(7);
    assertThat(later.resources()).isEqualTo(set.resources());
  }

  @Test
  void emptyInputIsTheEmptySet() {
    assertThat(PolicySet.parse("# nothing here\n").resources()).isEmpty();
    assertThat(PolicySet.EMPTY.resources()).isEmpty();
  }
}
