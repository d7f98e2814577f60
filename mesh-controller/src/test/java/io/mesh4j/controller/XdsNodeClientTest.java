package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.controller.serve.ApplicationStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's xDS face seen from a client nobody here wrote: Node.js's {@code @grpc/grpc-js}
 * with {@code @grpc/grpc-js-xds} (installed by {@code scripts/install-node-xds-client.sh}, which
 * the test command runs), driven by {@code src/test/node/xds-client/client.js}. Real calls on
 * loopback: a TrafficRoute's split and its live change, a retry policy, and mutual TLS (gRFC A29)
 * to a mesh4j server under its AuthorizationPolicy ({@link MtlsCatalog}). Skipped, saying why,
 * only when the machine has no Node.js and this is not CI.
 */
@Timeout(120)
class XdsNodeClientTest {

  @TempDir Path dir;

  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeAll
  static void nodeAndItsPackages() {
    NodeXdsClient.assumeNodeAndItsPackages();
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @Test
  void aSplitReachesTheNodeClientAndSoDoesItsLiveChange() throws Exception {
    CatalogBackend v1 = backend("v1", false);
    CatalogBackend v2 = backend("v2", false);
    Path config = CatalogBackend.config(dir, v1, v2, LocalDirectory.catalogRoute(70, 30));
    MeshController controller = local(config);
    NodeXdsClient client = nodeClient(controller.grpcPort(), "catalog.shop", -1);

    RandomShares.near("node: v1's share", 0.70, () -> shareOfV1(client, 3_000));

    LocalDirectory.write(config, "catalog.yaml", LocalDirectory.catalogRoute(20, 80));
    // 100 calls tell 30% from 80% of them to v2 by more than seven standard deviations
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ZERO).until(() -> shareOfV1(client, 100) < 0.5);
    RandomShares.near("node: v1's share", 0.20, () -> shareOfV1(client, 3_000));
    assertThat(controller.xds().nackCount()).as("NACKs from grpc-js-xds").isZero();
  }

  @Test
  void theNodeClientRetriesAsTheRouteSays() throws Exception {
    CatalogBackend flaky = backend("v1", true);
    CatalogBackend v2 = backend("v2", false);
    Path config = CatalogBackend.config(dir, flaky, v2, """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets: [{name: v1, labels: {version: v1}}]
          rules:
            - backends: [{subset: v1}]
              retries: {attempts: 2, retryOn: [UNAVAILABLE], retryNonIdempotent: true, backoff: {base: 1ms, max: 5ms}}
        """);
    MeshController controller = local(config);
    NodeXdsClient client = nodeClient(controller.grpcPort(), "catalog.shop", 50);

    for (int i = 0; i < 50; i++) {
      assertThat(client.next()).isEqualTo("ok v1");
    }
    assertThat(client.next()).isEqualTo("err the client exited");
    // every call failed once with UNAVAILABLE and was answered on its retry
    assertThat(flaky.calls.get()).isEqualTo(100);
    assertThat(v2.calls.get()).isZero();
    assertThat(controller.xds().nackCount()).isZero();
  }

