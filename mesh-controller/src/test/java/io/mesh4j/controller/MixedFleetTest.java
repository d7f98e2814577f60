package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.controller.testing.Utf8;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.grpc.MeshChannels;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 21's mixed fleet: one policy for {@code catalog}, split 70/30 between two grpc-java
 * servers, and three clients calling it at the same time, two of which nobody here wrote: a mesh4j
 * application on the native policy stream, grpc-java's own xDS client ({@code grpc-xds}) and
 * Node.js's {@code @grpc/grpc-js-xds} (a child process; {@link NodeXdsClient}), all against one
 * controller on loopback. Each sees the split over 3,000 calls, and the live change to 20/80
 * within a second of the edit. Once as a {@code TrafficRoute}, which then retries and injects
 * faults; once as a {@code GRPCRoute}, which has neither (Gateway API v1): there its own failures
 * (a rule without backends, a call no rule matches) give all three the same status. Here rather
 * than in mesh-xds: this module's tests build all three clients and hold the Node client.
 */
@Timeout(300)
class MixedFleetTest {

  private static final int CALLS = 3_000;

  private static final String GET_ITEM = "/" + CatalogBackend.GET_ITEM.getFullMethodName();

  /** The same policy in the two kinds the mesh and xDS both serve. */
  enum Policy {
    TRAFFIC_ROUTE {
      @Override
      String split(int v1, int v2) {
        return LocalDirectory.catalogRoute(v1, v2);
      }
    },
    GRPC_ROUTE {
      @Override
      String split(int v1, int v2) {
        return """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              parentRefs: [{group: "", kind: Service, name: catalog}]
              rules:
                - matches: [{method: {service: shop.Catalog, method: GetItem}}]
                  backendRefs:
                    - {name: catalog-v1, port: 8080, weight: %d}
                    - {name: catalog-v2, port: 8080, weight: %d}
                - matches: [{method: {service: shop.Catalog, method: ListItems}}]
            """.formatted(v1, v2);
      }
    };

    abstract String split(int v1, int v2);
  }

  @TempDir Path dir;

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final ExecutorService pool = Executors.newFixedThreadPool(3);

  @BeforeAll
  static void nodeAndItsPackages() {
    NodeXdsClient.assumeNodeAndItsPackages();
  }

  @AfterEach
  void closeEverything() throws Exception {
    pool.shutdownNow();
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @ParameterizedTest
  @EnumSource(Policy.class)
  void threeClientsOnePolicy(Policy policy) throws Exception {
    CatalogBackend v1 = backend("v1");
    CatalogBackend v2 = backend("v2");
    Path config = CatalogBackend.config(dir, v1, v2, policy.split(70, 30));
    // catalog-v1 and catalog-v2, the GRPCRoute's backend Services: one endpoint each
    LocalDirectory.write(config, "versions.yaml", service("catalog-v1", v1) + "---\n" + service("catalog-v2", v2));
    InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
    MeshController controller = MeshController.startLocal(
        new MeshController.LocalOptions(config, loopback, loopback, MeshController.Security.none()));
    closing.add(controller);
    await().atMost(Duration.ofSeconds(10)).until(() -> controller.distributor().isReady());
    List<Client> fleet = List.of(meshClient(controller.grpcPort()), grpcJavaClient(controller.grpcPort()), nodeClient(controller.grpcPort()));

    Map<String, Double> shares = each(fleet, c -> shareOfV1Near(c, 0.70));
    System.out.printf("MixedFleetTest %s 70/30: v1's share over %d calls %s%n", policy, CALLS, shares);

    LocalDirectory.write(config, "catalog.yaml", policy.split(20, 80));
    long edited = System.nanoTime();
    // 100 calls tell 30% from 80% of them to v2 by more than seven standard deviations
    Map<String, Long> seenAfterMs = each(fleet, c -> {
      await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ZERO).until(() -> shareOfV1(c, 100) < 0.5);
      return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - edited);
    });
    shares = each(fleet, c -> shareOfV1Near(c, 0.20));
    System.out.printf("MixedFleetTest %s 20/80: seen after %s ms; v1's share over %d calls %s%n", policy, seenAfterMs, CALLS, shares);

