package io.mesh4j.benchmarks;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mesh4j.benchmarks.load.Echo;
import io.mesh4j.benchmarks.load.MeshPolicies;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.grpc.MeshChannels;
import io.mesh4j.micrometer.MeshMetrics;
import io.mesh4j.opentelemetry.MeshTracing;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the mesh costs an application at a steady 1,000 calls/s: a fresh JVM sends unary calls at a
 * fixed rate to a loopback echo server, with plain grpc-java against a mesh4j channel with every
 * client feature on (as {@link StartupBenchmark}), then reports its heap after a full GC, its
 * resident set, its live threads and the CPU it used per second. Runs alternate (plain, mesh,
 * ...), and the medians are compared.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.FootprintBenchmark
 *     [--runs 3] [--warmup 5] [--seconds 20] [--rate 1000]
 * </pre>
 */
public final class FootprintBenchmark {

  private FootprintBenchmark() {}

  /** Runs the comparison and prints one line per run and the medians. */
  public static void main(String[] args) throws Exception {
    int runs = 3;
    int warmup = 5;
    int seconds = 20;
    int rate = 1000;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[i + 1]);
        case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        case "--rate" -> rate = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    compare(runs, warmup, seconds, rate, System.out);
  }

  /** The medians of {@code runs} probes of each kind: plain first, then the mesh. */
  static List<Probe.Result> compare(int runs, int warmup, int seconds, int rate, PrintStream out)
      throws IOException, InterruptedException {
    Server server = ProbeProcess.echoServer();
    try {
      List<Probe.Result> plain = new ArrayList<>();
      List<Probe.Result> mesh = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        plain.add(run("plain", server.getPort(), warmup, seconds, rate));
        mesh.add(run("mesh", server.getPort(), warmup, seconds, rate));
        out.printf(Locale.ROOT, "run %d: plain %s%n       mesh  %s%n", i + 1, plain.get(i), mesh.get(i));
      }
      Probe.Result p = median(plain);
      Probe.Result m = median(mesh);
      out.printf(Locale.ROOT, "median of %d runs each, %d calls/s for %d s:%n", runs, rate, seconds);
      out.printf(Locale.ROOT, "  plain grpc-java: %s%n", p);
      out.printf(Locale.ROOT, "  mesh4j, all client features: %s%n", m);
      out.printf(
          Locale.ROOT,
          "  mesh4j - plain: %+.2f MiB heap after GC, %+.1f MiB resident, %+d threads,"
              + " %+.3f CPU-seconds per second%n",
          (m.heapBytes() - p.heapBytes()) / 1048576.0,
          (m.rssBytes() - p.rssBytes()) / 1048576.0,
          m.threads() - p.threads(),
          m.cpuPerSecond() - p.cpuPerSecond());
      return List.of(p, m);
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static Probe.Result run(String mode, int port, int warmup, int seconds, int rate)
      throws IOException, InterruptedException {
    String[] f =
        ProbeProcess.run(
            Probe.class,
            // The same fixed heap for both, so heap sizing does not favour either.
            List.of("-Xms256m", "-Xmx256m"),
            List.of(
                mode,
                Integer.toString(port),
                Integer.toString(warmup),
                Integer.toString(seconds),
                Integer.toString(rate)),
            warmup + seconds + 60L,
            line -> {});
    return new Probe.Result(
        Long.parseLong(f[0]),
        Long.parseLong(f[1]),
        Integer.parseInt(f[2]),
        Double.parseDouble(f[3]),
        Long.parseLong(f[4]));
  }

  private static Probe.Result median(List<Probe.Result> results) {
    int mid = results.size() / 2;
    return new Probe.Result(
        results.stream().mapToLong(Probe.Result::heapBytes).sorted().toArray()[mid],
        results.stream().mapToLong(Probe.Result::rssBytes).sorted().toArray()[mid],
        (int) results.stream().mapToLong(Probe.Result::threads).sorted().toArray()[mid],
        results.stream().mapToDouble(Probe.Result::cpuPerSecond).sorted().toArray()[mid],
        results.stream().mapToLong(Probe.Result::failed).max().orElse(0));
  }

  /** The process measured: warm up, then a measured window at the fixed rate. */
  public static final class Probe {

    private Probe() {}

    /** What one JVM measured after its window. */
    record Result(long heapBytes, long rssBytes, int threads, double cpuPerSecond, long failed) {
      @Override
      public String toString() {
        return String.format(
            Locale.ROOT,
            "heap after GC %.1f MiB, resident %.1f MiB, %d threads, %.3f CPU-s/s, %d failed calls",
            heapBytes / 1048576.0,
            rssBytes / 1048576.0,
            threads,
            cpuPerSecond,
            failed);
      }
    }

    /**
     * {@code args}: {@code plain} or {@code mesh}, the echo port, warm-up seconds, measured
     * seconds, calls per second.
     */
    public static void main(String[] args) throws Exception {
      boolean mesh = args[0].equals("mesh");
      int port = Integer.parseInt(args[1]);
      int warmup = Integer.parseInt(args[2]);
      int seconds = Integer.parseInt(args[3]);
      int rate = Integer.parseInt(args[4]);
      Mesh meshInstance = null;
      MeshTracing tracing = null;
      ManagedChannel channel;
      if (mesh) {
        String yaml =
            MeshPolicies.yaml("echo", port, EnumSet.allOf(MeshPolicies.Feature.class), "UNAVAILABLE")
                + "---\n"
                + MeshPolicies.tracingConfig(1);
        // Sampled spans are batched as for a real exporter, then dropped.
        tracing =
            MeshTracing.withSpanProcessor(
                BatchSpanProcessor.builder(SpanExporter.composite()).build());
        meshInstance =
            Mesh.builder()
                .configSource(StaticConfigSource.parse(yaml))
                .listener(MeshMetrics.bindTo(new SimpleMeterRegistry()))
                .listener(tracing)
                .build();
        channel = MeshChannels.forService(meshInstance, "echo.bench");
      } else {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      }
      AtomicLong failed = new AtomicLong();
      ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
      byte[] payload = new byte[100];
      long periodNanos = TimeUnit.SECONDS.toNanos(1) / rate;
      var sending =
          clock.scheduleAtFixedRate(
          () -> {
            var call =
                ClientCalls.futureUnaryCall(
                    channel.newCall(
                        Echo.METHOD, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)),
                    payload);
            call.addListener(
                () -> {
                  try {
                    call.get();
                  } catch (Exception e) {
                    failed.incrementAndGet();
                  }
                },
                Runnable::run);
          },
          0,
          periodNanos,
          TimeUnit.NANOSECONDS);
      // Warm-up: the JIT, the connection, the meters and spans the first calls make.
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpuBefore = os.getProcessCpuTime();
      long wallBefore = System.nanoTime();
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
      double cpuPerSecond =
          (os.getProcessCpuTime() - cpuBefore) / (double) (System.nanoTime() - wallBefore);
      int threads = ManagementFactory.getThreadMXBean().getThreadCount();
      long rss = rss();
      System.gc();
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      System.out.println(
          "RESULT " + heap + " " + rss + " " + threads + " " + cpuPerSecond + " " + failed.get());
      sending.cancel(false);
      clock.shutdownNow();
      channel.shutdownNow();
      if (meshInstance != null) {
        meshInstance.close();
      }
      if (tracing != null) {
        tracing.close();
      }
      System.exit(0);
    }

    /** This process's resident set from {@code /proc}, or 0 where there is none. */
    private static long rss() throws IOException {
      Path status = Path.of("/proc/self/status");
      if (!Files.isReadable(status)) {
        return 0;
      }
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
      return 0;
    }
  }
}
