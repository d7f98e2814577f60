package io.mesh4j.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.benchmarks.load.MeshPolicies.Feature;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MeshPoliciesTest {

  @Test
  void everyFeatureSetIsAPolicyTheMeshApplies() throws Exception {
    List<Set<Feature>> sets = List.of(Set.of(), Set.of(Feature.ROUTING), Set.of(Feature.RETRIES),
        Set.of(Feature.BREAKER), Set.of(Feature.BALANCING), EnumSet.allOf(Feature.class));
    for (Set<Feature> features : sets) {
      for (String retryOn : List.of("UNAVAILABLE", "5xx")) {
        String yaml = MeshPolicies.yaml("echo", 9999, features, retryOn);
        try (StaticConfigSource source = StaticConfigSource.parse(yaml);
            Mesh mesh = Mesh.builder().configSource(source).build()) {
          await().atMost(Duration.ofSeconds(5)).until(() -> mesh.appliedVersion() > 0);
          assertThat(mesh.endpoints("echo.bench")).as(features + "\n" + yaml).hasSize(1);
        }
      }
    }
  }

  @Test
  void theTracingSettingIsAMeshConfigTheMeshApplies() throws Exception {
    String yaml = MeshPolicies.yaml("echo", 9999, Set.of(), "UNAVAILABLE") + "---\n"
        + MeshPolicies.tracingConfig(1);
    try (StaticConfigSource source = StaticConfigSource.parse(yaml);
        Mesh mesh = Mesh.builder().configSource(source).build()) {
      await().atMost(Duration.ofSeconds(5)).until(() -> mesh.appliedVersion() > 0);
      assertThat(mesh.settings().tracing().samplingPercent()).isEqualTo(1.0);
    }
  }

  @Test
  void onlyTheChosenFeaturesAppear() {
    assertThat(MeshPolicies.yaml("echo", 1, Set.of(), "UNAVAILABLE"))
        .contains("kind: ServiceEndpoints").doesNotContain("TrafficRoute", "DestinationPolicy");
    assertThat(MeshPolicies.yaml("echo", 1, Set.of(Feature.BREAKER), "UNAVAILABLE"))
        .contains("circuitBreaker").doesNotContain("TrafficRoute", "outlierDetection");
    assertThat(MeshPolicies.yaml("echo", 1, Set.of(Feature.RETRIES), "5xx"))
        .contains("retryOn: [5xx, connect-failure, per-try-timeout]").doesNotContain("subsets");
  }
}
