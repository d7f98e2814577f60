package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
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

  private static final Path CLIENT = Path.of("src/test/node/xds-client");

  @TempDir Path dir;

  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeAll
  static void nodeAndItsPackages() {
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    boolean node = commandWorks("node", "--version");
    if (!ci) {
      Assumptions.assumeTrue(node, "no Node.js on this machine: scripts/install-node-xds-client.sh installs it");
    }
    assertThat(node).as("Node.js (scripts/install-node-xds-client.sh installs it)").isTrue();
    assertThat(CLIENT.resolve("node_modules/@grpc/grpc-js-xds"))
        .as("the Node client's packages: run scripts/install-node-xds-client.sh")
        .isDirectory();
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
    NodeClient client = nodeClient(controller.grpcPort(), "catalog.shop", -1);

    assertThat(shareOfV1(client, 3_000)).isCloseTo(0.70, within(0.03));

    LocalDirectory.write(config, "catalog.yaml", LocalDirectory.catalogRoute(20, 80));
    // 100 calls tell 30% from 80% of them to v2 by more than seven standard deviations
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ZERO).until(() -> shareOfV1(client, 100) < 0.5);
    assertThat(shareOfV1(client, 3_000)).isCloseTo(0.20, within(0.03));
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
    NodeClient client = nodeClient(controller.grpcPort(), "catalog.shop", 50);

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
  void theNodeClientCallsAMeshServerOverMutualTlsAndTheMeshRefusesWhomItsPolicyDoesNotAllow() throws Exception {
    MtlsCatalog mesh = new MtlsCatalog(dir);
    closing.add(mesh);

    // The server is STRICT: a call without a client certificate would be UNAUTHENTICATED.
    assertThat(mtlsClient(mesh, "frontend").next()).isEqualTo("ok catalog");
    // 7: PERMISSION_DENIED
    assertThat(mtlsClient(mesh, "batch").next()).isEqualTo("err 7 " + MtlsCatalog.DENIED_BATCH);
    assertThat(mesh.calls.get()).isEqualTo(1);
    assertThat(mesh.xds.xds().nackCount()).as("NACKs from grpc-js-xds").isZero();
  }

  @Test
  void theNodeClientNeverCallsAServerThatIsNotWhoThePolicySays() throws Exception {
    MtlsCatalog mesh = new MtlsCatalog(dir);
    closing.add(mesh);
    mesh.publishEndpoint(MtlsCatalog.spiffeId("pricing"));

    // 14: UNAVAILABLE, the handshake refused on the server's name
    assertThat(mtlsClient(mesh, "frontend").next())
        .startsWith("err 14 ")
        .contains("No matching subject alternative name found in certificate");
    assertThat(mesh.calls.get()).isZero();
  }

  /** {@code client.js} with XdsChannelCredentials as {@code account}, making one call to catalog.shop. */
  private NodeClient mtlsClient(MtlsCatalog mesh, String account) throws IOException {
    String files = mesh.files(account).fileWatcherConfig().entrySet().stream()
        .map(e -> "\"" + e.getKey() + "\": \"" + e.getValue() + "\"")
        .collect(Collectors.joining(", "));
    return nodeClient(mesh.xds.grpcPort(), "catalog.shop", 1, account,
        ", \"certificate_providers\": {\"mesh4j\": {\"plugin_name\": \"file_watcher\", \"config\": {" + files + "}}}",
        "--xds-credentials");
  }

  private static double shareOfV1(NodeClient client, int calls) throws InterruptedException {
    int v1 = 0;
    for (int i = 0; i < calls; i++) {
      String answer = client.next();
      assertThat(answer).startsWith("ok ");
      if (answer.equals("ok v1")) {
        v1++;
      }
    }
    return (double) v1 / calls;
  }

  /** {@code client.js} calling {@code xds:///target} one call at a time, {@code calls} times or, when negative, until closed. */
  private NodeClient nodeClient(int port, String target, int calls) throws IOException {
    return nodeClient(port, target, calls, "node-client", "");
  }

  /** The same with {@code more} appended to the bootstrap's top-level fields and {@code options} to the command. */
  private NodeClient nodeClient(int port, String target, int calls, String name, String more, String... options) throws IOException {
    Path bootstrap = Files.writeString(dir.resolve(name + "-bootstrap.json"), """
        {
          "xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
          "node": {"id": "node-client", "cluster": "claimed", "locality": {"zone": "local"}}%s
        }
        """.formatted(port, more));
    List<String> command = new ArrayList<>(List.of(
        "node", "client.js",
        "--target", "xds:///" + target,
        "--method", "/" + CatalogBackend.GET_ITEM.getFullMethodName(),
        "--request-hex", HexFormat.of().formatHex("item".getBytes(StandardCharsets.UTF_8)),
        "--deadline-ms", "10000",
        "--calls", Integer.toString(calls)));
    command.addAll(List.of(options));
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(CLIENT.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("GRPC_XDS_BOOTSTRAP", bootstrap.toString());
    NodeClient client = new NodeClient(pb.start());
    closing.add(client);
    return client;
  }

  /** A running {@code client.js}: its answers, one line per call, decoded as "ok NAME" or "err CODE ...". */
  private static final class NodeClient implements AutoCloseable {
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    NodeClient(Process process) {
      this.process = process;
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            lines.add(line.startsWith("ok ")
                ? "ok " + new String(HexFormat.of().parseHex(line.substring(3)), StandardCharsets.UTF_8)
                : line);
          }
        } catch (IOException e) {
          lines.add("err reading the client: " + e);
        }
        lines.add("err the client exited");
      }, "node-xds-client");
      reader.setDaemon(true);
      reader.start();
    }

    /** The next call's answer; a call waits at most its 10 s deadline, and the client's start a few seconds. */
    String next() throws InterruptedException {
      String line = lines.poll(30, TimeUnit.SECONDS);
      assertThat(line).as("an answer from the Node client within 30 s").isNotNull();
      return line;
    }

    @Override
    public void close() throws Exception {
      process.getOutputStream().close();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  private static boolean commandWorks(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
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
