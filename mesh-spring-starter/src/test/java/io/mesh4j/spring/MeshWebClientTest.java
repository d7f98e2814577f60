package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
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
import org.springframework.web.reactive.function.client.WebClient;

/**
 * {@link MeshClient} {@code WebClient} fields send through the mesh to a loopback server. Without
 * Reactor Netty on the test class path (it would put Netty on the one {@link
 * BootDependencyVersionsTest} checks), WebClient runs on Java's HttpClient.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MeshWebClientTest {

  @TempDir Path dir;
  private HttpServer server;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] out =
              (exchange.getRequestMethod()
                      + " "
                      + exchange.getRequestURI().getPath()
                      + " host="
                      + exchange.getRequestHeaders().getFirst("Host"))
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, out.length);
          exchange.getResponseBody().write(out);
          exchange.close();
        });
    server.start();
    Policies.write(
        dir, "pricing.yaml", Policies.endpoint("pricing", "shop", server.getAddress().getPort()));
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
              WebClient web = context.getBean(PricingCaller.class).web;
              String answer =
                  web.get()
                      .uri("/price/42")
                      .retrieve()
                      .bodyToMono(String.class)
                      .block(Duration.ofSeconds(10));
              // reached through the mesh: pricing.shop resolves nowhere else; on Java's HttpClient,
              // the connector the test class path leaves, the client writes Host itself
              assertThat(answer).startsWith("GET /price/42 host=");
            });
  }

  @Test
  void withoutMeshHttpAWebClientFieldFailsStartUp() {
    runner()
        .withClassLoader(new FilteredClassLoader("io.mesh4j.http"))
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .hasMessageContaining("PricingCaller.web")
                    .hasMessageContaining("needs mesh-http on the class path"));
  }

  @Configuration(proxyBeanMethods = false)
  static class PricingCaller {
    @MeshClient("pricing.shop")
    WebClient web;
  }
}
