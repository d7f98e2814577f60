package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.controller.serve.ApplicationStatus;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.policy.TrafficRoute;
import io.mesh4j.client.ControllerConfigSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The controller in local mode, driven by editing files, with real applications on loopback. */
@Timeout(30)
class LocalModeTest {

  @TempDir Path dir;
  @TempDir Path appState;

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private @Nullable MeshController controller;

  @BeforeEach
  void writeWorld() throws IOException {
    write("mesh.yaml", LocalDirectory.MESH);
    write("catalog.yaml", LocalDirectory.catalogRoute(90, 10));
    write("catalog-endpoints.yaml", catalogEndpoints("10.0.0.1", "10.0.0.2"));
    write("pricing.yaml", pricingRoute(100));
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    if (controller != null) {
      controller.close();
    }
  }

  @Test
  void applicationReceivesAResolvedSnapshotWithEndpointsAndSubsets() throws IOException {
    controller = startController(0);
    RecordingApplication app = new RecordingApplication();
    ControllerConfigSource source = connect("frontend", app, "catalog");

    await().atMost(Duration.ofSeconds(5)).until(() -> !app.applied.isEmpty());

    TrafficRoute route = app.current().routes().get(0);
    assertThat(route.spec().destination()).isEqualTo("catalog.shop");
    assertThat(route.spec().subsets()).extracting(TrafficRoute.Subset::name).containsExactly("v1", "v2");
    ServiceEndpoints endpoints = app.current().endpoints().get(0);
    assertThat(endpoints.spec().endpoints())
        .extracting(ServiceEndpoints.Endpoint::address, e -> e.labels())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("10.0.0.1", Map.of("version", "v1")),
            org.assertj.core.groups.Tuple.tuple("10.0.0.2", Map.of("version", "v2")));
    assertThat(endpoints.spec().endpoints().get(0).identity())
        .isEqualTo("spiffe://cluster.local/ns/shop/sa/catalog");
    // Scoped: the pricing route is not this application's business.
    assertThat(app.current().routes()).extracting(r -> r.spec().destination()).containsExactly("catalog.shop");
    assertThat(app.current().meshConfig()).isPresent();
    await().atMost(Duration.ofSeconds(5))
        .until(() -> statusOf("frontend").ackedVersion() == source.status().version());
    assertThat(app.current().version()).isEqualTo(source.status().version());
    assertThat(statusOf("frontend").resources())
        .containsExactly("MeshConfig mesh4j-system/mesh", "ServiceEndpoints shop/catalog", "TrafficRoute shop/catalog");
  }

  @Test
  void editingRouteWeightsDeliversANewVersionAckedWithinOneSecond() throws IOException {
    controller = startController(0);
    RecordingApplication app = new RecordingApplication();
    ControllerConfigSource source = connect("frontend", app, "catalog");
    await().atMost(Duration.ofSeconds(5)).until(() -> statusOf("frontend").ackedVersion() > 0);
    long before = source.status().version();

    write("catalog.yaml", LocalDirectory.catalogRoute(50, 50));

    await().atMost(Duration.ofSeconds(1))
        .until(() -> {
          ApplicationStatus s = statusOf("frontend");
          return s.ackedVersion() > before && s.ackedVersion() == source.status().version();
        });
    assertThat(LocalDirectory.weights(app.current())).containsExactly(50, 50);
  }

  @Test
  void removingAnEndpointRemovesItFromTheApplication() throws IOException {
    controller = startController(0);
    RecordingApplication app = new RecordingApplication();
    connect("frontend", app, "catalog");
    await().atMost(Duration.ofSeconds(5)).until(() -> !app.applied.isEmpty());

    write("catalog-endpoints.yaml", catalogEndpoints("10.0.0.1"));

    await().atMost(Duration.ofSeconds(2))
        .until(() -> app.current().endpoints().get(0).spec().endpoints().size() == 1);
    assertThat(app.current().endpoints().get(0).spec().endpoints())
        .extracting(ServiceEndpoints.Endpoint::address)
        .containsExactly("10.0.0.1");
  }

  @Test
  void invalidEditIsNeverSentAndThePreviousVersionKeepsBeingServed() throws Exception {
    controller = startController(0);
    RecordingApplication app = new RecordingApplication();
    ControllerConfigSource source = connect("frontend", app, "catalog");
    await().atMost(Duration.ofSeconds(5)).until(() -> statusOf("frontend").ackedVersion() > 0);
    long served = source.status().version();

    write("catalog.yaml", LocalDirectory.catalogRoute(-5, 10));

    await().atMost(Duration.ofSeconds(2))
        .until(() -> adminGet("/status").contains("spec.rules[0].backends[0].weight"));
    String status = adminGet("/status");
    assertThat(status)
        .contains("\"resource\":\"TrafficRoute shop/catalog\",\"type\":\"Accepted\",\"status\":\"False\"")
        .contains("spec.rules[0].backends[0].weight: must be >= 0, got -5");
    // A newcomer is served the last good version, and the first application was sent nothing.
    RecordingApplication late = new RecordingApplication();
    connect("checkout", late, "catalog");
    await().atMost(Duration.ofSeconds(5)).until(() -> !late.applied.isEmpty());
    assertThat(LocalDirectory.weights(late.current())).containsExactly(90, 10);
    assertThat(app.applied).hasSize(1);
    assertThat(app.rejected).isEmpty();
    assertThat(source.status().version()).isEqualTo(served);
  }

  @Test
  void applicationThatRefusesASnapshotKeepsItsPreviousOneAndTheControllerShowsTheReason() throws Exception {
    controller = startController(0);
    RecordingApplication app = new RecordingApplication();
    ControllerConfigSource source = connect("frontend", app, "catalog");
    await().atMost(Duration.ofSeconds(5)).until(() -> statusOf("frontend").ackedVersion() > 0);
    long applied = source.status().version();
    app.refuseWhen(p -> LocalDirectory.weights(p).contains(70) ? "weight 70 is not allowed by this application" : null);

    write("catalog.yaml", LocalDirectory.catalogRoute(70, 30));

    await().atMost(Duration.ofSeconds(2)).until(() -> statusOf("frontend").lastNack() != null);
    ApplicationStatus status = statusOf("frontend");
    assertThat(status.lastNack().reasons())
        .containsExactly("policy version " + status.lastNack().version() + ": weight 70 is not allowed by this application");
    assertThat(status.ackedVersion()).isEqualTo(applied);
    assertThat(source.status().version()).isEqualTo(applied);
    assertThat(LocalDirectory.weights(app.current())).containsExactly(90, 10);
    assertThat(adminGet("/status")).contains("weight 70 is not allowed by this application");
    assertThat(adminGet("/metrics"))
        .contains("mesh4j_controller_nacks_total 1")
        .contains("mesh4j_controller_application_nacks_total{namespace=\"shop\",service_account=\"frontend\"} 1");
  }

  @Test
  void changesOutsideAnApplicationsScopeSendItNothing() throws IOException {
    controller = startController(0);
    RecordingApplication catalogCaller = new RecordingApplication();
    RecordingApplication pricingCaller = new RecordingApplication();
    connect("frontend", catalogCaller, "catalog");
    connect("checkout", pricingCaller, "pricing");
    await().atMost(Duration.ofSeconds(5))
        .until(() -> statusOf("frontend").inSync() && statusOf("checkout").inSync());
    long pushes = controller.distributor().pushCount();

    write("pricing.yaml", pricingRoute(7));

    await().atMost(Duration.ofSeconds(2)).until(() -> pricingCaller.applied.size() == 2);
    assertThat(controller.distributor().pushCount()).isEqualTo(pushes + 1);
    assertThat(catalogCaller.applied).hasSize(1);
  }

  @Test
  void applicationsWithTheSameNeedsShareOneComputedSnapshot() throws IOException {
    controller = startController(0);
    List<RecordingApplication> apps = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RecordingApplication app = new RecordingApplication();
      apps.add(app);
      connect("frontend-" + i, app, "catalog");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> apps.stream().allMatch(a -> !a.applied.isEmpty()));
    long computed = controller.distributor().computeCount();

    write("catalog.yaml", LocalDirectory.catalogRoute(60, 40));

    await().atMost(Duration.ofSeconds(2)).until(() -> apps.stream().allMatch(a -> a.applied.size() == 2));
    assertThat(controller.distributor().computeCount()).isEqualTo(computed + 1);
    assertThat(apps).extracting(a -> a.current().version()).containsOnly(apps.get(0).current().version());
  }

  @Test
  void afterAControllerRestartTheApplicationResumesWithTheSameContentWithoutReapplying() throws Exception {
    int port = LocalDirectory.freePort();
    controller = startController(port);
    RecordingApplication app = new RecordingApplication();
    ControllerConfigSource source = connect("frontend", app, "catalog");
    await().atMost(Duration.ofSeconds(5)).until(() -> statusOf("frontend").ackedVersion() > 0);
    // Move the version past what a fresh controller would start with.
    write("catalog.yaml", LocalDirectory.catalogRoute(80, 20));
    await().atMost(Duration.ofSeconds(2)).until(() -> app.applied.size() == 2 && statusOf("frontend").inSync());
    long held = source.status().version();
    String hash = source.status().hash();

    controller.close();
    controller = null;
    await().atMost(Duration.ofSeconds(2)).until(() -> !source.status().connected());
    assertThat(LocalDirectory.weights(app.current())).containsExactly(80, 20);
    controller = await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> startController(port), c -> true);

    await().atMost(Duration.ofSeconds(5))
        .until(() -> source.status().connected() && statusOf("frontend").inSync());
    assertThat(app.applied).hasSize(2);
    // the restarted controller numbers from its own clock, never from what the application says
    assertThat(source.status().hash()).isEqualTo(hash);
    assertThat(source.status().version()).isGreaterThan(held);

    // Versions keep moving forward from there.
    write("catalog.yaml", LocalDirectory.catalogRoute(70, 30));
    await().atMost(Duration.ofSeconds(2)).until(() -> app.applied.size() == 3);
    assertThat(app.current().version()).isGreaterThan(held);
  }

  @Test
  void applicationStartsFromItsCachedSnapshotWhileTheControllerIsDown() throws Exception {
    int port = LocalDirectory.freePort();
    controller = startController(port);
    Path cache = appState.resolve("snapshot.pb");
    RecordingApplication first = new RecordingApplication();
    ControllerConfigSource source = connect("frontend", first, "catalog", port, cache);
    await().atMost(Duration.ofSeconds(5)).until(() -> statusOf("frontend").inSync() && Files.exists(cache));
    long held = source.status().version();
    source.close();
    controller.close();
    controller = null;

    RecordingApplication restarted = new RecordingApplication();
    ControllerConfigSource again = connect("frontend", restarted, "catalog", port, cache);

    assertThat(restarted.applied).hasSize(1);
    assertThat(restarted.current().version()).isEqualTo(held);
    assertThat(LocalDirectory.weights(restarted.current())).containsExactly(90, 10);
    assertThat(again.status().connected()).isFalse();
  }

  // --- fixtures

  private MeshController startController(int port) throws IOException {
    return MeshController.startLocal(
        new MeshController.LocalOptions(
            dir, new InetSocketAddress("127.0.0.1", port), new InetSocketAddress("127.0.0.1", 0),
            MeshController.Security.none()));
  }

  private ControllerConfigSource connect(String name, RecordingApplication app, String calls) {
    return connect(name, app, calls, controllerPort(), null);
  }

  private ControllerConfigSource connect(
      String name, RecordingApplication app, String calls, int port, @Nullable Path cache) {
    ControllerConfigSource.Builder builder =
        ControllerConfigSource.builder("127.0.0.1:" + port)
            .application(name)
            .namespace("shop")
            .identity("spiffe://cluster.local/ns/shop/sa/" + name)
            .calls(calls)
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .random(new SplittableRandom(42));
    if (cache != null) {
      builder.cacheFile(cache);
    }
    ControllerConfigSource source = builder.build();
    toClose.add(source);
    source.start(app);
    return source;
  }

  private int controllerPort() {
    return controller().grpcPort();
  }

  private MeshController controller() {
    MeshController c = controller;
    if (c == null) {
      throw new IllegalStateException("no controller running");
    }
    return c;
  }

  /** Waits tolerate an application that has not connected yet (statusOf throws until it has). */
  private static ConditionFactory await() {
    return Awaitility.await().ignoreExceptionsInstanceOf(AssertionError.class);
  }

  private ApplicationStatus statusOf(String application) {
    return controller().distributor().applications().stream()
        .filter(a -> a.application().equals(application))
        .findFirst()
        .orElseThrow(() -> new AssertionError("not connected: " + application));
  }

  private String adminGet(String path) throws IOException, InterruptedException {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controller().adminPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    return response.body();
  }

  private void write(String name, String yaml) throws IOException {
    LocalDirectory.write(dir, name, yaml);
  }





  private static String pricingRoute(int timeoutSeconds) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: pricing, namespace: shop}
        spec:
          destination: pricing
          rules:
            - backends: [{weight: 1}]
              timeout: %ds
        """
        .formatted(timeoutSeconds);
  }

  private static String catalogEndpoints(String... addresses) {
    StringBuilder sb =
        new StringBuilder(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: ServiceEndpoints
            metadata: {name: catalog, namespace: shop}
            spec:
              service: catalog
              endpoints:
            """);
    for (int i = 0; i < addresses.length; i++) {
      sb.append("    - {address: ")
          .append(addresses[i])
          .append(", port: 8080, labels: {version: v")
          .append(i + 1)
          .append("}, identity: \"spiffe://cluster.local/ns/shop/sa/catalog\"}\n");
    }
    return sb.toString();
  }
}
