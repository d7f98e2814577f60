package example;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Flux;

/** Two versions of the catalog behind one name: calls split 80/20 and a 503 is retried. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@Timeout(120)
class ShopApplicationTest {

  static final AtomicInteger v1Calls = new AtomicInteger();
  static final AtomicInteger v2Calls = new AtomicInteger();
  static HttpServer v1;
  static HttpServer v2;

  /** An HTTP server on loopback that answers with its version; v1 fails its first request. */
  static HttpServer backend(String version, AtomicInteger calls, boolean failFirst)
      throws IOException {
    // without it the JDK's server holds small replies for the client's delayed ACK (40 ms)
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          boolean fail = calls.incrementAndGet() == 1 && failFirst;
          byte[] body = (fail ? "not ready yet" : version).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(fail ? 503 : 200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    return server;
  }

  /** The policy an operator would put in the application's mesh directory. */
  @DynamicPropertySource
  static void mesh(DynamicPropertyRegistry registry) throws IOException {
    v1 = backend("v1", v1Calls, true);
    v2 = backend("v2", v2Calls, false);
    Path dir = Files.createTempDirectory("mesh");
    Files.writeString(
        dir.resolve("catalog.yaml"),
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog
          endpoints:
            - {address: 127.0.0.1, port: %d, labels: {version: v1}}
            - {address: 127.0.0.1, port: %d, labels: {version: v2}}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
          rules:
            - name: default
              timeout: 5s
              retries:
                attempts: 2
                retryOn: ["503"]
              backends:
                - {subset: v1, weight: 80}
                - {subset: v2, weight: 20}
        """
            .formatted(v1.getAddress().getPort(), v2.getAddress().getPort()));
    registry.add("mesh4j.config-dir", dir::toString);
  }

  @AfterAll
  static void stop() {
    v1.stop(0);
    v2.stop(0);
  }

  @Autowired ShopApplication.Catalog catalog;

  @Test
  void callsSplitEightyTwentyAndAFailureIsRetried() {
    int calls = 1000;
    // 16 calls in flight at a time, none of them holding a thread while it waits
    List<String> answers =
        Flux.range(0, calls)
            .flatMap(i -> catalog.item("sku-" + i), 16)
            .collectList()
            .block(Duration.ofSeconds(60));
    assertThat(answers).hasSize(calls).allMatch(a -> a.equals("v1") || a.equals("v2"));
    long v2Answers = answers.stream().filter("v2"::equals).count();
    // every call answered, though v1 failed one attempt with 503: the mesh retried it
    assertThat(v1Calls.get() + v2Calls.get()).isEqualTo(calls + 1);
    // 20% of 1,000 is 200; the binomial spread is 12.6 calls, so +-60 is almost five of them
    assertThat(v2Answers).isBetween(140L, 260L);
  }
}
