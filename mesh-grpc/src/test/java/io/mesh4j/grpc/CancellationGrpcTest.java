package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The caller's {@link Context} ends a mesh call at once while the mesh waits between attempts (a
 * 10 s retry backoff, a 10 s fault delay), against real gRPC servers on loopback. Each case prints
 * the time from the cancellation to the call's close; the bound it asserts is generous, so a
 * loaded machine does not fail it, while a wait that runs its course (10 s) still does.
 */
class CancellationGrpcTest {

  /** Far above the few milliseconds a prompt close takes, far below the 10 s waits. */
  private static final Duration PROMPT = Duration.ofSeconds(1);

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  private final TestMesh mesh = grpc.register(new TestMesh());

  private ManagedChannel channel() {
    return grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));
  }

  private static String route(String settings) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          rules:
            - timeout: 60s
              backends: [{}]
        """
        + "      "
        + settings
        + "\n";
  }

  private static final String BACKOFF_10S =
      "retries: {attempts: 3, retryOn: [UNAVAILABLE], backoff: {base: 10s, max: 10s}}";

  private static final String DELAY_10S = "fault: {delay: {percent: 100, duration: 10s}}";

  /** How a call closed, and when (System.nanoTime). */
  private record Closed(Status status, long atNanos) {}

  /** Starts a unary call in {@code context}; the future completes when the call closes. */
  private static CompletableFuture<Closed> startIn(Context context, ManagedChannel channel) {
    CompletableFuture<Closed> closed = new CompletableFuture<>();
    context.run(
        () -> {
          ClientCall<String, String> call = channel.newCall(EchoService.UNARY, CallOptions.DEFAULT);
          call.start(
              new ClientCall.Listener<>() {
                @Override
                public void onClose(Status status, Metadata trailers) {
                  closed.complete(new Closed(status, System.nanoTime()));
                }
              },
              new Metadata());
          call.request(1);
          call.sendMessage("hi");
          call.halfClose();
        });
    return closed;
  }

  /** Cancels {@code context} and says how long the call took to close after it. */
  private static Closed cancelAndAwait(
      Context.CancellableContext context, CompletableFuture<Closed> call, String label)
      throws Exception {
    long cancelledAt = System.nanoTime();
    context.cancel(new IllegalStateException("the caller gave up"));
    Closed closed = call.get(20, TimeUnit.SECONDS);
    report(label + ": closed %.3f ms after the cancellation", closed.atNanos() - cancelledAt);
    return closed;
  }

  /** Prints how long a close took and fails a close that was not prompt. */
  private static void report(String format, long nanos) {
    System.out.printf(format + "%n", nanos / 1e6);
    assertThat(Duration.ofNanos(nanos)).isLessThan(PROMPT);
  }

  @Test
  @Timeout(30)
  void contextCancelledDuringARetryBackoffClosesTheCallAtOnce() throws Exception {
    Backend backend = grpc.backend("down").failWith(Status.UNAVAILABLE.withDescription("down"));
    mesh.apply(endpoints(backend.port(), "v1") + route(BACKOFF_10S));
    ManagedChannel channel = channel();
    Context.CancellableContext context = Context.current().withCancellation();

    CompletableFuture<Closed> call = startIn(context, channel);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.waiting() == 1);
    Closed closed = cancelAndAwait(context, call, "gRPC, 10 s retry backoff");

    assertThat(closed.status().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(closed.status().getDescription())
        .contains("caller's context cancellation ended the mesh's wait")
        .contains("the caller gave up");
    assertThat(closed.status().getCause()).hasMessage("the caller gave up");
    assertThat(backend.calls()).isEqualTo(1);
    // The backoff was taken off the mesh's timer, not left to run out.
    assertThat(mesh.waiting()).isZero();
  }

  @Test
  @Timeout(30)
  void contextCancelledDuringAFaultDelayClosesTheCallAtOnce() throws Exception {
    Backend backend = grpc.backend("only");
    mesh.apply(endpoints(backend.port(), "v1") + route(DELAY_10S));
    ManagedChannel channel = channel();
    Context.CancellableContext context = Context.current().withCancellation();

    CompletableFuture<Closed> call = startIn(context, channel);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.waiting() == 1);
    Closed closed = cancelAndAwait(context, call, "gRPC, 10 s fault delay");

    assertThat(closed.status().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(closed.status().getDescription()).contains("the caller gave up");
    assertThat(backend.calls()).isZero();
    assertThat(mesh.waiting()).isZero();
  }

  @Test
  @Timeout(30)
  void blockingCallEndsAtOnceWhenItsContextIsCancelledDuringAFaultDelay() throws Exception {
    Backend backend = grpc.backend("only");
    mesh.apply(endpoints(backend.port(), "v1") + route(DELAY_10S));
    ManagedChannel channel = channel();
    Context.CancellableContext context = Context.current().withCancellation();
    CompletableFuture<Closed> call = new CompletableFuture<>();
    // A blocking stub waits on its own executor, so the close is handed over to it.
    Thread caller =
        new Thread(
            () ->
                context.run(
                    () -> {
                      try {
                        ClientCalls.blockingUnaryCall(
                            channel, EchoService.UNARY, CallOptions.DEFAULT, "hi");
                        call.complete(new Closed(Status.OK, System.nanoTime()));
                      } catch (StatusRuntimeException e) {
                        call.complete(new Closed(e.getStatus(), System.nanoTime()));
                      }
                    }),
            "blocking-caller");
    caller.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.waiting() == 1);
    Closed closed = cancelAndAwait(context, call, "gRPC blocking stub, 10 s fault delay");

    assertThat(closed.status().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(backend.calls()).isZero();
    caller.join(TimeUnit.SECONDS.toMillis(5));
  }

  @Test
  @Timeout(30)
  void contextCancelledBeforeTheCallStartsNeverSendsIt() throws Exception {
    Backend backend = grpc.backend("only");
    ManagedChannel channel = channel();
    Context.CancellableContext context = Context.current().withCancellation();
    context.cancel(null);

    for (String settings : new String[] {"", DELAY_10S}) {
      mesh.apply(endpoints(backend.port(), "v1") + route(settings));

      Closed closed = startIn(context, channel).get(5, TimeUnit.SECONDS);

      assertThat(closed.status().getCode()).as(settings).isEqualTo(Status.Code.CANCELLED);
      assertThat(closed.status().getDescription())
          .as(settings)
          .endsWith("ended the mesh's wait before an attempt to catalog.shop");
    }
    assertThat(backend.calls()).isZero();
    assertThat(mesh.waiting()).isZero();
  }

  @Test
  @Timeout(30)
  void contextDeadlineShorterThanAFaultDelayEndsTheCallAtTheDeadline() throws Exception {
    Backend backend = grpc.backend("only");
    mesh.apply(endpoints(backend.port(), "v1") + route(DELAY_10S));
    ManagedChannel channel = channel();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    grpc.register(timer::shutdownNow);
    Context.CancellableContext context =
        Context.current().withDeadlineAfter(300, TimeUnit.MILLISECONDS, timer);
    // Deadlines run on System.nanoTime, as the measurement does.
    long deadline =
        System.nanoTime() + context.getDeadline().timeRemaining(TimeUnit.NANOSECONDS);

    Closed closed = startIn(context, channel).get(20, TimeUnit.SECONDS);
    report(
        "gRPC, 300 ms context deadline in a 10 s fault delay: closed %.3f ms after the deadline",
        closed.atNanos() - deadline);

    // Whichever sees the deadline first, the context or the engine's wait capped at it, the
    // call ends as a deadline.
    assertThat(closed.status().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(backend.calls()).isZero();
    await().atMost(Duration.ofSeconds(5)).until(() -> mesh.waiting() == 0);
  }

  @Test
  @Timeout(30)
  void contextDeadlineShorterThanARetryBackoffEndsTheCallWithoutWaiting() throws Exception {
    Backend backend = grpc.backend("down").failWith(Status.UNAVAILABLE.withDescription("down"));
    mesh.apply(endpoints(backend.port(), "v1") + route(BACKOFF_10S));
    ManagedChannel channel = channel();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    grpc.register(timer::shutdownNow);
    Context.CancellableContext context =
        Context.current().withDeadlineAfter(5, TimeUnit.SECONDS, timer);
    long started = System.nanoTime();

    Closed closed = startIn(context, channel).get(20, TimeUnit.SECONDS);

    // A backoff that would outlast the deadline is never waited: the attempt's failure is final.
    System.out.printf(
        "gRPC, 5 s context deadline and a 10 s backoff: closed %.3f ms after the start%n",
        (closed.atNanos() - started) / 1e6);
    assertThat(Duration.ofNanos(closed.atNanos() - started)).isLessThan(Duration.ofSeconds(4));
    assertThat(closed.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(backend.calls()).isEqualTo(1);
  }
}
