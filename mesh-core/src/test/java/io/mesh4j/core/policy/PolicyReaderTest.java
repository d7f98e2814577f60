package io.mesh4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyReaderTest {

  @Test
  void badResourceDoesNotHideItsCleanNeighbours() {
    ReadResult result =
        PolicyReader.read(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata: {name: mesh}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata: {name: broken}
            spec: {mtls: SOMETIMES}
            """);
    assertThat(result.resources()).extracting(MeshResource::ref).containsExactly("MeshConfig default/mesh");
    assertThat(result.problems())
        .extracting(Problem::message)
        .containsExactly(
            "MeshConfig default/broken: spec.mtls: must be one of STRICT, PERMISSIVE, DISABLED, got SOMETIMES");
    assertThat(result.isClean()).isFalse();
  }

  @Test
  void resourceWithAnOutOfBoundsValueIsRefusedEvenThoughItsSemanticChecksRun() {
    String yaml =
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - matches: [{path: {regex: "("}}]
              backends: [{weight: -5}]
            - backends: [{}]
        """;
    assertThat(PolicyReader.read(yaml).resources()).isEmpty();
    PolicyResult result = PolicyResult.parse(yaml);
    assertThat(result.isValid()).isFalse();
    assertThat(result.problems())
        .extracting(Problem::path)
        .containsExactly("spec.rules[0].backends[0].weight", "spec.rules[0].matches[0].path.regex");
  }

  @Test
  void malformedYamlNamesTheDocumentAndPosition() {
    ReadResult result = PolicyReader.read("kind: MeshConfig\n---\nkind: [MeshConfig\n");
    assertThat(result.problems())
        .extracting(Problem::message)
        .containsExactly(
            "input (document 1): apiVersion: must be mesh4j.io/v1alpha1",
            "input (document 1): metadata: is required",
            "input (document 2): malformed YAML at line 4, column 1: expected ',' or ']', but got <stream end>"
                + " (while parsing a flow sequence that starts at line 3, column 7)");
  }

  @Test
  void kubernetesManagedMetadataAndStatusAreIgnored() {
    ReadResult result =
        PolicyReader.read(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata:
              name: mesh
              uid: 0d8e
              resourceVersion: "12"
              generation: 2
              creationTimestamp: 2026-11-20T10:00:00Z
              managedFields: [{manager: kubectl}]
              ownerReferences: []
              finalizers: [mesh4j.io/cleanup]
              deletionTimestamp: 2026-11-21T10:00:00Z
              selfLink: /apis/mesh4j.io/v1alpha1/meshconfigs/mesh
            status: {observedGeneration: 2}
            """);
    assertThat(result.problems()).isEmpty();
    assertThat(result.resources()).hasSize(1);
  }

  @Test
  void missingPathIsAProblemNotAnException() {
    ReadResult result = PolicyReader.read(java.nio.file.Path.of("no-such-policy-dir"));
    assertThat(result.problems()).extracting(Problem::message).containsExactly("no-such-policy-dir: does not exist");
  }

  @Test
  void anchorsAndMergeKeysAreResolved() {
    ReadResult result =
        PolicyReader.read(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog
              rules:
                - matches: [{method: GET}]
                  backends: &backends [{weight: 2}]
                  retries: &retries {attempts: 3, perTryTimeout: 1s}
                - backends: *backends
                  retries:
                    <<: *retries
                    attempts: 2
            """);
    assertThat(result.problems()).isEmpty();
    TrafficRoute.Rule second = ((TrafficRoute) result.resources().get(0)).spec().rules().get(1);
    assertThat(second.backends()).containsExactly(new TrafficRoute.Backend(null, null, 2, null));
    assertThat(second.retries().attempts()).isEqualTo(2);
    assertThat(second.retries().perTryTimeout()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void recursiveAliasIsRefusedNotFollowed() {
    ReadResult result =
        PolicyReader.read(
            "apiVersion: mesh4j.io/v1alpha1\nkind: MeshConfig\nmetadata: {name: m}\nspec: &loop {tracing: *loop}\n");
    assertThat(result.resources()).isEmpty();
    assertThat(result.problems()).singleElement().satisfies(p -> {
      assertThat(p.resource()).isEqualTo("input (document 1)");
      assertThat(p.expected()).startsWith("malformed YAML");
    });
  }

  @ParameterizedTest
  @CsvSource({"250ms,PT0.25S", "5s,PT5S", "1m,PT1M", "2h,PT2H", "1m30s,PT1M30S", "1h2m3s4ms,PT1H2M3.004S", "7us,PT0.000007S"})
  void durationsReadAsWritten(String text, String iso) {
    Duration d = Durations.parse(text).orElseThrow();
    assertThat(d).isEqualTo(Duration.parse(iso));
    assertThat(Durations.format(d)).isEqualTo(text);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "5", "0s", "0h0m", "-1s", "1.5s", "30s1m", "1m1m", "5 s", "5sec", "99999999999999999999h"})
  void nonDurationsAreRefused(String text) {
    assertThat(Durations.parse(text)).isEmpty();
  }
}
