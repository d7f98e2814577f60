package io.mesh4j.benchmarks;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingClientInterceptor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mesh4j.benchmarks.load.Echo;
import io.mesh4j.benchmarks.load.MeshPolicies;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.grpc.MeshChannels;
import io.mesh4j.micrometer.MeshMetrics;
import io.mesh4j.opentelemetry.MeshTracing;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Start-up to the first successful call: a fresh JVM that makes one unary call to a loopback echo
 * server, with plain grpc-java against a mesh4j channel with every client feature on (routing,
 * retries, balancing, outlier detection, retry budget, circuit breaker, Micrometer metrics,
 * OpenTelemetry tracing at 1%). A third kind, plain grpc-java with the same observability an
 * application brings for itself (a Micrometer registry and Micrometer's gRPC client interceptor,
 * an OpenTelemetry tracer provider sampling 1% with a span processor), tells what the mesh adds
 * beyond what such an application loads anyway. Runs alternate (plain, mesh, observed, plain,
 * ...) so all see the same machine; each reports the JVM's uptime when the first call returned,
 * the classes it had loaded and its metaspace.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.StartupBenchmark [--runs 5]
 *     [--jvm-option OPTION]... [--cds DIR]
 * </pre>
 *
 * <p>{@code --jvm-option} passes an option to every probe JVM, for example {@code
 * -Xlog:class+load:file=classes-%p.log} to see what each one loads. {@code --cds DIR} measures
 * both with application class-data sharing, as a deployment that cares about start-up runs: one
 * training run of each kind writes its own archive into {@code DIR} ({@code
 * -XX:ArchiveClassesAtExit}), and the measured runs map it ({@code -XX:SharedArchiveFile}). The
 * JVM archives classes from jars only, so {@code --cds} needs the benchmarks jar as the class path
 * (as above), not a build's class directories.
 */
public final class StartupBenchmark {

  private StartupBenchmark() {}

