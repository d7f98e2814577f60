package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.ROUTE_ALL;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static io.mesh4j.core.testing.TestMesh.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Mesh channels against real gRPC servers on loopback. */
class MeshChannelsTest {

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  private final TestMesh mesh = grpc.register(new TestMesh());

  private ManagedChannel channel() {
    return grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));
  }

  private static String call(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "hi");
  }

  private static String call(ManagedChannel channel, CallOptions options) {
    return ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, options, "hi");
  }


  @Test
  @Timeout(60)
  void weightedRouteSplitsCallsEightyTwentyAndSpreadsThemEvenlyInsideTheSubset() {
    Backend a = grpc.backend("v1-a");
    Backend b = grpc.backend("v1-b");
    Backend c = grpc.backend("v2");
    mesh.apply(
        endpoints(a.port(), "v1", b.port(), "v1", c.port(), "v2")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              subsets:
                - {name: v1, labels: {version: v1}}
                - {name: v2, labels: {version: v2}}
              rules:
                - backends: [{subset: v1, weight: 80}, {subset: v2, weight: 20}]
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              # even shares inside a subset are round robin's (peak-EWMA follows latency)
              loadBalancer: {policy: ROUND_ROBIN}
            """);
    ManagedChannel channel = channel();

    Map<String, Integer> answers = new HashMap<>();
    int total = 10_000;
    for (int i = 0; i < total; i++) {
      answers.merge(call(channel), 1, Integer::sum);
    }

    int v1 = answers.getOrDefault("v1-a", 0) + answers.getOrDefault("v1-b", 0);
    assertThat(v1 + answers.getOrDefault("v2", 0)).isEqualTo(total);
    assertThat(v1 / (double) total).isCloseTo(0.80, within(0.02));
    assertThat(answers.getOrDefault("v1-a", 0) / (double) v1).isCloseTo(0.5, within(0.05));
  }

  @Test
  @Timeout(60)
  void retriesHideAnEndpointThatAlwaysFailsUntilOutlierDetectionEjectsIt() {
    Backend good1 = grpc.backend("good-1");
    Backend good2 = grpc.backend("good-2");
    Backend bad = grpc.backend("bad").failWith(Status.UNAVAILABLE.withDescription("down"));
    mesh.apply(
        endpoints(good1.port(), "v1", good2.port(), "v1", bad.port(), "v1")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              rules:
                - backends: [{}]
                  retries: {attempts: 3, retryOn: [UNAVAILABLE]}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              # round robin keeps choosing bad until it is ejected (peak-EWMA would avoid it sooner)
              loadBalancer: {policy: ROUND_ROBIN}
              outlierDetection: {consecutiveFailures: 3, baseEjectionTime: 30s, maxEjectionPercent: 50}
            """);
    ManagedChannel channel = channel();

    for (int i = 0; i < 200; i++) {
      assertThat(call(channel)).startsWith("good-");
    }

    assertThat(mesh.ejected()).containsExactly(TestMesh.authority(bad.port()));
    int badCallsAfterEjection = bad.calls();
    for (int i = 0; i < 100; i++) {
      assertThat(call(channel)).startsWith("good-");
    }
    assertThat(bad.calls()).isEqualTo(badCallsAfterEjection);
  }

  @Test
  @Timeout(30)
  void endpointRefusingConnectionsIsRetriedElsewhereAsAConnectFailure() {
    Backend down = grpc.backend("down");
    Backend up = grpc.backend("up");
    String config = endpoints(down.port(), "v1", up.port(), "v1");
    down.close();
    mesh.apply(config + route("retries: {attempts: 2, retryOn: [connect-failure]}"));
    ManagedChannel channel = channel();

    for (int i = 0; i < 20; i++) {
      assertThat(call(channel)).isEqualTo("up");
    }
  }

  @Test
  @Timeout(30)
  void withoutARetryPolicyNoCallFailsForAnEndpointRefusingConnections() {
    // A mesh channel has grpc-java's own (transparent) retries off; the engine's retry of a
    // request that never left takes their place. Whether the closed endpoint is chosen before
    // its connection is known to fail depends on timing; when it is, the call must still succeed,
    // sent once more (DeadlineAndRetryTest proves the decision itself deterministically).
    Backend down = grpc.backend("down");
    Backend up = grpc.backend("up");
    String config = endpoints(down.port(), "v1", up.port(), "v1");
    down.close();
    mesh.apply(config + ROUTE_ALL);
    ManagedChannel channel = channel();

    for (int i = 0; i < 20; i++) {
      assertThat(call(channel)).isEqualTo("up");
    }
    assertThat(mesh.retriesScheduled())
        .as("a call sent to the closed endpoint is sent once more, never twice")
        .allMatch((CATALOG + "#2")::equals);
  }

  @Test
  @Timeout(60)
  void openBreakerFailsCallsFastWithTheMeshMessageAndClosesAfterItsWait() {
    Backend backend = grpc.backend("only").failWith(Status.UNAVAILABLE.withDescription("down"));
    mesh.apply(
        endpoints(backend.port(), "v1")
            + ROUTE_ALL
            + """
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              circuitBreaker:
                failureRateThreshold: 50
                minimumCalls: 10
                slidingWindowSize: 10
                waitInOpenState: 500ms
                permittedCallsInHalfOpen: 1
            """);
    ManagedChannel channel = channel();

    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(() -> call(channel))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getDescription()).isEqualTo("down"));
    }
    assertThat(backend.calls()).isEqualTo(10);

    assertThatThrownBy(() -> call(channel))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .startsWith("mesh4j: circuit open for " + CATALOG);
            });
    assertThat(backend.calls()).isEqualTo(10);

    backend.failWith(Status.OK);
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(() -> call(channel).equals("only"));
    assertThat(mesh.breakerTransitions()).contains("CLOSED->OPEN", "HALF_OPEN->CLOSED");
  }

  @Test
  @Timeout(60)
  void flippingWeightsUnderConcurrentLoadMovesTrafficWithoutFailingACall() throws Exception {
    Backend v1 = grpc.backend("v1");
    Backend v2 = grpc.backend("v2");
    String split =
        endpoints(v1.port(), "v1", v2.port(), "v2")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              subsets:
                - {name: v1, labels: {version: v1}}
                - {name: v2, labels: {version: v2}}
              rules:
                - backends: [{subset: v1, weight: %d}, {subset: v2, weight: %d}]
            """;
    mesh.apply(split.formatted(100, 0));
    ManagedChannel channel = channel();

    int threads = 8;
    List<Thread> workers = new ArrayList<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger calls = new AtomicInteger();
    for (int t = 0; t < threads; t++) {
      Thread worker =
          new Thread(
              () -> {
                while (running.get()) {
                  try {
                    call(channel);
                    calls.incrementAndGet();
                  } catch (RuntimeException e) {
                    failures.add(e);
                  }
                }
              });
      workers.add(worker);
      worker.start();
    }
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> v1.calls() >= 500);
      // read before the flip: calls planned right after it may reach v2 before a later read
      int v2BeforeFlip = v2.calls();
      mesh.apply(split.formatted(0, 100));
      int v1AtFlip = v1.calls();
      await().atMost(Duration.ofSeconds(10)).until(() -> v2.calls() >= 500);
      // Calls planned before the flip may still land on v1: at most one per worker.
      assertThat(v1.calls() - v1AtFlip).isLessThanOrEqualTo(threads);
      assertThat(v2BeforeFlip).isZero();
    } finally {
      running.set(false);
      for (Thread worker : workers) {
        worker.join(TimeUnit.SECONDS.toMillis(10));
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  @Timeout(60)
  void removingAnEndpointUnderLoadFailsNoCallSendsItNothingNewAndLetsItsSlowCallFinish()
      throws Exception {
    Backend a = grpc.backend("a");
    Backend b = grpc.backend("b");
    Backend removed = grpc.backend("removed");
    mesh.apply(endpoints(a.port(), "v1", b.port(), "v1", removed.port(), "v1") + ROUTE_ALL);
    ManagedChannel channel = channel();

    int threads = 4;
    List<Thread> workers = new ArrayList<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    AtomicBoolean running = new AtomicBoolean(true);
    for (int t = 0; t < threads; t++) {
      Thread worker =
          new Thread(
              () -> {
                while (running.get()) {
                  try {
                    call(channel);
                  } catch (RuntimeException e) {
                    failures.add(e);
                  }
                }
              });
      workers.add(worker);
      worker.start();
    }
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> removed.calls() >= 20);
      removed.answerAfter(Duration.ofSeconds(2));
      await().atMost(Duration.ofSeconds(10)).until(() -> removed.active() >= 1);

      mesh.apply(endpoints(a.port(), "v1", b.port(), "v1") + ROUTE_ALL);
      int removedAtUpdate = removed.calls();
      int othersAtUpdate = a.calls() + b.calls();

      await().atMost(Duration.ofSeconds(20)).until(() -> a.calls() + b.calls() >= othersAtUpdate + 500);
      // Calls planned before the update may still reach it: at most one per worker.
      assertThat(removed.calls() - removedAtUpdate).isLessThanOrEqualTo(threads);
      int removedAfterDrain = removed.calls();
      // Its slow calls, in flight when it was removed, are answered, not cut off.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> removed.active() == 0 && removed.answered() == removed.calls());
      await()
          .during(Duration.ofMillis(500))
          .atMost(Duration.ofSeconds(5))
          .until(() -> removed.calls() == removedAfterDrain);
    } finally {
      running.set(false);
      for (Thread worker : workers) {
        worker.join(TimeUnit.SECONDS.toMillis(10));
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  @Timeout(60)
  void retryBudgetBoundsAttemptsWhenEveryEndpointFails() {
    List<Backend> backends = grpc.backends("a", "b", "c");
    for (Backend backend : backends) {
      backend.failWith(Status.UNAVAILABLE.withDescription("down"));
    }
    mesh.apply(
        endpoints(backends.get(0).port(), "v1", backends.get(1).port(), "v1", backends.get(2).port(), "v1")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              rules:
                - backends: [{}]
                  retries:
                    attempts: 5
                    retryOn: [UNAVAILABLE]
                    backoff: {base: 1ms, max: 5ms}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              retryBudget: {retryPercent: 20, minRetriesPerSecond: 0, window: 10s}
            """);
    ManagedChannel channel = channel();

    int calls = 100;
    for (int i = 0; i < calls; i++) {
      assertThatThrownBy(() -> call(channel)).isInstanceOf(StatusRuntimeException.class);
    }

    int attempts = backends.stream().mapToInt(Backend::calls).sum();
    // Without the budget, 5 attempts per call would make 500.
    assertThat(attempts).isBetween(calls + 1, calls + calls * 20 / 100 + 1);
  }

  @Test
  @Timeout(30)
  void callerDeadlineEndsASlowCall() {
    Backend slow = grpc.backend("slow").answerAfter(Duration.ofSeconds(5));
    mesh.apply(endpoints(slow.port(), "v1") + ROUTE_ALL);
    ManagedChannel channel = channel();

    long start = System.nanoTime();
    assertThatThrownBy(
            () -> call(channel, CallOptions.DEFAULT.withDeadlineAfter(200, TimeUnit.MILLISECONDS)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  @Timeout(30)
  void routeTimeoutEndsASlowCall() {
    Backend slow = grpc.backend("slow").answerAfter(Duration.ofSeconds(5));
    mesh.apply(endpoints(slow.port(), "v1") + route("timeout: 200ms"));
    ManagedChannel channel = channel();

    long start = System.nanoTime();
    assertThatThrownBy(() -> call(channel))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
  }



  @Test
  @Timeout(30)
  void injectedDelayHoldsCallsBeforeSendingThem() {
    Backend backend = grpc.backend("only");
    mesh.apply(
        endpoints(backend.port(), "v1") + route("fault: {delay: {percent: 100, duration: 300ms}}"));
    ManagedChannel channel = channel();

    long start = System.nanoTime();
    assertThat(call(channel)).isEqualTo("only");
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }


  @Test
  @Timeout(30)
  void serverStreamingCallsAreRoutedByMethod() {
    Backend v1 = grpc.backend("v1");
    Backend v2 = grpc.backend("v2");
    mesh.apply(
        endpoints(v1.port(), "v1", v2.port(), "v2")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              subsets:
                - {name: v1, labels: {version: v1}}
                - {name: v2, labels: {version: v2}}
              rules:
                - matches: [{grpc: {service: test.Echo, method: Stream}}]
                  backends: [{subset: v2}]
                - backends: [{subset: v1}]
            """);
    ManagedChannel channel = channel();

    assertThat(stream(channel, 3)).containsExactly("v2#0", "v2#1", "v2#2");
    assertThat(call(channel)).isEqualTo("v1");
  }

  @Test
  @Timeout(30)
  void streamFailingBeforeItsFirstMessageIsRetried() {
    Backend broken = grpc.backend("broken").failWith(Status.UNAVAILABLE.withDescription("down"));
    Backend healthy = grpc.backend("healthy");
    mesh.apply(
        endpoints(broken.port(), "v1", healthy.port(), "v1")
            + route("retries: {attempts: 2, retryOn: [UNAVAILABLE]}"));
    ManagedChannel channel = channel();

    for (int i = 0; i < 10; i++) {
      assertThat(stream(channel, 2)).containsExactly("healthy#0", "healthy#1");
    }
  }

  @Test
  @Timeout(30)
  void streamFailingAfterAMessageIsNotRetried() {
    Backend backend = grpc.backend("only").breakStreamsAfter(2);
    mesh.apply(
        endpoints(backend.port(), "v1") + route("retries: {attempts: 3, retryOn: [UNAVAILABLE]}"));
    ManagedChannel channel = channel();

    List<String> received = new ArrayList<>();
    assertThatThrownBy(
            () -> {
              Iterator<String> it =
                  ClientCalls.blockingServerStreamingCall(
                      channel, EchoService.STREAM, CallOptions.DEFAULT, "5");
              while (it.hasNext()) {
                received.add(it.next());
              }
            })
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(received).containsExactly("only#0", "only#1");
    assertThat(backend.calls()).isEqualTo(1);
  }

  @Test
  @Timeout(30)
  void streamFailingAfterAMessageSchedulesNoRetryAndLeavesTheBudgetToOtherCalls() {
    Backend backend = grpc.backend("only").breakStreamsAfter(1);
    mesh.apply(
        endpoints(backend.port(), "v1")
            + route("retries: {attempts: 2, retryOn: [UNAVAILABLE], backoff: {base: 1ms, max: 2ms}}")
            + """
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              retryBudget: {retryPercent: 10, minRetriesPerSecond: 0, window: 60s}
            """);
    ManagedChannel channel = channel();

    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(() -> stream(channel, 3)).isInstanceOf(StatusRuntimeException.class);
    }
    assertThat(mesh.retriesScheduled()).isEmpty();

    // Eleven calls in the window leave room for one retry, unless the streams had spent it.
    backend.failWith(Status.UNAVAILABLE.withDescription("down"));
    int before = backend.calls();
    assertThatThrownBy(() -> call(channel)).isInstanceOf(StatusRuntimeException.class);
    assertThat(backend.calls() - before).isEqualTo(2);
    assertThat(mesh.retriesScheduled()).containsExactly(CATALOG + "#2");
  }

  @Test
  @Timeout(30)
  void attemptLatencyIsMeasuredOnTheMeshTicker() {
    Backend backend = grpc.backend("only");
    // Every reading is five seconds after the previous one, so each attempt lasts seconds on the
    // mesh's clock while it takes milliseconds on the system's.
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
    io.mesh4j.core.source.StaticConfigSource source =
        io.mesh4j.core.source.StaticConfigSource.empty();
    io.mesh4j.core.Mesh slowClock =
        grpc.register(
            io.mesh4j.core.Mesh.builder()
                .configSource(source)
                .ticker(() -> now.addAndGet(TimeUnit.SECONDS.toNanos(5)))
                .build());
    assertThat(
            source
                .push(
                    endpoints(backend.port(), "v1")
                        + ROUTE_ALL
                        + """
                        ---
                        apiVersion: mesh4j.io/v1alpha1
                        kind: DestinationPolicy
                        metadata: {name: catalog, namespace: shop}
                        spec:
                          destination: catalog.shop
                          circuitBreaker:
                            slowCallRateThreshold: 50
                            slowCallDuration: 1s
                            minimumCalls: 2
                            slidingWindowSize: 2
                            waitInOpenState: 1000h
                        """)
                .problems())
        .isEmpty();
    ManagedChannel channel = grpc.channel(MeshChannels.forService(slowClock, CATALOG));

    assertThat(call(channel)).isEqualTo("only");
    assertThat(call(channel)).isEqualTo("only");

    // Both calls were slow on the mesh's clock, so the breaker opened on its slow-call rate.
    assertThatThrownBy(() -> call(channel))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).contains("slow-call rate"));
    assertThat(backend.calls()).isEqualTo(2);
  }

  @Test
  @Timeout(30)
  void callCancelledBeforeItStartsCannotBeStarted() {
    Backend backend = grpc.backend("only");
    mesh.apply(endpoints(backend.port(), "v1") + ROUTE_ALL);
    ManagedChannel channel = channel();

    ClientCall<String, String> call = channel.newCall(EchoService.UNARY, CallOptions.DEFAULT);
    call.cancel("changed my mind", null);

    assertThatThrownBy(() -> call.start(new ClientCall.Listener<>() {}, new Metadata()))
        .isInstanceOf(IllegalStateException.class);
    assertThat(backend.calls()).isZero();
  }


  @Test
  @Timeout(30)
  void clientStreamingCallKeepsItsMessagesInOrderThroughAnInjectedDelay() throws Exception {
    Backend backend = grpc.backend("only");
    mesh.apply(
        endpoints(backend.port(), "v1") + route("fault: {delay: {percent: 100, duration: 200ms}}"));
    ManagedChannel channel = channel();

    CompletableFuture<String> answer = new CompletableFuture<>();
    StreamObserver<String> requests =
        ClientCalls.asyncClientStreamingCall(
            channel.newCall(EchoService.COLLECT, CallOptions.DEFAULT),
            new StreamObserver<>() {
              @Override
              public void onNext(String value) {
                answer.complete(value);
              }

              @Override
              public void onError(Throwable t) {
                answer.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    for (String m : List.of("a", "b", "c")) {
      requests.onNext(m);
    }
    requests.onCompleted();

    assertThat(answer.get(5, TimeUnit.SECONDS)).isEqualTo("only:a,b,c");
  }

  @Test
  @Timeout(60)
  void everyAttemptGivesItsPermitBackHoweverTheCallEnds() throws Exception {
    Backend backend = grpc.backend("only");
    mesh.apply(
        endpoints(backend.port(), "v1")
            + route("retries: {attempts: 3, retryOn: [UNAVAILABLE], backoff: {base: 1ms, max: 2ms}}")
            + """
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              circuitBreaker: {minimumCalls: 1000, slidingWindowSize: 1000, maxConcurrentRequests: 3}
            """);
    ManagedChannel channel = channel();

    for (int i = 0; i < 10; i++) {
      call(channel);
    }
    backend.failWith(Status.UNAVAILABLE);
    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> call(channel)).isInstanceOf(StatusRuntimeException.class);
    }
    backend.failWith(Status.OK).answerAfter(Duration.ofSeconds(2));
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(
              () -> call(channel, CallOptions.DEFAULT.withDeadlineAfter(100, TimeUnit.MILLISECONDS)))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    }
    int before = backend.calls();
    ListenableFuture<String> cancelled =
        ClientCalls.futureUnaryCall(channel.newCall(EchoService.UNARY, CallOptions.DEFAULT), "hi");
    await().atMost(Duration.ofSeconds(5)).until(() -> backend.calls() > before);
    cancelled.cancel(true);
    backend.answerAfter(Duration.ZERO).breakStreamsAfter(1);
    assertThatThrownBy(() -> stream(channel, 3)).isInstanceOf(StatusRuntimeException.class);

    // The destination admits three attempts at once; all three must be free again.
    await().atMost(Duration.ofSeconds(5)).until(() -> freeAttempts() == 3);
  }

  /** Takes attempts until the mesh refuses one, gives them back, and says how many it got. */
  private int freeAttempts() {
    List<Attempt> taken = new ArrayList<>();
    try {
      while (taken.size() < 10) {
        Attempt attempt =
            mesh.mesh()
                .outbound()
                .plan(OutboundCall.builder(CATALOG).grpc(EchoService.SERVICE, "Unary").build())
                .nextAttempt();
        if (!attempt.admitted()) {
          break;
        }
        taken.add(attempt);
      }
      return taken.size();
    } finally {
      for (Attempt attempt : taken) {
        attempt.settle(Outcome.cancelled());
      }
    }
  }

  @Test
  @Timeout(30)
  void interceptorsAddedToTheBuilderSeeEachLogicalCallOnce() {
    Backend broken = grpc.backend("broken").failWith(Status.UNAVAILABLE.withDescription("down"));
    Backend healthy = grpc.backend("healthy");
    mesh.apply(
        endpoints(broken.port(), "v1", healthy.port(), "v1")
            + route("retries: {attempts: 2, retryOn: [UNAVAILABLE]}")
            + """
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              # round robin sends broken its share once its connection is ready
              loadBalancer: {policy: ROUND_ROBIN}
            """);
    AtomicInteger seen = new AtomicInteger();
    ClientInterceptor counting =
        new ClientInterceptor() {
          @Override
          public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
              MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
            seen.incrementAndGet();
            return next.newCall(method, callOptions);
          }
        };
    ManagedChannel channel =
        grpc.channel(
            MeshChannels.builderForService(mesh.mesh(), CATALOG).intercept(counting).build());

    // Until broken has been tried (its connection may be ready after the first calls), and at
    // least 20 calls: each call the mesh retried is still one call to the outer interceptor.
    AtomicInteger made = new AtomicInteger();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              assertThat(call(channel)).isEqualTo("healthy");
              return made.incrementAndGet() >= 20 && broken.calls() > 0;
            });

    assertThat(seen).hasValue(made.get());
  }

  @Test
  @Timeout(30)
  void aConnectedEndpointIsPickedWithoutCopyingTheCallOptionsAndAnUnreadyOneIsWaitedFor()
      throws Exception {
    Backend a = grpc.backend("a");
    mesh.apply(endpoints(a.port(), "v1") + ROUTE_ALL);
    List<Boolean> optionsNameTheAttempt = new CopyOnWriteArrayList<>();
    ManagedChannel channel =
        handBuiltMeshChannel(
            recordingWhetherOptionsNameTheAttempt(optionsNameTheAttempt),
            MeshChannels.clientInterceptor(mesh.mesh()));

    // Until the channel has shown that its picker is the mesh's, attempts name themselves.
    assertThat(call(channel)).isEqualTo("a");
    assertThat(optionsNameTheAttempt).containsExactly(true);
    optionsNameTheAttempt.clear();
    for (int i = 0; i < 20; i++) {
      assertThat(call(channel)).isEqualTo("a");
    }
    assertThat(optionsNameTheAttempt).hasSize(20).containsOnly(false);

    // An endpoint whose connection never becomes ready (it accepts TCP and never answers): the
    // attempt's first call is cancelled before it sends anything, and the attempt starts again
    // naming itself, to wait for the connection as long as the call's deadline allows.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      mesh.apply(
          endpoints(a.port(), "v1", silent.getLocalPort(), "v2")
              + """
              apiVersion: mesh4j.io/v1alpha1
              kind: TrafficRoute
              metadata: {name: catalog, namespace: shop}
              spec:
                destination: catalog.shop
                subsets: [{name: v2, labels: {version: v2}}]
                rules:
                  - backends: [{subset: v2}]
              """);
      optionsNameTheAttempt.clear();
      assertThatThrownBy(
              () -> call(channel, CallOptions.DEFAULT.withDeadlineAfter(300, TimeUnit.MILLISECONDS)))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
      assertThat(optionsNameTheAttempt).containsExactly(false, true);
    }
    assertThat(a.calls()).isEqualTo(21);
  }

  @Test
  @Timeout(30)
  void anInterceptorSharedWithAChannelOfAnotherBalancerStartsEachOfItsAttemptsOnce() {
    Backend a = grpc.backend("a");
    mesh.apply(endpoints(a.port(), "v1") + ROUTE_ALL);
    ClientInterceptor shared = MeshChannels.clientInterceptor(mesh.mesh());
    List<Boolean> plainCalls = new CopyOnWriteArrayList<>();
    ClientInterceptor recorder = recordingWhetherOptionsNameTheAttempt(plainCalls);
    ManagedChannel meshChannel = handBuiltMeshChannel(shared);
    // pick_first to the same server: its picker knows nothing of the mesh's attempts.
    ManagedChannel plainChannel =
        grpc.channel(
            io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", a.port())
                .usePlaintext()
                .overrideAuthority(CATALOG) // the destination the mesh plans for
                .disableRetry()
                .intercept(recorder)
                .intercept(shared)
                .build());

    for (int i = 0; i < 3; i++) {
      assertThat(call(meshChannel)).isEqualTo("a");
    }
    for (int i = 0; i < 5; i++) {
      assertThat(call(plainChannel)).isEqualTo("a");
      assertThat(call(meshChannel)).isEqualTo("a");
    }

    assertThat(plainCalls).hasSize(5).containsOnly(true);
    assertThat(a.calls()).isEqualTo(13);
  }

  /**
   * Records, for each call the channel is given, whether its options name the mesh's attempt (the
   * copy a pick on another thread needs) or not (picked as it starts).
   */
  private static ClientInterceptor recordingWhetherOptionsNameTheAttempt(List<Boolean> record) {
    return new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
        record.add(AttemptTracer.chosen(callOptions) != null);
        return next.newCall(method, callOptions);
      }
    };
  }

  /**
   * A channel built by hand on the catalog's {@code mesh:///} target. The last of {@code
   * interceptors} runs first, so one before the mesh's sees each attempt's call.
   */
  private ManagedChannel handBuiltMeshChannel(ClientInterceptor... interceptors) {
    return grpc.channel(
        io.grpc.Grpc.newChannelBuilder(
                MeshNameResolverProvider.SCHEME + ":///" + CATALOG,
                io.grpc.InsecureChannelCredentials.create())
            .setNameResolverArg(MeshNameResolverProvider.MESH, mesh.mesh())
            .disableRetry()
            .intercept(interceptors)
            .build());
  }

  private static List<String> stream(ManagedChannel channel, int count) {
    List<String> out = new ArrayList<>();
    ClientCalls.blockingServerStreamingCall(
            channel, EchoService.STREAM, CallOptions.DEFAULT, Integer.toString(count))
        .forEachRemaining(out::add);
    return out;
  }

  /**
   * Endpoints {@code primary} (label v1) and {@code shadow} (label shadow); calls go to v1 and
   * {@code percent} of them are copied to the shadow subset, plus {@code policy} for the
   * destination (may be empty).
   */
  private void mirrorPolicy(Backend primary, Backend shadow, int percent, String policy) {
    mesh.apply(
        endpoints(primary.port(), "v1", shadow.port(), "shadow")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              subsets:
                - {name: v1, labels: {version: v1}}
                - {name: shadow, labels: {version: shadow}}
              rules:
                - backends: [{subset: v1}]
                  mirror: {subset: shadow, percent: %d}
            """
                .formatted(percent)
            + policy);
  }

  @Test
  @Timeout(60)
  void everyUnaryCallIsCopiedToTheShadowSubsetAndOnlyThePrimaryAnswers() {
    Backend primary = grpc.backend("primary");
    Backend shadow = grpc.backend("shadow");
    mirrorPolicy(primary, shadow, 100, "");
    ManagedChannel channel = channel();

    int calls = 50;
    for (int i = 0; i < calls; i++) {
      assertThat(call(channel)).isEqualTo("primary");
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> shadow.calls() == calls);
    assertThat(primary.calls()).isEqualTo(calls);
  }

  @Test
  @Timeout(60)
  void slowShadowDoesNotSlowThePrimaryCalls() {
    Backend primary = grpc.backend("primary");
    Backend shadow = grpc.backend("shadow").answerAfter(Duration.ofSeconds(2));
    mirrorPolicy(primary, shadow, 100, "");
    ManagedChannel channel = channel();
    call(channel); // connections are up before anything is timed

    long slowest = 0;
    for (int i = 0; i < 20; i++) {
      long start = System.nanoTime();
      assertThat(call(channel)).isEqualTo("primary");
      slowest = Math.max(slowest, System.nanoTime() - start);
    }

    // Each copy takes two seconds; a primary call that waited for one would take as long.
    assertThat(Duration.ofNanos(slowest)).isLessThan(Duration.ofSeconds(1));
    await().atMost(Duration.ofSeconds(10)).until(() -> shadow.calls() == 21);
  }

  @Test
  @Timeout(60)
  void failingOrUnreachableShadowNeverFailsThePrimary() {
    Backend primary = grpc.backend("primary");
    Backend shadow = grpc.backend("shadow").failWith(Status.INTERNAL.withDescription("broken"));
    mirrorPolicy(primary, shadow, 100, "");
    ManagedChannel channel = channel();

    for (int i = 0; i < 30; i++) {
      assertThat(call(channel)).isEqualTo("primary");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> shadow.calls() == 30);

    shadow.close();
    for (int i = 0; i < 30; i++) {
      assertThat(call(channel)).isEqualTo("primary");
    }
    assertThat(primary.calls()).isEqualTo(60);
  }

  @Test
  @Timeout(60)
  void fiftyPercentMirrorCopiesAboutHalfOfTheCalls() {
    Backend primary = grpc.backend("primary");
    Backend shadow = grpc.backend("shadow");
    mirrorPolicy(primary, shadow, 50, "");
    ManagedChannel channel = channel();

    int calls = 400;
    for (int i = 0; i < calls; i++) {
      assertThat(call(channel)).isEqualTo("primary");
    }

    // 200 expected; the bounds are six standard deviations away.
    await().atMost(Duration.ofSeconds(10)).until(() -> shadow.calls() >= 140);
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(5))
        .until(() -> shadow.calls() <= 260);
  }

  @Test
  @Timeout(60)
  void copyStillRunningAtThePrimaryDeadlineIsCancelledAndGivesItsPermitBack() {
    Backend primary = grpc.backend("primary");
    Backend shadow = grpc.backend("shadow").answerAfter(Duration.ofSeconds(20));
    mirrorPolicy(
        primary,
        shadow,
        100,
        """
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: DestinationPolicy
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          circuitBreaker: {minimumCalls: 1000, slidingWindowSize: 1000, maxConcurrentRequests: 1}
        """);
    ManagedChannel channel = channel();

    long start = System.nanoTime();
    assertThat(call(channel, CallOptions.DEFAULT.withDeadlineAfter(300, TimeUnit.MILLISECONDS)))
        .isEqualTo("primary");
    await().atMost(Duration.ofSeconds(5)).until(() -> shadow.calls() == 1);

    // The shadow subset admits one copy at a time; its slot is free again once the copy is cut
    // off at the call's deadline, long before the shadow would answer.
    await().atMost(Duration.ofSeconds(5)).until(this::shadowSlotFree);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  /** Whether the engine would admit a mirror copy now; gives back whatever it took. */
  private boolean shadowSlotFree() {
    io.mesh4j.core.call.CallPlan plan =
        mesh.mesh()
            .outbound()
            .plan(OutboundCall.builder(CATALOG).grpc(EchoService.SERVICE, "Unary").build());
    Attempt primary = plan.nextAttempt();
    Attempt copy = plan.mirrorAttempt();
    try {
      return copy != null && copy.admitted();
    } finally {
      if (primary.admitted()) {
        primary.settle(Outcome.cancelled());
      }
      if (copy != null) {
        copy.settle(Outcome.cancelled());
      }
    }
  }
}
