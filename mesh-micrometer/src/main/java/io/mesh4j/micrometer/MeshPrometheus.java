package io.mesh4j.micrometer;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A Prometheus scrape endpoint for applications without Spring: serves {@code GET /metrics} from
 * a {@link PrometheusMeterRegistry} on a JDK HTTP server of its own, bound to 127.0.0.1 unless
 * told otherwise.
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * Mesh mesh = Mesh.builder().configSource(source).listener(MeshMetrics.bindTo(registry)).build();
 * MeshPrometheus endpoint = MeshPrometheus.start(registry, 9464);
 * }</pre>
 *
 * <p>{@code micrometer-registry-prometheus} is an optional dependency of mesh-core; applications
 * that use this class add it. Thread-safe; scrapes are answered by one daemon thread named {@code
 * mesh4j-prometheus}.
 */
public final class MeshPrometheus implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor;

  private MeshPrometheus(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Serves {@code registry} on {@code 127.0.0.1:port} ({@code 0} picks a free port). */
  public static MeshPrometheus start(PrometheusMeterRegistry registry, int port) {
    return start(registry, new InetSocketAddress(InetAddress.getLoopbackAddress(), checkPort(port)));
  }

  /**
   * Serves {@code registry} on {@code address}; use {@code 0.0.0.0} to let a Prometheus server on
   * another host scrape it.
   */
  public static MeshPrometheus start(PrometheusMeterRegistry registry, InetSocketAddress address) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(address, "address");
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "mesh4j: could not serve Prometheus metrics on " + address + ": " + e.getMessage(), e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "mesh4j-prometheus");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/metrics", exchange -> scrape(registry, exchange));
    server.start();
    return new MeshPrometheus(server, executor);
  }

  private static int checkPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(
          "mesh4j: Prometheus endpoint port must be 0 (any free port) to 65535, got " + port);
    }
    return port;
  }

  private static void scrape(PrometheusMeterRegistry registry, HttpExchange exchange)
      throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())
          && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange
          .getResponseHeaders()
          .set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      boolean head = "HEAD".equals(exchange.getRequestMethod());
      exchange.sendResponseHeaders(200, head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  /** The address the endpoint listens on (with the port chosen when 0 was asked for). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** The port the endpoint listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops serving at once. Idempotent. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
