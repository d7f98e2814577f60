package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * A whole Boot web application on a loopback port, configured only through properties: the mesh
 * endpoint and health answer over HTTP, through the mesh's servlet filter for pricing.shop.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "server.address=127.0.0.1",
      "management.endpoints.web.exposure.include=health,mesh",
      "management.endpoint.health.show-details=always",
      "mesh4j.calls=catalog.shop",
      "mesh4j.service=pricing.shop"
    })
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MeshSpringBootTest {

  // no component scan, so the other tests' configurations stay out of this application
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}

  @DynamicPropertySource
  static void configDir(DynamicPropertyRegistry registry) {
    try {
      Path dir = Files.createTempDirectory("mesh4j-spring");
      dir.toFile().deleteOnExit();
      registry.add("mesh4j.config-dir", dir::toString);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @LocalServerPort int port;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theMeshEndpointAnswers() throws Exception {
    HttpResponse<String> response = get("/actuator/mesh");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body())
        .contains("\"appliedVersion\":1")
        .contains("\"catalog.shop\":{\"endpoints\":[],\"subsets\":[]}");
  }

  @Test
  void healthIncludesTheMesh() throws Exception {
    HttpResponse<String> response = get("/actuator/health");
    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode mesh = new ObjectMapper().readTree(response.body()).path("components").path("mesh");
    assertThat(mesh.path("status").asString()).isEqualTo("UP");
    assertThat(mesh.path("details").path("appliedVersion").asLong()).isEqualTo(1);
  }
}
