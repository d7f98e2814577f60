package io.mesh4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.controller.MeshController;
import io.mesh4j.controller.serve.AdminTokens;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code mesh4j status} against a real controller in local mode with real applications on loopback. */
@Timeout(30)
class StatusCommandTest {

  private static final String REFUSAL = "TrafficRoute shop/catalog: spec.rules[0]: this engine cannot apply it";

  @TempDir Path dir;

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private @Nullable MeshController controller;

  @BeforeEach
  void startController() throws IOException {
    Files.writeString(
        dir.resolve("mesh.yaml"),
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh, namespace: mesh4j-system}
        spec:
          mtls: PERMISSIVE
        """);
    Files.writeString(
        dir.resolve("catalog.yaml"),
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends:
                - {weight: 100}
        """);
    controller =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                dir, new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.none()));
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
  void anApplicationThatRefusesTheLatestVersionIsShownNackedWithTheReason() {
    Application refusing = new Application(new Problem("TrafficRoute shop/catalog", "spec.rules[0]", "this engine cannot apply it", null));
    Application accepting = new Application(null);
    connect("checkout", refusing);
    connect("frontend", accepting);

    AtomicReference<Run> last = new AtomicReference<>();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              Run run = Run.of("status", "--controller", adminUrl());
              last.set(run);
              return run.out().contains("NACKED") && run.out().contains("SYNCED");
            });

    Run run = last.get();
    assertThat(run.exitCode()).isZero();
    assertThat(run.lines().get(0)).startsWith("APPLICATION").contains("NAMESPACE", "PEER", "SENT", "ACKED", "STATUS", "CONNECTED SINCE", "LAST SYNC", "REASON");
    assertThat(run.lines())
        .anySatisfy(l -> assertThat(l).startsWith("checkout").contains("shop", "NACKED").endsWith(REFUSAL))
        .anySatisfy(l -> assertThat(l).startsWith("frontend").contains("shop", "SYNCED").endsWith("-"));
  }

  @Test
  void anXdsPeerThatRefusesAResourceIsShownNackedWithItsMessage() throws Exception {
    MeshController c = controller;
    assertThat(c).isNotNull();
    ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + c.grpcPort(), InsecureChannelCredentials.create()).build();
    toClose.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    LinkedBlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
        .streamAggregatedResources(new StreamObserver<>() {
          @Override
          public void onNext(DiscoveryResponse value) {
            responses.add(value);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    toClose.add(() -> requests.onError(Status.CANCELLED.asRuntimeException()));
    DiscoveryRequest subscribe = DiscoveryRequest.newBuilder()
        .setNode(Node.newBuilder().setId("peer-7"))
        .setTypeUrl("type.googleapis.com/envoy.config.listener.v3.Listener")
        .addResourceNames("catalog.shop")
        .build();
    requests.onNext(subscribe);
    DiscoveryResponse first = responses.poll(10, TimeUnit.SECONDS);
    assertThat(first).isNotNull();
    requests.onNext(subscribe.toBuilder()
        .setResponseNonce(first.getNonce())
        .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage("unsupported route action"))
        .build());

    AtomicReference<Run> last = new AtomicReference<>();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              Run run = Run.of("status", "--controller", adminUrl());
              last.set(run);
              return run.out().contains("NACKED");
            });
    assertThat(last.get().lines())
        .anySatisfy(l -> assertThat(l).startsWith("unauthenticated").contains(" - ", " xds ", "NACKED")
            .endsWith("Listener catalog.shop: unsupported route action"));
  }

  @Test
  void jsonOutputIsTheControllersStatusDocument() {
    connect("frontend", new Application(null));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> Run.of("status", "--controller", adminUrl()).out().contains("SYNCED"));

    Run run = Run.of("status", "-o", "json", "--controller", adminUrl() + "/");

    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).startsWith("{\"mode\":").contains("\"application\":\"frontend\"", "\"inSync\":true");
  }

  @Test
  void withNoApplicationConnectedItSaysSo() {
    // host:port alone is the admin endpoint over plain HTTP
    MeshController c = controller;
    assertThat(c).isNotNull();
    Run run = Run.of("status", "--controller", "127.0.0.1:" + c.adminPort());

    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).startsWith("no applications connected (controller mode: ");
  }

  @Test
  void anUnreachableControllerIsAnErrorNamingTheAddress() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String address = "http://127.0.0.1:" + port;

    Run run = Run.of("status", "--controller", address);

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).startsWith("mesh4j: cannot reach the controller at " + address + " (");
  }

  @Test
  void anAddressThatIsNotHttpIsAUsageError() {
    Run run = Run.of("status", "--controller", "ftp://127.0.0.1:15014");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--controller: 'ftp://127.0.0.1:15014' is not an http:// or https:// address");
  }

  @Test
  void anAdminEndpointWithTokensNeedsOneFromTheTokenFile(@TempDir Path tokens) throws Exception {
    Path adminTokens = tokens.resolve("admin-tokens");
    Files.writeString(adminTokens, "# operators\nsecret-token-0123456789\n");
    MeshController guarded =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                dir, new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.none(), AdminTokens.load(adminTokens)));
    toClose.add(guarded);
    String address = "http://127.0.0.1:" + guarded.adminPort();

    Run refused = Run.of("status", "--controller", address);
    Run allowed = Run.of("status", "--controller", address, "--token-file", adminTokens.toString());

    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err())
        .startsWith("mesh4j: the controller at " + address + " answered 401: mesh4j: /status needs 'Authorization: Bearer <token>'")
        .contains("--token-file");
    assertThat(allowed.exitCode()).as(allowed.err()).isZero();
    assertThat(allowed.out()).startsWith("no applications connected");
  }

  private String adminUrl() {
    MeshController c = controller;
    assertThat(c).isNotNull();
    return "http://127.0.0.1:" + c.adminPort();
  }

  private void connect(String name, Application app) {
    MeshController c = controller;
    assertThat(c).isNotNull();
    ControllerConfigSource source =
        ControllerConfigSource.builder("127.0.0.1:" + c.grpcPort())
            .application(name)
            .namespace("shop")
            .identity("spiffe://cluster.local/ns/shop/sa/" + name)
            .calls("catalog")
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .random(new SplittableRandom(42))
            .build();
    toClose.add(source);
    source.start(app);
  }

  /** An application's engine that applies every set, or refuses every set with {@code refusal}. */
  private record Application(@Nullable Problem refusal) implements ConfigSource.Listener {
    @Override
    public ApplyResult onUpdate(PolicySet policies) {
      Problem p = refusal;
      return p == null ? ApplyResult.accepted() : ApplyResult.refused(List.of(p));
    }

    @Override
    public void onRejected(List<Problem> problems) {}
  }
}