  /** Runs the comparison and prints one line per run and the medians. */
  public static void main(String[] args) throws Exception {
    int runs = 5;
    List<String> jvmOptions = new ArrayList<>();
    Path cds = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[i + 1]);
        case "--jvm-option" -> jvmOptions.add(args[i + 1]);
        case "--cds" -> cds = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    compare(runs, jvmOptions, cds, System.out);
  }

  /**
   * The medians of {@code runs} probes of each kind: plain, the mesh, then plain with the
   * application's own observability; with {@code cds}, each kind with a class-data archive of its
   * own written there by a training run first.
   */
  static List<Probe.Result> compare(
      int runs, List<String> jvmOptions, @Nullable Path cds, PrintStream out)
      throws IOException, InterruptedException {
    Server server = ProbeProcess.echoServer();
    // The mesh probe reads its policy from a file, as an application does; writing it is no part
    // of the application's start.
    Path policy = Files.createTempFile("mesh4j-startup-", ".yaml");
    Files.writeString(
        policy,
        MeshPolicies.yaml(
                "echo", server.getPort(), EnumSet.allOf(MeshPolicies.Feature.class), "UNAVAILABLE")
            + "---\n"
            + MeshPolicies.tracingConfig(1));
    try {
      List<String> plainOptions = jvmOptions;
      List<String> meshOptions = jvmOptions;
      List<String> observedOptions = jvmOptions;
      if (cds != null) {
        Files.createDirectories(cds);
        plainOptions = train("plain", server.getPort(), policy, jvmOptions, cds, out);
        meshOptions = train("mesh", server.getPort(), policy, jvmOptions, cds, out);
        observedOptions = train("observed", server.getPort(), policy, jvmOptions, cds, out);
      }
      List<Probe.Result> plain = new ArrayList<>();
      List<Probe.Result> mesh = new ArrayList<>();
      List<Probe.Result> observed = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        plain.add(run("plain", server.getPort(), policy, plainOptions, out));
        mesh.add(run("mesh", server.getPort(), policy, meshOptions, out));
        observed.add(run("observed", server.getPort(), policy, observedOptions, out));
        out.printf(
            Locale.ROOT,
            "run %d: plain %s | mesh %s | plain, observed %s%n",
            i + 1,
            plain.get(i),
            mesh.get(i),
            observed.get(i));
      }
      Probe.Result p = median(plain);
      Probe.Result m = median(mesh);
      Probe.Result o = median(observed);
      out.printf(Locale.ROOT, "median of %d runs each:%n", runs);
      out.printf(Locale.ROOT, "  plain grpc-java: %s%n", p);
      out.printf(Locale.ROOT, "  mesh4j, all client features: %s%n", m);
      out.printf(Locale.ROOT, "  plain grpc-java with Micrometer and OpenTelemetry: %s%n", o);
      difference(out, "mesh4j - plain", m, p);
      difference(out, "mesh4j - plain with Micrometer and OpenTelemetry", m, o);
      return List.of(p, m, o);
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      Files.deleteIfExists(policy);
    }
  }

  private static void difference(PrintStream out, String label, Probe.Result a, Probe.Result b) {
    out.printf(
        Locale.ROOT,
        "  %s: %+d ms to the first call, %+d loaded classes, %+.1f MiB metaspace%n",
        label,
        a.firstCallMillis() - b.firstCallMillis(),
        a.classes() - b.classes(),
        (a.metaspaceBytes() - b.metaspaceBytes()) / 1048576.0);
  }

  /** One training run that writes {@code mode}'s archive; the options that then map it. */
  private static List<String> train(
      String mode, int port, Path policy, List<String> jvmOptions, Path cds, PrintStream out)
      throws IOException, InterruptedException {
    Path archive = cds.resolve(mode + ".jsa").toAbsolutePath();
    Files.deleteIfExists(archive);
    List<String> training = new ArrayList<>(jvmOptions);
    training.add("-XX:ArchiveClassesAtExit=" + archive);
    run(mode, port, policy, training, out);
    if (!Files.exists(archive)) {
      throw new IllegalStateException("the " + mode + " training run wrote no archive " + archive);
    }
    List<String> mapped = new ArrayList<>(jvmOptions);
    // fail rather than quietly measure without the archive
    mapped.add("-Xshare:on");
    mapped.add("-XX:SharedArchiveFile=" + archive);
    return mapped;
  }

  private static Probe.Result run(
      String mode, int port, Path policy, List<String> jvmOptions, PrintStream out)
      throws IOException, InterruptedException {
    String[] f =
        ProbeProcess.run(
            Probe.class,
            jvmOptions,
            List.of(mode, Integer.toString(port), policy.toString()),
            60,
            line -> {
              if (line.startsWith("PHASES ")) {
                out.println("  " + mode + " probe: " + line.substring("PHASES ".length()));
              }
            });
    return new Probe.Result(Long.parseLong(f[0]), Integer.parseInt(f[1]), Long.parseLong(f[2]));
  }

  private static Probe.Result median(List<Probe.Result> results) {
    long[] millis = results.stream().mapToLong(Probe.Result::firstCallMillis).sorted().toArray();
    long[] classes = results.stream().mapToLong(Probe.Result::classes).sorted().toArray();
    long[] metaspace = results.stream().mapToLong(Probe.Result::metaspaceBytes).sorted().toArray();
    int mid = results.size() / 2;
    return new Probe.Result(millis[mid], (int) classes[mid], metaspace[mid]);
  }

  /** The process measured: one call, then its figures on one line. */
  public static final class Probe {

    private Probe() {}

    /** What one fresh JVM measured. */
    record Result(long firstCallMillis, int classes, long metaspaceBytes) {
      @Override
      public String toString() {
        return String.format(
            Locale.ROOT,
            "%d ms, %d classes, %.1f MiB metaspace",
            firstCallMillis,
            classes,
            metaspaceBytes / 1048576.0);
      }
    }

    private static long uptime() {
      return ManagementFactory.getRuntimeMXBean().getUptime();
    }

    /**
     * {@code args}: {@code plain}, {@code mesh} or {@code observed}, the echo server's port, and
     * the file with the mesh's policy.
     */
    public static void main(String[] args) throws Exception {
      boolean mesh = args[0].equals("mesh");
      int port = Integer.parseInt(args[1]);
      Mesh meshInstance = null;
      MeshTracing tracing = null;
      SdkTracerProvider appTracer = null;
      ManagedChannel channel;
      if (mesh) {
        long t0 = uptime();
        tracing = MeshTracing.withSpanProcessor(SimpleSpanProcessor.create(SpanExporter.composite()));
        long t1 = uptime();
        // The application's own registry: an application with metrics has one anyway.
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        long t2 = uptime();
        MeshMetrics metrics = MeshMetrics.bindTo(registry);
        long t3 = uptime();
        StaticConfigSource source = StaticConfigSource.parse(Files.readString(Path.of(args[2])));
        long t4 = uptime();
        meshInstance =
            Mesh.builder().configSource(source).listener(metrics).listener(tracing).build();
        long t5 = uptime();
        System.out.printf(
            Locale.ROOT,
            "PHASES span processor and MeshTracing %d ms, application's meter registry %d ms,"
                + " MeshMetrics %d ms, policy parse %d ms, Mesh.build %d ms%n",
            t1 - t0,
            t2 - t1,
            t3 - t2,
            t4 - t3,
            t5 - t4);
        // Nothing to wait for: a static source is applied before build() returns.
        channel = MeshChannels.forService(meshInstance, "echo.bench");
      } else if (args[0].equals("observed")) {
        // What an application with metrics and tracing makes for itself, mesh or not.
        appTracer =
            SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(SpanExporter.composite()))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(0.01)))
                .build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        channel =
            ManagedChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .intercept(new MetricCollectingClientInterceptor(registry))
                .build();
      } else {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      }
      ClientCalls.blockingUnaryCall(
          channel,
          Echo.METHOD,
          io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
          new byte[100]);
      long uptime = uptime();
      int classes = ManagementFactory.getClassLoadingMXBean().getLoadedClassCount();
      long metaspace = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getName().equals("Metaspace")) {
          metaspace = pool.getUsage().getUsed();
        }
      }
      System.out.println("RESULT " + uptime + " " + classes + " " + metaspace);
      channel.shutdownNow();
      if (meshInstance != null) {
        meshInstance.close();
      }
      if (tracing != null) {
        tracing.close();
      }
      if (appTracer != null) {
        appTracer.close();
      }
      System.exit(0);
    }
  }
}
