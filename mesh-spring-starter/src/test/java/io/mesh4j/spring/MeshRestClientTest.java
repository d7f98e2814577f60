package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.mesh4j.core.Mesh;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;

/** {@link MeshClient} {@code RestClient} fields send through the mesh to a loopback server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MeshRestClientTest {

  @TempDir Path dir;
  private HttpServer server;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] in = exchange.getRequestBody().readAllBytes();
          String path = exchange.getRequestURI().getPath();
          int status = path.startsWith("/missing") ? 404 : 200;
          String body =
              exchange.getRequestMethod()
                  + " "
                  + path
                  + " host="
                  + exchange.getRequestHeaders().getFirst("Host")
                  + " body="
                  + new String(in, StandardCharsets.UTF_8);
          byte[] out = body.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "text/plain");
          exchange.getResponseHeaders().add("X-Server", "pricing");
          exchange.sendResponseHeaders(status, out.length);
          exchange.getResponseBody().write(out);
          exchange.close();
        });
    server.start();
    Policies.write(dir, "pricing.yaml", Policies.endpoint("pricing", "shop", server.getAddress().getPort()));
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class))
        .withPropertyValues("mesh4j.config-dir=" + dir)
        .withUserConfiguration(PricingCaller.class);
  }

  @Test
  void relativeUrisGoToTheDestinationThroughTheMesh() {
    runner()
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              Mesh mesh = context.getBean(Mesh.class);
              await()
                  .atMost(Duration.ofSeconds(20))
                  .until(() -> !mesh.endpoints("pricing.shop").isEmpty());
              RestClient rest = context.getBean(PricingCaller.class).rest;

              var get = rest.get().uri("/price/42").retrieve().toEntity(String.class);
              assertThat(get.getStatusCode()).isEqualTo(HttpStatusCode.valueOf(200));
              assertThat(get.getHeaders().getFirst("X-Server")).isEqualTo("pricing");
              // the mesh keeps the destination as the Host, whichever endpoint it picked
              assertThat(get.getBody()).isEqualTo("GET /price/42 host=pricing.shop body=");

              String posted =
                  rest.post()
                      .uri("/price")
                      .contentType(MediaType.TEXT_PLAIN)
                      .body("42 EUR")
                      .retrieve()
                      .body(String.class);
              assertThat(posted).isEqualTo("POST /price host=pricing.shop body=42 EUR");

              assertThatThrownBy(() -> rest.get().uri("/missing").retrieve().body(String.class))
                  .isInstanceOf(HttpClientErrorException.NotFound.class);
            });
  }

  @Test
  void aConstructorParameterGetsARestClientToo() {
    runner()
        .withUserConfiguration(ConstructorCaller.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              Mesh mesh = context.getBean(Mesh.class);
              await()
                  .atMost(Duration.ofSeconds(20))
                  .until(() -> !mesh.endpoints("pricing.shop").isEmpty());
              assertThat(context.getBean(ConstructorCaller.class).price("7"))
                  .isEqualTo("GET /price/7 host=pricing.shop body=");
            });
  }

  @Test
  void theRestClientSharesTheMeshOkHttpClient() {
    runner()
        .run(
            context -> {
              PricingCaller caller = context.getBean(PricingCaller.class);
              assertThat(caller.http).isNotNull();
              assertThat(caller.unnamed).isNotNull().isNotSameAs(caller.rest);
            });
  }

  @Test
  void withoutMeshHttpARestClientFieldFailsStartUp() {
    runner()
        .withClassLoader(new FilteredClassLoader("io.mesh4j.http"))
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .hasMessageContaining("PricingCaller.rest")
                    .hasMessageContaining("needs mesh-http on the class path"));
  }

  @Configuration(proxyBeanMethods = false)
  static class ConstructorCaller {
    private final RestClient rest;

    ConstructorCaller(@MeshClient("pricing.shop") RestClient rest) {
      this.rest = rest;
    }

    String price(String id) {
      return rest.get().uri("/price/{id}", id).retrieve().body(String.class);
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class PricingCaller {
    @MeshClient("pricing.shop")
    RestClient rest;

    @MeshClient
    RestClient unnamed;

    @MeshClient("pricing.shop")
    okhttp3.OkHttpClient http;
  }
}
