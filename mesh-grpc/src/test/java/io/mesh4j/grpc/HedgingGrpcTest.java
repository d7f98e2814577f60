package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hedging through a mesh channel against real servers on loopback, in real time: the scenario of
 * the engine's fake-clock simulation ({@code HedgingTest}) run once with real calls, plus how
 * hedged attempts end.
 */
@Timeout(60)
class HedgingGrpcTest {

  private static final MethodDescriptor<String, String> GET =
      method("shop.Catalog/GetItem", true);
  private static final MethodDescriptor<String, String> ORDER =
      method("shop.Catalog/PlaceOrder", false);

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  private final TestMesh mesh = grpc.register(new TestMesh());
  private final ScheduledExecutorService later = scheduler();
  private final AtomicInteger received = new AtomicInteger();

  private ScheduledExecutorService scheduler() {
    ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor();
    grpc.register(s::shutdownNow);
    return s;
  }

  private static MethodDescriptor<String, String> method(String name, boolean idempotent) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(name)
        .setIdempotent(idempotent)
        .setRequestMarshaller(EchoService.UTF8)
        .setResponseMarshaller(EchoService.UTF8)
        .build();
  }

  /** A server answering with {@code answer}: a delay in ms (answer "ok" then) or a status. */
  private int server(Function<String, Object> answer) throws IOException {
    ServerServiceDefinition.Builder service = ServerServiceDefinition.builder("shop.Catalog");
    for (MethodDescriptor<String, String> m : List.of(GET, ORDER)) {
      service.addMethod(
          m,
          ServerCalls.asyncUnaryCall(
              (String request, StreamObserver<String> response) -> {
                received.incrementAndGet();
                Object a = answer.apply(request);
                if (a instanceof Status status) {
                  response.onError(status.asRuntimeException());
                } else if ((Integer) a == 0) {
                  response.onNext("ok");
                  response.onCompleted();
                } else {
                  later.schedule(
                      () -> {
                        response.onNext("ok");
                        response.onCompleted();
                      },
                      (Integer) a,
                      TimeUnit.MILLISECONDS);
                }
              }));
    }
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .addService(service.build())
            .build()
            .start();
    grpc.register(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return server.getPort();
  }

  private void route(int first, int second, String rule) {
    mesh.apply(
        endpoints(first, "v1", second, "v1")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              loadBalancer: {policy: ROUND_ROBIN}
              outlierDetection: {enabled: false}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              rules:
                - %s
            """
                .formatted(rule));
  }

  private String call(MethodDescriptor<String, String> m) {
    ManagedChannel channel = grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));
    return ClientCalls.blockingUnaryCall(channel, m, CallOptions.DEFAULT, "");
  }

  /**
   * Issue 17's scenario: one of two endpoints stalls 500 ms on 10% of its calls; 2,000 calls from
   * four threads, round robin so that the stalling endpoint keeps half of them.
   */
  @Test
  void aHedgeCutsTheTailOfAnEndpointThatStallsWithinTheRetryBudget() throws Exception {
    Random stalls = new Random(5);
    int fast = server(r -> 0);
    int stalling = server(r -> {
      synchronized (stalls) {
        return stalls.nextInt(10) == 0 ? 500 : 0;
      }
    });
    route(fast, stalling, "hedging: {delay: 50ms}");
    ManagedChannel channel = grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));
    ClientCalls.blockingUnaryCall(channel, GET, CallOptions.DEFAULT, "");
    received.set(0);

    int calls = 2000;
    ExecutorService callers = Executors.newFixedThreadPool(4);
    List<Future<long[]>> results = new ArrayList<>();
    try {
      for (int t = 0; t < 4; t++) {
        results.add(callers.submit(() -> {
          long[] latencies = new long[calls / 4];
          for (int i = 0; i < latencies.length; i++) {
            long start = System.nanoTime();
            assertThat(ClientCalls.blockingUnaryCall(channel, GET, CallOptions.DEFAULT, ""))
                .isEqualTo("ok");
            latencies[i] = System.nanoTime() - start;
          }
          return latencies;
        }));
      }
      long[] all = new long[calls];
      for (int t = 0; t < 4; t++) {
        System.arraycopy(results.get(t).get(50, TimeUnit.SECONDS), 0, all, t * calls / 4, calls / 4);
      }
      Arrays.sort(all);
      long p99 = all[calls * 99 / 100 - 1];
      int extra = received.get() - calls;
      System.out.printf(
          "hedging over loopback: p99 %.1f ms, %d attempts beyond the first of %d calls%n",
          p99 / 1e6, extra, calls);
      assertThat(p99).isLessThan(TimeUnit.MILLISECONDS.toNanos(100));
      // about one call in twenty stalls; every hedge came out of the budget (20% of calls + 100)
      assertThat(extra).isPositive().isLessThanOrEqualTo(calls / 5 + 100);
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aCallThatIsNotSafeToReplayIsNeverHedged() throws Exception {
    int stalling = server(r -> 300);
    route(stalling, server(r -> 300), "hedging: {delay: 20ms}");
    assertThat(call(ORDER)).isEqualTo("ok");
    assertThat(received).hasValue(1);
  }

  @Test
  void aNonFatalFailureSendsTheNextAttemptAtOnceAndAFatalOneEndsTheCall() throws Exception {
    int failing = server(r -> Status.UNAVAILABLE.withDescription("draining"));
    int slow = server(r -> 200);
    route(failing, slow, "hedging: {delay: 10s}");
    // whichever endpoint the first attempt takes, the call is answered by the slow one
    for (int i = 0; i < 2; i++) {
      assertThat(call(GET)).isEqualTo("ok");
    }

    Function<String, Object> noSuchItem = r -> Status.INVALID_ARGUMENT.withDescription("no such item");
    route(server(noSuchItem), server(noSuchItem), "hedging: {delay: 10s}");
    received.set(0);
    assertThatThrownBy(() -> call(GET))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThat(received).hasValue(1);
  }

  @Test
  void whenEveryAttemptFailsNonFatallyTheLastFailureEndsTheCall() throws Exception {
    int failing = server(r -> Status.UNAVAILABLE.withDescription("draining"));
    route(failing, server(r -> Status.UNAVAILABLE.withDescription("draining")),
        "hedging: {delay: 10s, maxAttempts: 3}");
    received.set(0);
    assertThatThrownBy(() -> call(GET))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).isEqualTo("draining"));
    assertThat(received).hasValue(3);
  }

  @Test
  void cancellingAHedgedCallCancelsEveryAttemptAtOnce() throws Exception {
    route(server(r -> 10_000), server(r -> 10_000), "hedging: {delay: 50ms}");
    ManagedChannel channel = grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));
    Context.CancellableContext context = Context.current().withCancellation();
    ListenableFuture<String> answer =
        context.call(() -> ClientCalls.futureUnaryCall(channel.newCall(GET, CallOptions.DEFAULT), ""));
    await().atMost(Duration.ofSeconds(10)).until(() -> received.get() == 2);

    long start = System.nanoTime();
    context.cancel(null);
    assertThatThrownBy(() -> answer.get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(StatusRuntimeException.class)
        .cause()
        .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
            .isEqualTo(Status.Code.CANCELLED));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    assertThat(received).hasValue(2);
  }

  @Test
  void theCallersDeadlineEndsAHedgedCall() throws Exception {
    route(server(r -> 10_000), server(r -> 10_000), "hedging: {delay: 50ms, maxAttempts: 3}");
    ManagedChannel channel = grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));
    long start = System.nanoTime();
    assertThatThrownBy(
            () -> ClientCalls.blockingUnaryCall(
                channel, GET, CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS), ""))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
    // the first attempt and two hedges, 50 ms apart, all within the deadline (long enough for the
    // first connections on a busy machine), though the servers hold each for 10 s
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(received).hasValue(3));
  }
}
