package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.policy;
import static io.mesh4j.core.testing.Policies.regex;
import static io.mesh4j.core.testing.Policies.http;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.policy.DestinationPolicy.LbPolicy;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.policy.TestPolicySets;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.testing.FakeTicker;
import io.mesh4j.core.testing.ManualConfigSource;
import io.mesh4j.core.testing.MeshHarness;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class MeshTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();

  @Test
  void aSetThatFailsToCompileIsRefusedAndThePreviousSnapshotStays() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(endpoints("catalog.shop", ep("10.0.0.1")));

      ApplyResult r =
          h.tryApply(
              endpoints("catalog.shop", ep("10.0.0.1")),
              route("catalog.shop", List.of(), rule().backend("v9", 1).build()));

      assertThat(r.applied()).isFalse();
      assertThat(r.problems())
          .extracting(Problem::message)
          .containsExactly(
              "TrafficRoute shop/catalog-shop: spec.rules[0].backends[0].subset: must name a subset"
                  + " defined in spec.subsets, got v9");
      assertThat(h.mesh.appliedVersion()).isEqualTo(1);
      assertThat(h.attempt(CALL).admitted()).isTrue();
      assertThat(h.events.snapshot()).anyMatch(l -> l.startsWith("refused 2"));
    }
  }

  @Test
  void invalidRegexAndMissingHashHeaderAreRefused() {
    try (MeshHarness h = new MeshHarness()) {
      ApplyResult r =
          h.tryApply(
              endpoints("catalog.shop", ep("10.0.0.1")),
              route("catalog.shop", List.of(), rule().match(http(null, regex("/items/(["))).build()),
              policy("catalog.shop").lb(LbPolicy.MAGLEV, null, false).build());
      assertThat(r.problems())
          .extracting(Problem::path)
          .containsExactlyInAnyOrder("spec.loadBalancer.hashHeader", "spec.rules[0].matches");
      assertThat(h.mesh.appliedVersion()).isZero();
    }
  }

  @Test
  void anOlderVersionIsRefused() {
    FakeTicker ticker = new FakeTicker();
    ManualConfigSource source = new ManualConfigSource();
    try (Mesh mesh = Mesh.builder().configSource(source).ticker(ticker).build()) {
      assertThat(source.push(TestPolicySets.of(5, endpoints("catalog.shop", ep("10.0.0.1")))).applied())
          .isTrue();
      ApplyResult old = source.push(TestPolicySets.of(4, endpoints("catalog.shop", ep("10.0.0.2"))));
      assertThat(old.applied()).isFalse();
      assertThat(old.problems().get(0).message())
          .isEqualTo("PolicySet: version: must not be older than the applied version 5, got 4");
      assertThat(mesh.outbound().plan(CALL).nextAttempt().endpoint().address())
          .isEqualTo("10.0.0.1");
    }
  }

  @Test
  void settingsAreTheDefaultsUntilAMeshConfigArrivesAndFollowIt() {
    try (MeshHarness h = new MeshHarness()) {
      assertThat(h.mesh.settings().mtls()).isEqualTo(MeshConfig.MtlsMode.PERMISSIVE);
      assertThat(h.mesh.settings().trustDomain()).isEqualTo("cluster.local");
      h.source.push(
          PolicySet.parse(
              """
              apiVersion: mesh4j.io/v1alpha1
              kind: MeshConfig
              metadata: {name: mesh}
              spec: {mtls: STRICT, trustDomain: example.org, tracing: {samplingPercent: 5}}
              """));
      assertThat(h.mesh.settings().mtls()).isEqualTo(MeshConfig.MtlsMode.STRICT);
      assertThat(h.mesh.settings().trustDomain()).isEqualTo("example.org");
      assertThat(h.mesh.settings().tracing().samplingPercent()).isEqualTo(5.0);
      assertThat(h.mesh.identity().current()).isNull();
    }
  }

  @Test
  void aListenerThatThrowsNeverBreaksACall() {
    AtomicInteger calls = new AtomicInteger();
    MeshListener throwing =
        new MeshListener() {
          @Override
          public void snapshotApplied(long version) {
            calls.incrementAndGet();
            throw new IllegalStateException("boom");
          }

          @Override
          public void callRefused(MeshFailure failure) {
            calls.incrementAndGet();
            throw new IllegalStateException("boom");
          }
        };
    ManualConfigSource source = new ManualConfigSource();
    MeshHarness.RecordingListener after = new MeshHarness.RecordingListener();
    try (Mesh mesh =
        Mesh.builder().configSource(source).ticker(new FakeTicker()).listener(throwing).listener(after).build()) {
      assertThat(source.push(TestPolicySets.of(1, endpoints("catalog.shop", ep("10.0.0.1")))).applied())
          .isTrue();
      var refused = mesh.outbound().plan(OutboundCall.builder("nope.shop").build()).nextAttempt();
      assertThat(refused.refusal().getMessage())
          .isEqualTo("mesh4j: unknown destination for nope.shop (not in policy version 1)");
      assertThat(mesh.outbound().plan(CALL).nextAttempt().admitted()).isTrue();
      assertThat(calls).hasValue(2);
      assertThat(after.snapshot()).contains("applied 1");
    }
  }

  @Test
  void meshExposesTheTickerItWasBuiltWith() {
    FakeTicker ticker = new FakeTicker();
    try (Mesh mesh = Mesh.builder().ticker(ticker).build();
        Mesh defaulted = Mesh.builder().build()) {
      assertThat(mesh.ticker()).isSameAs(ticker);
      assertThat(defaulted.ticker()).isSameAs(io.mesh4j.core.base.Ticker.system());
    }
  }

  @Test
  void knowsOnlyDestinationsOfTheCurrentPolicy() {
    ManualConfigSource source = new ManualConfigSource();
    try (Mesh mesh = Mesh.builder().configSource(source).ticker(new FakeTicker()).build()) {
      assertThat(mesh.outbound().plan(OutboundCall.builder("catalog.shop").build()).known())
          .isFalse();
      source.push(TestPolicySets.of(1, endpoints("catalog.shop", ep("10.0.0.1"))));
      assertThat(mesh.outbound().plan(OutboundCall.builder("catalog.shop").build()).known())
          .isTrue();
      assertThat(mesh.outbound().plan(OutboundCall.builder("example.com").build()).known())
          .isFalse();
    }
  }

  @Test
  void closeStopsTheSourceAndForgetsDestinations() {
    ManualConfigSource source = new ManualConfigSource();
    Mesh mesh = Mesh.builder().configSource(source).ticker(new FakeTicker()).build();
    source.push(TestPolicySets.of(1, endpoints("catalog.shop", ep("10.0.0.1"))));
    mesh.close();
    mesh.close();
    assertThat(source.closed()).isTrue();
    assertThat(mesh.outbound().plan(CALL).nextAttempt().refusal().reason())
        .isEqualTo(MeshFailure.Reason.UNKNOWN_DESTINATION);
  }

  @Test
  void policyReadFromYamlRoutesCallsEndToEnd() {
    String yaml =
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
          rules:
            - name: canary-header
              matches: [{headers: [{name: x-canary, exact: "true"}]}]
              backends: [{subset: v2}]
            - name: default
              timeout: 2s
              retries: {attempts: 3, perTryTimeout: 500ms, retryOn: [UNAVAILABLE, connect-failure]}
              backends: [{subset: v1, weight: 80}, {subset: v2, weight: 20}]
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog
          endpoints:
            - {address: 127.0.0.1, port: 9101, labels: {version: v1}}
            - {address: 127.0.0.1, port: 9103, labels: {version: v2}}
        """;
    try (Mesh mesh =
        Mesh.builder()
            .configSource(io.mesh4j.core.source.StaticConfigSource.parse(yaml))
            .ticker(new FakeTicker())
            .build()) {
      var canary =
          mesh.outbound()
              .plan(OutboundCall.builder("catalog.shop").http("GET", "/items").header("X-Canary", "true").build());
      assertThat(canary.rule()).isEqualTo("canary-header");
      assertThat(canary.nextAttempt().endpoint().port()).isEqualTo(9103);

      var normal = mesh.outbound().plan(OutboundCall.builder("catalog.shop").http("GET", "/items").build());
      assertThat(normal.rule()).isEqualTo("default");
      assertThat(normal.remainingNanos()).isEqualTo(2_000_000_000L);
      var first = normal.nextAttempt();
      assertThat(first.timeoutNanos()).isEqualTo(500_000_000L);
      assertThat(first.endpoint().labels()).containsEntry("version", normal.subset());
    }
  }

  @Test
  void destinationWithoutEndpointsIsRefusedWithNoEndpoints() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(policy("catalog.shop").build());
      var a = h.attempt(CALL);
      assertThat(a.refusal().getMessage()).isEqualTo("mesh4j: no endpoints for catalog.shop");
    }
  }
}
