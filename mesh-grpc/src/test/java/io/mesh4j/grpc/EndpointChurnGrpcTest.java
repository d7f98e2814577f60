package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.ROUTE_ALL;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Calls go on while an endpoint is added and removed back to back: an attempt never waits for the
 * handshake of an endpoint that just came back while another endpoint has a ready connection, so
 * no call fails. The baseline applies as many versions that change only a weight, so both runs
 * pay the same compile work on the same cores, in alternating slices; the p99 of both and their
 * ratio are printed, not asserted (timing belongs to benchmarks, not to tests). The suite runs 500 cycles once; {@code
 * -Dmesh4j.churn.cycles=3000 -Dmesh4j.churn.runs=5} runs the full scenario.
 */
class EndpointChurnGrpcTest {

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  @Test
  @Timeout(300)
  void callsNeverFailNorWaitWhileAnEndpointComesAndGoes() throws Exception {
    int cycles = Integer.getInteger("mesh4j.churn.cycles", 500);
    int runs = Integer.getInteger("mesh4j.churn.runs", 1);
    TestMesh mesh = grpc.register(new TestMesh());
    Backend a = grpc.backend("a");
    Backend b = grpc.backend("b");
    Backend c = grpc.backend("c");
    String stable = endpoints(a.port(), "v1", b.port(), "v1") + ROUTE_ALL;
    String withC = endpoints(a.port(), "v1", b.port(), "v1", c.port(), "v1") + ROUTE_ALL;
    // the baseline applies as many versions, changing only C's weight: same compile work
    String heavierC =
        withC.replace(
            "port: " + c.port() + ", labels: {version: v1}}",
            "port: " + c.port() + ", labels: {version: v1}, weight: 2}");
    mesh.apply(withC);
    ManagedChannel channel = grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));
    channel.getState(true);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> a.connections() == 1 && b.connections() == 1 && c.connections() == 1);
    for (int i = 0; i < 2000; i++) { // warm up both sides
      call(channel);
    }

    // The two loads alternate in ten slices per run, so that drift (JIT, GC, a neighbour on the
    // cores) falls on both alike.
    int slices = 10;
    for (int run = 1; run <= runs; run++) {
      Load churn = Load.EMPTY;
      Load quiet = Load.EMPTY;
      Runnable churnStep = alternate(mesh, stable, withC);
      Runnable quietStep = alternate(mesh, heavierC, withC);
      for (int slice = 0; slice < slices; slice++) {
        churn = churn.plus(load(channel, churnStep, cycles / slices));
        mesh.apply(withC);
        quiet = quiet.plus(load(channel, quietStep, cycles / slices));
        mesh.apply(withC);
      }
      System.out.printf(
          "churn run %d: %d versions each; weight changes only: %d calls, p99 %.2f ms;"
              + " endpoint C removed and re-added: %d calls, %d failed, p99 %.2f ms (%.2fx)%n",
          run, cycles, quiet.calls(), quiet.p99Millis(), churn.calls(), churn.failed(),
          churn.p99Millis(), churn.p99Millis() / quiet.p99Millis());
      assertThat(churn.failed()).as("failed calls: %s", churn.errors()).isZero();
    }
  }

  /** Applies {@code first} and {@code second} in turn, one per run. */
  private static Runnable alternate(TestMesh mesh, String first, String second) {
    return new Runnable() {
      int n;

      @Override
      public void run() {
        mesh.apply(n++ % 2 == 0 ? first : second);
      }
    };
  }

  /** Latencies of the calls that succeeded, and the failures. */
  private record Load(long[] latencies, List<String> errors) {
    static final Load EMPTY = new Load(new long[0], List.of());

    Load plus(Load other) {
      long[] all = Arrays.copyOf(latencies, latencies.length + other.latencies.length);
      System.arraycopy(other.latencies, 0, all, latencies.length, other.latencies.length);
      List<String> errs = new ArrayList<>(errors);
      errs.addAll(other.errors);
      return new Load(all, errs);
    }

    int calls() {
      return latencies.length + errors.size();
    }

    int failed() {
      return errors.size();
    }

    double p99Millis() {
      long[] sorted = latencies.clone();
      Arrays.sort(sorted);
      return sorted.length == 0 ? 0 : sorted[(int) (sorted.length * 0.99)] / 1e6;
    }
  }

  /** Eight callers while {@code step} runs {@code cycles} times back to back. */
  private static Load load(ManagedChannel channel, Runnable step, int cycles) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    List<Thread> callers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread thread =
          new Thread(
              () -> {
                while (!stop.get()) {
                  long start = System.nanoTime();
                  try {
                    call(channel);
                    latencies.add(System.nanoTime() - start);
                  } catch (StatusRuntimeException e) {
                    errors.add(e.getStatus().toString());
                  }
                }
              });
      thread.start();
      callers.add(thread);
    }
    for (int i = 0; i < cycles; i++) {
      step.run();
    }
    stop.set(true);
    for (Thread t : callers) {
      t.join();
    }
    return new Load(
        latencies.stream().mapToLong(Long::longValue).toArray(), List.copyOf(errors));
  }

  private static String call(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(
        channel,
        EchoService.UNARY,
        CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
        "hi");
  }
}
