package io.mesh4j.cli;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.grpc;
import static io.mesh4j.core.testing.Policies.headers;
import static io.mesh4j.core.testing.Policies.outliers;
import static io.mesh4j.core.testing.Policies.policy;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static io.mesh4j.core.testing.Policies.subset;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.controller.MeshController;
import io.mesh4j.core.base.JsonText;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.core.policy.TrafficRoute;
import io.mesh4j.core.telemetry.ExplainRequest;
import io.mesh4j.core.testing.MeshHarness;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mesh4j explain} against an application's engine served on loopback the way the starter's
 * actuator serves it ({@code mesh/explain/<destination>}, the explanation's JSON): a destination
 * with two subsets and a header rule, one endpoint ejected by real failing attempts through the
 * engine. The engine runs on a fake ticker and the answer is dated by a fixed clock, so the
 * remaining ejection time is exact. A real controller in local mode tells the command where the
 * application is, from the admin endpoint the application announced on its policy stream.
 */
@Timeout(30)
class ExplainCommandTest {

  private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
  private static final Outcome FAIL = Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");
  private static final Outcome OK = Outcome.success();

  private final MeshHarness app = new MeshHarness();
  private final AtomicReference<String> status = new AtomicReference<>("{\"applications\":[]}");
  private HttpServer server;

  @BeforeEach
  void startApplication() throws IOException {
    app.apply(
        endpoints(
            "catalog.shop",
            ep("10.0.0.1", Map.of("version", "v1")),
            ep("10.0.0.3", Map.of("version", "v2")),
            ep("10.0.0.4", Map.of("version", "v2"))),
        route(
            "catalog.shop",
            List.of(subset("v1", "version", "v1"), subset("v2", "version", "v2")),
            rule()
                .name("canary")
                .match(headers(new TrafficRoute.HeaderMatch("x-canary", "true", null, null, null)))
                .backend("v2", 100)
                .build(),
            rule().name("items").match(grpc("shop.Catalog", "GetItem")).backend("v1", 90).backend("v2", 10).build()),
        policy("catalog.shop")
            .lb(DestinationPolicy.LbPolicy.ROUND_ROBIN, null, false)
            .outliers(outliers(3, Duration.ofSeconds(30), Duration.ofSeconds(300), 50))
            .build());
    // three failures in a row eject 10.0.0.3 for 30 s
    OutboundCall canary = OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").header("x-canary", "true").build();
    for (int i = 0; i < 20 && app.events.snapshot().stream().noneMatch(l -> l.startsWith("ejected")); i++) {
      Attempt a = app.attempt(canary);
      a.settle(a.endpoint().address().equals("10.0.0.3") ? FAIL : OK);
    }
    assertThat(app.events.snapshot()).contains("ejected 10.0.0.3:8080 for 30000ms: 3 consecutive failures");
    app.ticker.advance(Duration.ofSeconds(12));

    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/actuator/mesh/explain/", this::explain);
    server.createContext("/status", x -> answer(x, 200, status.get()));
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
    app.close();
  }

  /** What the starter's explain operation does, minus Spring: parameters in, the JSON out. */
  private void explain(HttpExchange x) throws IOException {
    String destination = x.getRequestURI().getPath().substring("/actuator/mesh/explain/".length());
    Map<String, List<String>> q = new LinkedHashMap<>();
    String raw = x.getRequestURI().getRawQuery();
    for (String pair : raw == null ? new String[0] : raw.split("&", -1)) {
      int eq = pair.indexOf('=');
      q.computeIfAbsent(decode(pair.substring(0, eq)), k -> new ArrayList<>()).add(decode(pair.substring(eq + 1)));
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h : q.getOrDefault("header", List.of())) {
      headers.put(h.substring(0, h.indexOf(':')), h.substring(h.indexOf(':') + 1));
    }
    ExplainRequest request =
        q.containsKey("grpc")
            ? ExplainRequest.grpc(destination, q.get("grpc").get(0), headers)
            : ExplainRequest.http(destination, q.get("method").get(0), q.get("path").get(0), headers);
    answer(x, 200, JsonText.write(app.mesh.explain(request).toMap(NOW)));
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static void answer(HttpExchange x, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.sendResponseHeaders(code, bytes.length);
    try (var out = x.getResponseBody()) {
      out.write(bytes);
    }
  }

  private String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Test
  void theAnswerNamesTheMatchedRuleTheChosenSubsetAndTheEjectedEndpointWithItsTimeLeft() {
    Run run = Run.of("explain", "frontend", "catalog.shop", "shop.Catalog/GetItem", "-H", "x-canary=true",
        "--app-url", base() + "/actuator/mesh");

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.lines().get(0)).isEqualTo("shop.Catalog/GetItem to catalog.shop from frontend (policy version 1)");
    assertThat(run.lines().get(1))
        .isEqualTo("ROUTED: rule canary (TrafficRoute shop/catalog-shop spec.rules[0]) matched;"
            + " the call goes to subset v2 of catalog.shop, endpoint 10.0.0.4:8080");
    assertThat(run.out())
        .contains("Matched rule: canary (TrafficRoute shop/catalog-shop spec.rules[0])")
        .contains("  items (TrafficRoute shop/catalog-shop spec.rules[1]): not reached, an earlier rule matched");
    assertThat(run.lines())
        .anySatisfy(l -> assertThat(l).startsWith("catalog.shop/v2").contains("100%", "CLOSED", "ROUND_ROBIN").endsWith("<- this call"))
        .anySatisfy(l -> assertThat(l.split(" +"))
            .containsExactly("catalog.shop/v2", "10.0.0.3:8080", "EJECTED", "2026-12-05T12:00:18Z", "(18s", "left)", "0", "CLOSED"))
        .anySatisfy(l -> assertThat(l.split(" +"))
            .containsExactly("catalog.shop/v2", "10.0.0.4:8080", "HEALTHY", "-", "0", "CLOSED"))
        .contains("Next call to catalog.shop/v2: round robin: next in the schedule is 10.0.0.4:8080 (unless another call takes it first)");
  }

  @Test
  void withoutTheHeaderTheOutputSaysWhyTheCanaryRuleDidNotMatchAndTheWeightsDecide() {
    Run run = Run.of("explain", "frontend", "catalog.shop", "/shop.Catalog/GetItem", "--app-url", base() + "/actuator/mesh/");

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("Matched rule: items (TrafficRoute shop/catalog-shop spec.rules[1])")
        .contains("  canary (TrafficRoute shop/catalog-shop spec.rules[0]): header x-canary: wanted exact 'true', got none")
        .contains("the weights decide each call: catalog.shop/v1 90%, catalog.shop/v2 10%")
        .contains("Next call to catalog.shop/v1: ", "Next call to catalog.shop/v2: ");
  }

  @Test
  void anHttpCallAndJsonOutputComeAsTheApplicationSentThem() {
    Run run = Run.of("explain", "frontend", "GET", "catalog.shop/items/1?x=1", "-o", "json", "--app-url", base() + "/actuator/mesh");

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .startsWith("{\"destination\":\"catalog.shop\",\"call\":\"GET /items/1?x=1\",")
        .contains("\"verdict\":\"DEFAULT_ROUTE\"", "\"reason\":\"grpc: wanted a gRPC call, got HTTP GET /items/1\"");
  }

  @Test
  void theApplicationIsFoundThroughTheAdminUrlItReportedToARealController(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"),
        "apiVersion: mesh4j.io/v1alpha1\nkind: MeshConfig\nmetadata: {name: mesh, namespace: mesh4j-system}\nspec: {mtls: PERMISSIVE}\n");
    try (MeshController controller = MeshController.startLocal(new MeshController.LocalOptions(
            dir, new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0), MeshController.Security.none()));
        ControllerConfigSource frontend = connect(controller, "frontend");
        ControllerConfigSource checkout = connect(controller, "checkout")) {
      frontend.announceAdminEndpoint("http", server.getAddress().getPort(), "/actuator/mesh");
      String admin = "http://127.0.0.1:" + controller.adminPort();
      AtomicReference<Run> found = new AtomicReference<>();
      Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
        Run run = Run.of("explain", "shop/frontend", "catalog.shop", "shop.Catalog/GetItem", "-H", "x-canary=true", "--controller", admin);
        found.set(run);
        return run.exitCode() == 0;
      });

      assertThat(found.get().out()).contains("Matched rule: canary", "2026-12-05T12:00:18Z (18s left)");
      Run missing = Run.of("explain", "checkout", "catalog.shop", "shop.Catalog/GetItem", "--controller", admin);
      assertThat(missing.exitCode()).isEqualTo(1);
      assertThat(missing.err()).startsWith("mesh4j: the application checkout did not report an admin URL to the controller at " + admin)
          .contains("--app-url");
      Run unknown = Run.of("explain", "cart", "catalog.shop", "shop.Catalog/GetItem", "--controller", admin);
      assertThat(unknown.exitCode()).isEqualTo(1);
      assertThat(unknown.err()).startsWith("mesh4j: no application cart is connected to the controller at " + admin);
    }
  }

  private static ControllerConfigSource connect(MeshController controller, String name) {
    ControllerConfigSource source =
        ControllerConfigSource.builder("127.0.0.1:" + controller.grpcPort())
            .application(name)
            .namespace("shop")
            .identity("spiffe://cluster.local/ns/shop/sa/" + name)
            .calls("catalog")
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .random(new SplittableRandom(42))
            .build();
    source.start(new ConfigSource.Listener() {
      @Override
      public ApplyResult onUpdate(PolicySet policies) {
        return ApplyResult.accepted();
      }

      @Override
      public void onRejected(List<Problem> problems) {}
    });
    return source;
  }

  @Test
  void anApplicationThatReportedNoAdminUrlIsNamedWithTheWayOut() {
    status.set("{\"mode\":\"local\",\"applications\":[{\"application\":\"frontend\",\"namespace\":\"shop\",\"adminUrl\":null}]}");

    Run missing = Run.of("explain", "frontend", "catalog.shop", "shop.Catalog/GetItem", "--controller", base());

    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).startsWith("mesh4j: the application frontend did not report an admin URL to the controller at " + base())
        .contains("--app-url");
  }

  @Test
  void yamlOutputIsTheSameDocument() {
    Run run = Run.of("explain", "frontend", "catalog.shop", "shop.Catalog/GetItem", "-o", "yaml", "--app-url", base() + "/actuator/mesh");

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("destination: catalog.shop\n").contains("verdict: ROUTED", "ejectionLeftMillis: 18000");
  }

  @Test
  void anUnreachableApplicationIsAnErrorNamingIt() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port + "/actuator/mesh";

    Run run = Run.of("explain", "frontend", "catalog.shop", "shop.Catalog/GetItem", "--app-url", url);

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).startsWith("mesh4j: cannot reach the application frontend at " + url + " (");
  }

  @Test
  void aCallThatIsNeitherGrpcNorHttpIsAUsageError() {
    Run notAMethod = Run.of("explain", "frontend", "catalog.shop", "GetItem", "--app-url", base());
    Run noPath = Run.of("explain", "frontend", "GET", "catalog.shop", "--app-url", base());
    Run badHeader = Run.of("explain", "frontend", "catalog.shop", "a.B/C", "-H", "novalue", "--app-url", base());
    Run noNamespace = Run.of("explain", "frontend", "catalog", "shop.Catalog/GetItem", "--app-url", base());

    assertThat(notAMethod.exitCode()).isEqualTo(2);
    assertThat(notAMethod.err()).contains("'GetItem' is not a gRPC method");
    assertThat(noPath.exitCode()).isEqualTo(2);
    assertThat(noPath.err()).contains("'catalog.shop' is not DESTINATION/path");
    assertThat(badHeader.exitCode()).isEqualTo(2);
    assertThat(badHeader.err()).contains("-H: 'novalue' is not name=value");
    assertThat(noNamespace.exitCode()).isEqualTo(2);
    assertThat(noNamespace.err()).contains("'catalog' is not a destination: give name.namespace");
  }
}
