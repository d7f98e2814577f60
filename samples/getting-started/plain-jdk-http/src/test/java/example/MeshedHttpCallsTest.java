package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.http.MeshJdkHttp;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two versions of a service behind one name: the mesh splits calls 80/20 and retries a 503. */
@Timeout(60)
class MeshedHttpCallsTest {

  /** An HTTP server on loopback that answers with its version, counts calls, can fail the first. */
  static final class Backend implements AutoCloseable {
    final AtomicInteger calls = new AtomicInteger();
    final HttpServer server;

    Backend(String version, boolean failFirst) throws Exception {
      // without it the JDK's server holds small replies for the client's delayed ACK (40 ms)
      System.setProperty("sun.net.httpserver.nodelay", "true");
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
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
    }

    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  static String policy(int v1, int v2) {
    return """
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
        .formatted(v1, v2);
  }

  @Test
  void callsSplitEightyTwentyAndAFailureIsRetried() throws Exception {
    try (Backend v1 = new Backend("v1", true);
        Backend v2 = new Backend("v2", false);
        Mesh mesh =
            Mesh.builder()
                .configSource(StaticConfigSource.parse(policy(v1.port(), v2.port())))
                .random(MeshRandom.of(new SplittableRandom(42)))
                .build()) {
      HttpClient client = MeshJdkHttp.client(mesh);
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://catalog.shop/items")).build();
      int calls = 1000;
      int v2Answers = 0;
      for (int i = 0; i < calls; i++) {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        v2Answers += response.body().equals("v2") ? 1 : 0;
      }
      // every call answered 200, though v1 failed one attempt with 503: the mesh retried it
      assertEquals(calls + 1, v1.calls.get() + v2.calls.get());
      double v2Share = v2Answers / (double) calls;
      assertTrue(Math.abs(v2Share - 0.2) <= 0.04, "v2's share: " + v2Share);
    }
  }
}
