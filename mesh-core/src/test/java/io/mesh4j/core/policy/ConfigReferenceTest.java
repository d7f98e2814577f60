package io.mesh4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigReferenceTest {

  private static final Path README = Path.of("..", "README.md");
  private static final String START = "<!-- config-reference:start -->\n";
  private static final String END = "<!-- config-reference:end -->";

  @Test
  void readmeHoldsTheGeneratedReference() throws IOException {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    int start = readme.indexOf(START);
    int end = readme.indexOf(END);
    assertThat(start).as("README.md must contain %s", START.trim()).isNotNegative();
    assertThat(end).as("README.md must contain %s after the start marker", END).isGreaterThan(start);

    String generated = ConfigReference.markdown();
    String current = readme.substring(start + START.length(), end);
    if (current.equals(generated)) {
      return;
    }
    if (Boolean.getBoolean("mesh4j.updateReadme")) {
      String updated = readme.substring(0, start + START.length()) + generated + readme.substring(end);
      Files.writeString(README, updated, StandardCharsets.UTF_8);
      return;
    }
    fail(
        "The configuration reference in README.md is out of date with the model. Regenerate it with\n"
            + "  mvn -pl mesh-core test -Dtest=ConfigReferenceTest -Dmesh4j.updateReadme=true\n"
            + "and commit README.md (only the block between the config-reference markers changes).");
  }

  @Test
  void everyKindAndFieldPathIsDocumented() {
    String md = ConfigReference.markdown();
    for (Class<? extends MeshResource> kind : PolicyReader.kindClasses()) {
      assertThat(md).contains("### " + kind.getSimpleName() + "\n");
    }
    assertThat(md)
        .contains("| `metadata.name` | string | yes |  |  | Name of the resource, unique per kind and namespace. |")
        .contains("| `spec.rules[].backends[].weight` | integer |  | `1` | >= 0 | Relative weight; any size, 0 sends nothing. |")
        .contains("| `spec.loadBalancer.policy` | one of `PEAK_EWMA`, `LEAST_REQUEST`, `ROUND_ROBIN`, `RING_HASH`, `MAGLEV` |  | `PEAK_EWMA` |")
        .contains("| `spec.rules[].backends` | list of objects |  | `[{weight: 1}]` |")
        .contains("| `spec.rules[].retries.retryOn` | list of strings |  |  |  | Retryable outcomes:")
        .contains("Absent means `[connect-failure, UNAVAILABLE, '503']`, plus `per-try-timeout` when"
            + " `perTryTimeout` is set.")
        .contains("| `spec.rules[].retries.idempotentMethods` | list of strings |")
        .contains("| `spec.endpoints[].port` | integer | yes |  | between 1 and 65535 | Port. |")
        .contains("| `spec.destination` | service name | yes |");
  }

  @Test
  void everyExampleIsAValidResourceOfItsKind() {
    for (Class<? extends MeshResource> kind : PolicyReader.kindClasses()) {
      PolicyResult result = PolicyResult.parse(ConfigReference.example(kind));
      assertThat(result.problems()).as(kind.getSimpleName()).isEmpty();
      assertThat(result.orElseThrow().resources()).singleElement().isInstanceOf(kind);
    }
  }

  @Test
  void everyDefaultBindsCleanly() {
    // Touches every record that has a field with a default, leaving those fields out.
    PolicyResult result =
        PolicyResult.parse(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: d}
            spec:
              destination: d
              circuitBreaker: {}
              outlierDetection: {}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: d}
            spec:
              destination: d
              rules:
                - backends: [{}]
                  retries: {attempts: 2}
                  fault: {abort: {percent: 1}}
                  mirror: {}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: AuthorizationPolicy
            metadata: {name: d}
            spec: {service: d}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: ServiceEndpoints
            metadata: {name: d}
            spec: {service: d, endpoints: [{address: 10.0.0.1, port: 80}]}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata: {name: m}
            """);
    assertThat(result.problems()).isEmpty();
    PolicySet set = result.orElseThrow();
    assertThat(set.destinationPolicies().get(0).spec().circuitBreaker().waitInOpenState())
        .isEqualTo(java.time.Duration.ofSeconds(30));
    assertThat(set.meshConfig().orElseThrow().spec().certificateLifetime())
        .isEqualTo(java.time.Duration.ofHours(24));
    assertThat(set.routes().get(0).spec().rules().get(0).mirror().percent()).isEqualTo(100.0);
  }
}
