package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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

/**
 * The mesh endpoint's {@code explain/<destination>} operation over HTTP in a whole Boot web
 * application on a loopback port: query parameters in, the explanation's JSON out, 400 for a bad
 * request.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "server.address=127.0.0.1",
      "management.endpoints.web.exposure.include=mesh",
      "mesh4j.calls=catalog.shop"
    })
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MeshExplainEndpointTest {

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}

  private static final String CATALOG =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: catalog, namespace: shop}
      spec:
        service: catalog.shop
        endpoints:
          - {address: 127.0.0.1, port: 9001, labels: {version: v1}}
          - {address: 127.0.0.1, port: 9002, labels: {version: v2}}
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: catalog, namespace: shop}
      spec:
        destination: catalog.shop
        subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        rules:
          - name: canary
            matches: [{headers: [{name: x-canary, exact: "true"}]}]
            backends: [{subset: v2, weight: 1}]
          - backends: [{subset: v1, weight: 90}, {subset: v2, weight: 10}]
      """;

  @DynamicPropertySource
  static void configDir(DynamicPropertyRegistry registry) {
    try {
      Path dir = Files.createTempDirectory("mesh4j-explain");
      dir.toFile().deleteOnExit();
      Path file = Files.writeString(dir.resolve("catalog.yaml"), CATALOG);
      file.toFile().deleteOnExit();
      registry.add("mesh4j.config-dir", dir::toString);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @LocalServerPort int port;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(String pathAndQuery) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void aHeaderChoosesTheCanaryRuleAndItsSubset() throws Exception {
    HttpResponse<String> r =
        get("/actuator/mesh/explain/catalog.shop?grpc=" + q("shop.Catalog/GetItem")
            + "&header=" + q("x-canary:true") + "&header=" + q("x-user:a,b"));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body())
        .contains("\"verdict\":\"ROUTED\"", "\"matchedRule\":\"canary\"", "\"chosenBackend\":0")
        .contains("\"source\":\"TrafficRoute shop/catalog spec.rules[0]\"")
        .contains("\"subset\":\"v2\"", "\"authority\":\"127.0.0.1:9002\"", "\"state\":\"HEALTHY\"");
  }

  @Test
  void oneHeaderWithACommaStaysOneHeader() throws Exception {
    HttpResponse<String> r =
        get("/actuator/mesh/explain/catalog.shop?method=GET&path=" + q("/items/1")
            + "&header=" + q("x-canary:true,false"));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body())
        .contains("\"call\":\"GET /items/1\"")
        .contains("\"reason\":\"header x-canary: wanted exact 'true', got 'true,false'\"")
        .contains("\"verdict\":\"ROUTED\"", "\"matchedRule\":\"rule-1\"", "\"percent\":90.0");
  }

  @Test
  void theDestinationEndpointStillAnswersBesideIt() throws Exception {
    HttpResponse<String> r = get("/actuator/mesh/catalog.shop");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"subsets\":[");
  }

  @Test
  void aBadRequestIs400WithTheReason() throws Exception {
    HttpResponse<String> neither = get("/actuator/mesh/explain/catalog.shop");
    HttpResponse<String> badHeader =
        get("/actuator/mesh/explain/catalog.shop?grpc=a.B/C&header=nocolon");
    StringBuilder many = new StringBuilder("/actuator/mesh/explain/catalog.shop?grpc=a.B/C");
    for (int i = 0; i <= MeshEndpoint.MAX_HEADERS; i++) {
      many.append("&header=h").append(i).append(":v");
    }
    HttpResponse<String> tooMany = get(many.toString());
    HttpResponse<String> tooLong =
        get("/actuator/mesh/explain/catalog.shop?method=GET&path=/" + "a".repeat(MeshEndpoint.MAX_VALUE));
    HttpResponse<String> otherOperation = get("/actuator/mesh/delete/catalog.shop?grpc=a.B/C");

    assertThat(neither.statusCode()).isEqualTo(400);
    assertThat(neither.body()).contains("give grpc=package.Service/Method, or method=GET&path=/some/path");
    assertThat(badHeader.statusCode()).isEqualTo(400);
    assertThat(badHeader.body()).contains("header 'nocolon' is not name:value");
    assertThat(tooMany.statusCode()).isEqualTo(400);
    assertThat(tooMany.body()).contains("33 headers: at most 32 may be given");
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(tooLong.body()).contains("path: 2049 characters, at most 2048 are read");
    assertThat(otherOperation.statusCode()).isEqualTo(400);
    assertThat(otherOperation.body()).contains("unknown operation 'delete'");
  }

  @Test
  void anUnknownDestinationIsAnAnswerNotAnError() throws Exception {
    HttpResponse<String> r = get("/actuator/mesh/explain/nowhere.shop?grpc=a.B/C");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"verdict\":\"UNKNOWN_DESTINATION\"");
  }
}