  @Test
  void aListenerTheNodeClientRefusesShowsOnStatusWithItsMessageAndItKeepsItsLastGoodConfig() throws Exception {
    CatalogBackend v1 = backend("v1", false);
    CatalogBackend v2 = backend("v2", false);
    Path config = CatalogBackend.config(dir, v1, v2, LocalDirectory.catalogRoute(100, 0));
    MeshController controller = local(config);
    NodeXdsClient client = nodeClient(controller.grpcPort(), "catalog.shop", -1);
    for (int i = 0; i < 20; i++) {
      assertThat(client.call(null)).isEqualTo("ok v1");
    }
    ApplicationStatus synced = xdsPeer(controller);
    assertThat(synced.inSync()).isTrue();
    assertThat(synced.ackedByType()).containsOnlyKeys("Listener", "Cluster", "ClusterLoadAssignment"); // routes are inline in the listener
    assertThat(synced.node()).isEqualTo("node-client");

    // All calls to v2, with a retry backoff grpc-js-xds reads as 0 ms (it counts whole milliseconds)
    // and so refuses, whole listener and all.
    LocalDirectory.write(config, "catalog.yaml", """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets: [{name: v2, labels: {version: v2}}]
          rules:
            - backends: [{subset: v2}]
              retries: {attempts: 2, retryOn: [UNAVAILABLE], backoff: {base: 500us, max: 5ms}}
        """);
    await().atMost(Duration.ofSeconds(20)).until(() -> xdsPeer(controller).lastNack() != null);
    ApplicationStatus refused = xdsPeer(controller);
    ApplicationStatus.Nack nack = refused.lastNack();
    assertThat(nack.type()).isEqualTo("Listener");
    assertThat(nack.version()).isEqualTo(refused.sentVersion());
    assertThat(nack.names()).containsExactly("catalog.shop");
    assertThat(nack.reasons()).singleElement().asString().contains("retry_back_off.base_interval");
    assertThat(refused.inSync()).isFalse();
    assertThat(refused.ackedByType().get("Listener")).isEqualTo(synced.ackedByType().get("Listener"));
    assertThat(controller.xds().nackCount()).isPositive();

    // The admin endpoint shows the peer's own words, and the peer still calls v1 as the listener it
    // held says.
    String status = get(controller.adminPort(), "/status/" + ApplicationStatus.UNAUTHENTICATED);
    assertThat(status).contains("\"kind\":\"xds\"", "\"type\":\"Listener\"", "retry_back_off.base_interval");
    for (int i = 0; i < 20; i++) {
      assertThat(client.call(null)).isEqualTo("ok v1");
    }

    // Gone from status with its stream.
    client.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> controller.distributor().applications().isEmpty());
  }

  private static ApplicationStatus xdsPeer(MeshController controller) {
    List<ApplicationStatus> all = controller.distributor().applications();
    assertThat(all).singleElement().extracting(ApplicationStatus::kind).isEqualTo(ApplicationStatus.XDS);
    return all.get(0);
  }

  private static String get(int port, String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response.body();
  }

  @Test
  void theNodeClientCallsAMeshServerOverMutualTlsAndTheMeshRefusesWhomItsPolicyDoesNotAllow() throws Exception {
    MtlsCatalog mesh = new MtlsCatalog(dir);
    closing.add(mesh);

    // The server is STRICT: a call without a client certificate would be UNAUTHENTICATED.
    assertThat(mtlsClient(mesh, "frontend").next()).isEqualTo("ok catalog");
    assertThat(mtlsClient(mesh, "batch").next()).isEqualTo("err PERMISSION_DENIED " + MtlsCatalog.DENIED_BATCH);
    assertThat(mesh.calls.get()).isEqualTo(1);
    assertThat(mesh.xds.xds().nackCount()).as("NACKs from grpc-js-xds").isZero();
  }

  @Test
  void theNodeClientNeverCallsAServerThatIsNotWhoThePolicySays() throws Exception {
    MtlsCatalog mesh = new MtlsCatalog(dir);
    closing.add(mesh);
    mesh.publishEndpoint(MtlsCatalog.spiffeId("pricing"));

    // The handshake refused on the server's name.
    assertThat(mtlsClient(mesh, "frontend").next())
        .startsWith("err UNAVAILABLE ")
        .contains("No matching subject alternative name found in certificate");
    assertThat(mesh.calls.get()).isZero();
  }

  /** {@code client.js} with XdsChannelCredentials as {@code account}, making one call to catalog.shop. */
  private NodeXdsClient mtlsClient(MtlsCatalog mesh, String account) throws IOException {
    String files = mesh.files(account).fileWatcherConfig().entrySet().stream()
        .map(e -> "\"" + e.getKey() + "\": \"" + e.getValue() + "\"")
        .collect(Collectors.joining(", "));
    return nodeClient(mesh.xds.grpcPort(), "catalog.shop", 1, account,
        ", \"certificate_providers\": {\"mesh4j\": {\"plugin_name\": \"file_watcher\", \"config\": {" + files + "}}}",
        "--xds-credentials");
  }

  private static double shareOfV1(NodeXdsClient client, int calls)
      throws IOException, InterruptedException {
    int v1 = 0;
    for (int i = 0; i < calls; i++) {
      String answer = client.call(null);
      assertThat(answer).startsWith("ok ");
      if (answer.equals("ok v1")) {
        v1++;
      }
    }
    return (double) v1 / calls;
  }

  /** {@code client.js} calling {@code xds:///target} one call at a time, {@code calls} times or, when negative, until closed. */
  private NodeXdsClient nodeClient(int port, String target, int calls) throws IOException {
    return nodeClient(port, target, calls, "node", "");
  }

  /** The same with {@code more} appended to the bootstrap's top-level fields and {@code options} to the command. */
  private NodeXdsClient nodeClient(int port, String target, int calls, String name, String more, String... options)
      throws IOException {
    NodeXdsClient client = NodeXdsClient.start(dir, port, target, "/" + CatalogBackend.GET_ITEM.getFullMethodName(),
        "item", false, calls, name, more, options);
    closing.add(client);
    return client;
  }

  /** A local controller without authentication: grpc-js-xds sends no credentials to its xDS server. */
  private MeshController local(Path config) throws IOException {
    InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
    MeshController controller = MeshController.startLocal(
        new MeshController.LocalOptions(config, loopback, loopback, MeshController.Security.none()));
    closing.add(controller);
    await().atMost(Duration.ofSeconds(10)).until(() -> controller.distributor().isReady());
    return controller;
  }

  private CatalogBackend backend(String name, boolean flaky) throws IOException {
    CatalogBackend b = new CatalogBackend(name, flaky);
    closing.add(b);
    return b;
  }
}
