package io.mesh4j.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.testing.MeshHarness;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile values against route matching at call time. Each case states its exact outcome: which
 * rule routes the call.
 *
 * <p>The {@code assertTimeoutPreemptively} bounds are deliberately generous (a few seconds on a
 * shared machine): they are not performance assertions. With the backtracking engine the routes
 * used before, these inputs did not finish at all in practice ({@code ((a+)+)+x} against 28
 * {@code a}s took over 20 s, {@code (a+)+$} against 50 KB took 12 to 15 s, and the time doubles
 * with every added character); a linear engine answers in milliseconds.
 */
@Timeout(30)
class MatchingAttackTest {

  private static final String ROUTES =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: catalog, namespace: shop}
      spec:
        service: catalog
        endpoints: [{address: 10.0.0.1, port: 8080}]
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: catalog, namespace: shop}
      spec:
        destination: catalog
        rules:
          - {name: nested, matches: [{headers: [{name: x-nested, regex: "((a+)+)+x"}]}], backends: [{}]}
          - {name: anchored, matches: [{headers: [{name: x-anchored, regex: "(a+)+$"}]}], backends: [{}]}
          - {name: alternation, matches: [{headers: [{name: x-alt, regex: "(a|aa)+b"}]}], backends: [{}]}
          - {name: path-regex, matches: [{path: {regex: "/(a+)+/items"}}], backends: [{}]}
          - {name: prefix, matches: [{headers: [{name: x-tenant, prefix: "aaaa"}]}], backends: [{}]}
          - {name: exact, matches: [{headers: [{name: x-exact, exact: "EXACT"}]}], backends: [{}]}
          - {name: version, matches: [{headers: [{name: x-version, regex: "v[0-9]+"}]}], backends: [{}]}
          - {name: grpc-name, matches: [{grpc: {service: shop.Catalog}, headers: [{name: x-name, regex: "(x+x+)+y"}]}], backends: [{}]}
          - {name: fallback, backends: [{}]}
      """;

  private static final Duration BOUND = Duration.ofSeconds(5);

  private MeshHarness h;

  @BeforeEach
  void setUp() {
    h = new MeshHarness();
    h.apply(PolicySet.parse(ROUTES).resources().toArray(new io.mesh4j.core.policy.MeshResource[0]));
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  private static OutboundCall.Builder call() {
    return OutboundCall.builder("catalog.shop");
  }

  private String ruleOf(OutboundCall call) {
    return assertTimeoutPreemptively(BOUND, () -> h.plan(call).rule());
  }

  @Test
  void nestedQuantifiersAgainstTwentyEightAsAndABang() {
    String value = "a".repeat(28) + "!";
    assertThat(ruleOf(call().header("x-nested", value).build())).isEqualTo("fallback");
  }

  @Test
  void anchoredNestedQuantifierAgainstFiftyKilobytesWhenTheCapAllowsIt() {
    h.apply(withSettings("maxRegexInputBytes: 65536"));
    String value = "a".repeat(50 * 1024) + "b";
    assertThat(ruleOf(call().header("x-anchored", value).build())).isEqualTo("fallback");
  }

  @Test
  void anchoredNestedQuantifierAgainstSixtyFourKilobytesWhenTheCapAllowsIt() {
    h.apply(withSettings("maxRegexInputBytes: 1048576"));
    String value = "a".repeat(64 * 1024) + "b";
    assertThat(ruleOf(call().header("x-anchored", value).build())).isEqualTo("fallback");
  }

  @Test
  void aLongHostileValueOverTheDefaultCapIsNotTestedAtAll() {
    String value = "a".repeat(64 * 1024) + "b";
    assertThat(ruleOf(call().header("x-anchored", value).build())).isEqualTo("fallback");
  }

  @Test
  void aValueOverTheCapNeverMatchesARegexEvenWhenItWouldFullyMatch() {
    String justOver = "a".repeat(8192 + 1);
    String atCap = "a".repeat(8192);
    assertThat(ruleOf(call().header("x-anchored", justOver).build())).isEqualTo("fallback");
    assertThat(ruleOf(call().header("x-anchored", atCap).build())).isEqualTo("anchored");
  }

  @Test
  void exactAndPrefixMatchesIgnoreTheCap() {
    String longPrefixed = "a".repeat(64 * 1024);
    assertThat(ruleOf(call().header("x-tenant", longPrefixed).build())).isEqualTo("prefix");
    h.apply(withSettings("maxRegexInputBytes: 0"));
    assertThat(ruleOf(call().header("x-exact", "EXACT").build())).isEqualTo("exact");
    assertThat(ruleOf(call().header("x-version", "v1").build())).isEqualTo("fallback");
  }

  @Test
  void overlappingAlternationAgainstALongRunWithoutTheB() {
    String value = "a".repeat(8000) + "c";
    assertThat(ruleOf(call().header("x-alt", value).build())).isEqualTo("fallback");
    assertThat(ruleOf(call().header("x-alt", "aaab").build())).isEqualTo("alternation");
  }

  @Test
  void hostilePathAgainstAPathRegex() {
    String path = "/" + "a".repeat(8000) + "/item";
    assertThat(ruleOf(call().http("GET", path).build())).isEqualTo("fallback");
    assertThat(ruleOf(call().http("GET", "/aaa/items").build())).isEqualTo("path-regex");
  }

  @Test
  void aRegexMatchesTheWholeValueNotASubstring() {
    assertThat(ruleOf(call().header("x-version", "v12").build())).isEqualTo("version");
    assertThat(ruleOf(call().header("x-version", "xv12").build())).isEqualTo("fallback");
    assertThat(ruleOf(call().header("x-version", "v12-beta").build())).isEqualTo("fallback");
    assertThat(ruleOf(call().header("x-version", "v12\n").build())).isEqualTo("fallback");
  }

  @Test
  void hostileGrpcMetadataAgainstARegexOnAGrpcRule() {
    String value = "x".repeat(8000);
    OutboundCall grpc = call().grpc("shop.Catalog", "GetItem").header("x-name", value).build();
    assertThat(ruleOf(grpc)).isEqualTo("fallback");
  }

  @Test
  void manyHostileHeadersOnOneCallStillRouteToTheFallback() {
    String value = "a".repeat(8000) + "!";
    OutboundCall call =
        call()
            .header("x-nested", value)
            .header("x-anchored", value)
            .header("x-alt", value)
            .header("x-version", value)
            .build();
    assertThat(ruleOf(call)).isEqualTo("fallback");
  }

  private static io.mesh4j.core.policy.MeshResource[] withSettings(String settings) {
    String yaml =
        ROUTES
            + """
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata: {name: mesh}
            spec: {SETTINGS}
            """
                .replace("SETTINGS", settings);
    return PolicySet.parse(yaml).resources().toArray(new io.mesh4j.core.policy.MeshResource[0]);
  }
}