    if (policy == Policy.TRAFFIC_ROUTE) {
      retriesAndFaults(config, fleet, v1, v2);
    } else {
      gatewayFailures(fleet, v1, v2);
    }
    assertThat(controller.xds().nackCount()).as("NACKs from grpc-java and grpc-js-xds").isZero();
  }

  /**
   * A retry policy: v1 fails the first attempt of every tenth call with UNAVAILABLE, and every
   * client's calls all succeed with exactly one more attempt each. Then injected faults: an abort
   * of every call gives all three its status without a call reaching a backend, and an abort of
   * 30% fails that share of each client's calls.
   */
  private void retriesAndFaults(Path config, List<Client> fleet, CatalogBackend v1, CatalogBackend v2) throws Exception {
    LocalDirectory.write(config, "catalog.yaml", v1Route("""
              retries: {attempts: 2, retryOn: [UNAVAILABLE], retryNonIdempotent: true, backoff: {base: 1ms, max: 5ms}}
        """));
    // 50 calls in a row to v1 happen under 20/80 with probability 0.2^50
    each(fleet, c -> {
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ZERO).until(() -> answers(c, 50).equals(List.of("ok v1")));
      return true;
    });
    Map<String, Integer> before = each(fleet, c -> v1.attempts(c.name() + "-"));
    // call n of each client sends "<client>-n": every tenth call is failed once, and 1,000 calls hold 100 of them
    v1.failFirstAttempt = item -> item.endsWith("0");
    Map<String, List<String>> answers = each(fleet, c -> answers(c, 1_000));
    v1.failFirstAttempt = item -> false;
    Map<String, Integer> attempts = each(fleet, c -> v1.attempts(c.name() + "-") - before.get(c.name()));
    System.out.printf("MixedFleetTest retries: attempts for 1000 calls %s%n", attempts);
    assertThat(answers.values()).allSatisfy(a -> assertThat(a).containsExactly("ok v1"));
    assertThat(attempts.values()).containsOnly(1_100);

    LocalDirectory.write(config, "catalog.yaml", v1Route("""
              fault: {abort: {percent: 100, grpcStatus: RESOURCE_EXHAUSTED}}
        """));
    each(fleet, c -> {
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ZERO).until(() -> outcome(c.call()).equals("err RESOURCE_EXHAUSTED"));
      return true;
    });
    int reached = v1.calls.get() + v2.calls.get();
    answers = each(fleet, c -> answers(c, 200));
    assertThat(answers.values()).allSatisfy(a -> assertThat(a).containsExactly("err RESOURCE_EXHAUSTED"));
    assertThat(v1.calls.get() + v2.calls.get()).as("calls that reached a backend through an abort of all").isEqualTo(reached);
    System.out.printf("MixedFleetTest faults: an abort of all, 200 calls each, all err RESOURCE_EXHAUSTED, none reached a backend%n");

    LocalDirectory.write(config, "catalog.yaml", v1Route("""
              fault: {abort: {percent: 30, grpcStatus: ABORTED}}
        """));
    each(fleet, c -> {
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ZERO).until(() -> c.call().equals("ok v1"));
      return true;
    });
    Map<String, Double> aborted = each(fleet, c -> RandomShares.near(c.name() + ": share aborted", 0.30, () -> {
      int n = 0;
      for (int i = 0; i < CALLS; i++) {
        String answer = outcome(c.call());
        assertThat(answer).isIn("ok v1", "err ABORTED");
        n += answer.equals("err ABORTED") ? 1 : 0;
      }
      return (double) n / CALLS;
    }));
    System.out.printf("MixedFleetTest faults: share aborted of %d calls %s%n", CALLS, aborted);
  }

  /**
   * The GRPCRoute's own failures, the same for all three: a rule without backends fails its calls
   * with UNAVAILABLE, a call no rule matches with UNIMPLEMENTED, and neither reaches a backend.
   */
  private void gatewayFailures(List<Client> fleet, CatalogBackend v1, CatalogBackend v2) throws Exception {
    for (String method : List.of("ListItems", "DeleteItem")) {
      String expected = method.equals("ListItems") ? "err UNAVAILABLE" : "err UNIMPLEMENTED";
      Map<String, List<String>> answers = each(fleet, c -> c.other("/shop.Catalog/" + method, 20));
      assertThat(answers.values()).allSatisfy(a -> assertThat(a).hasSize(20).allMatch(s -> s.startsWith(expected + " ")));
      System.out.printf("MixedFleetTest GRPC_ROUTE %s: 20 calls each, all %s%n", method, expected);
    }
    assertThat(v1.unknownCalls.get() + v2.unknownCalls.get()).as("calls that reached a backend").isZero();
  }

  private static String v1Route(String ruleFields) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets: [{name: v1, labels: {version: v1}}]
          rules:
            - backends: [{subset: v1}]
        """ + ruleFields;
  }

  private static String service(String name, CatalogBackend backend) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: %s, namespace: shop}
        spec:
          service: %s
          endpoints: [{address: 127.0.0.1, port: %d}]
        """.formatted(name, name, backend.port());
  }

  /** One client of the fleet: {@code call} answers "ok NAME" or "err CODE ...". */
  private interface Client {
    String name();

    /** Calls GetItem once, with {@code <name>-<n>} for its n-th call. */
    String call() throws Exception;

    /** {@code calls} calls of another {@code method}, and their answers. */
    List<String> other(String method, int calls) throws Exception;
  }

  /** A client on a gRPC channel, meshed or xDS: the channel does the routing. */
  private static final class ChannelClient implements Client {
    private final String name;
    private final ManagedChannel channel;
    private int n;

    ChannelClient(String name, ManagedChannel channel) {
      this.name = name;
      this.channel = channel;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String call() {
      return call(CatalogBackend.GET_ITEM, name + "-" + n++);
    }

    @Override
    public List<String> other(String method, int calls) {
      MethodDescriptor<String, String> other = CatalogBackend.GET_ITEM.toBuilder()
          .setFullMethodName(method.substring(1)).setRequestMarshaller(Utf8.INSTANCE).setResponseMarshaller(Utf8.INSTANCE).build();
      List<String> out = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        out.add(call(other, "item"));
      }
      return out;
    }

    private String call(MethodDescriptor<String, String> method, String item) {
      try {
        return "ok " + ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), item);
      } catch (StatusRuntimeException e) {
        return "err " + e.getStatus().getCode() + " " + e.getStatus().getDescription();
      }
    }
  }

  private Client meshClient(int port) {
    ControllerConfigSource source = ControllerConfigSource.builder("127.0.0.1:" + port)
        .application("fleet").namespace("shop").calls("catalog.shop").build();
    closing.add(source);
    Mesh mesh = Mesh.builder().configSource(source).random(MeshRandom.of(new Random(21))).build();
    closing.add(mesh);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.appliedVersion() > 0);
    ManagedChannel channel = MeshChannels.forService(mesh, "catalog.shop");
    closing.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return new ChannelClient("mesh4j", channel);
  }

  /** grpc-java's xDS client, bootstrapped to the controller (a scheme of its own: no process-wide file). */
  private Client grpcJavaClient(int port) {
    ManagedChannel channel = GrpcJavaXdsClient.channel(port, "catalog.shop",
        Map.of("id", "grpc-java", "cluster", "fleet"), Map.of(), InsecureChannelCredentials.create(), closing);
    return new ChannelClient("grpc-java", channel);
  }

  /** {@code client.js}, one call per line it is sent, until closed. */
  private Client nodeClient(int port) throws IOException {
    NodeXdsClient node = NodeXdsClient.start(dir, port, "catalog.shop", GET_ITEM, "node", true, -1);
    closing.add(node);
    return new Client() {
      @Override
      public String name() {
        return "node";
      }

      @Override
      public String call() throws Exception {
        return node.call(null);
      }

      @Override
      public List<String> other(String method, int calls) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
          out.add(node.call(method));
        }
        return out;
      }
    };
  }

  /** What {@code work} gives for each client, all three running at the same time. */
  private <T> Map<String, T> each(List<Client> fleet, ClientWork<T> work) throws Exception {
    Map<String, Future<T>> running = new LinkedHashMap<>();
    for (Client c : fleet) {
      running.put(c.name(), pool.submit(() -> work.apply(c)));
    }
    Map<String, T> out = new LinkedHashMap<>();
    for (Map.Entry<String, Future<T>> e : running.entrySet()) {
      out.put(e.getKey(), e.getValue().get());
    }
    return out;
  }

  private interface ClientWork<T> {
    T apply(Client c) throws Exception;
  }

  private static double shareOfV1Near(Client c, double expected) throws Exception {
    return RandomShares.near(c.name() + ": v1's share", expected, () -> shareOfV1(c, CALLS));
  }

  private static double shareOfV1(Client c, int calls) throws Exception {
    int v1 = 0;
    for (int i = 0; i < calls; i++) {
      String answer = c.call();
      assertThat(answer).as(c.name()).isIn("ok v1", "ok v2");
      v1 += answer.equals("ok v1") ? 1 : 0;
    }
    return (double) v1 / calls;
  }

  /** The distinct outcomes of {@code calls} calls, in order of first appearance. */
  private static List<String> answers(Client c, int calls) throws Exception {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      String answer = outcome(c.call());
      if (!out.contains(answer)) {
        out.add(answer);
      }
    }
    return out;
  }

  /** "ok NAME", or "err CODE" without the details, which each client words its own way. */
  private static String outcome(String answer) {
    String[] words = answer.split(" ", 3);
    return words.length < 2 ? answer : words[0] + " " + words[1];
  }

  private CatalogBackend backend(String name) throws IOException {
    CatalogBackend b = new CatalogBackend(name, false);
    closing.add(b);
    return b;
  }
}
