package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** IDEs complete every property from the metadata the starter ships, with text and defaults. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MeshConfigurationMetadataTest {

  @Test
  void everyPropertyIsDescribedAndTheDefaultsAreThere() throws Exception {
    Map<String, JsonNode> properties = new HashMap<>();
    try (InputStream in =
        MeshProperties.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("generated metadata").isNotNull();
      new ObjectMapper()
          .readTree(in)
          .get("properties")
          .forEach(p -> properties.put(p.get("name").asString(), p));
    }
    assertThat(properties)
        .containsKeys(
            "mesh4j.config-dir",
            "mesh4j.controller.address",
            "mesh4j.controller.report-interval",
            "mesh4j.application",
            "mesh4j.namespace",
            "mesh4j.calls",
            "mesh4j.local-zone",
            "mesh4j.service",
            "mesh4j.grpc.port",
            "mesh4j.grpc.address",
            "mesh4j.grpc.shutdown-grace-period",
            "mesh4j.metrics.enabled",
            "mesh4j.identity.enabled",
            "mesh4j.identity.token-file",
            "mesh4j.identity.controller-address",
            "mesh4j.identity.trusted-roots",
            "mesh4j.identity.startup-timeout",
            "mesh4j.identity.http-clients",
            "mesh4j.tracing.enabled",
            "mesh4j.access-log.enabled",
            "management.health.mesh.enabled");
    properties.forEach(
        (name, p) ->
            assertThat(p.path("description").asString())
                .as("description of %s", name)
                .isNotBlank()
                .doesNotContain("{@"));
    assertThat(properties.get("mesh4j.config-dir").get("defaultValue").asString()).isEqualTo("mesh");
    assertThat(properties.get("mesh4j.grpc.port").get("defaultValue").asInt()).isEqualTo(9090);
    assertThat(properties.get("mesh4j.grpc.shutdown-grace-period").get("defaultValue").asString())
        .isEqualTo("10s");
    assertThat(properties.get("mesh4j.controller.report-interval").get("defaultValue").asString())
        .isEqualTo("5s");
    assertThat(properties.get("mesh4j.metrics.enabled").get("defaultValue").asBoolean()).isTrue();
    assertThat(properties.get("mesh4j.identity.startup-timeout").get("defaultValue").asString())
        .isEqualTo("30s");
    assertThat(properties.get("mesh4j.identity.http-clients").get("defaultValue").asBoolean())
        .isFalse();
    assertThat(properties.get("mesh4j.tracing.enabled").get("defaultValue").asBoolean()).isTrue();
    assertThat(properties.get("mesh4j.access-log.enabled").get("defaultValue").asBoolean())
        .isTrue();
  }
}
