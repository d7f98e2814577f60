package io.mesh4j.benchmarks;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCalls;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingClientInterceptor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mesh4j.benchmarks.load.Echo;
import io.mesh4j.benchmarks.load.MeshPolicies;
import io.mesh4j.client.ControllerCertificateIssuer;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.identity.CertificateRotator;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.grpc.MeshChannels;
import io.mesh4j.micrometer.MeshMetrics;
import io.mesh4j.opentelemetry.MeshTracing;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * beyond what such an application loads anyway. Two more kinds are reported apart: the mesh probe
 * with mutual TLS and a certificate the controller's authority issues at start (a new key pair, a
 * signing request, a TLS connection to the controller), and plain grpc-java with mutual TLS from
 * certificate files, what the TLS alone costs. Runs alternate (plain, mesh, observed, mTLS, plain
 * mTLS, plain, ...) so all see the same machine; each reports the JVM's uptime when the first
 * call returned, the classes it had loaded and its metaspace.
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
    IssuingMesh issuing;
    try {
      issuing = new IssuingMesh();
    } catch (Exception e) {
      server.shutdownNow();
      throw new IllegalStateException("the controller and the mTLS echo server did not start", e);
    }
    // The mesh probes read their policy from a file, as an application does; writing it is no
    // part of the application's start.
    Path policy = policyFile(server.getPort());
    Path mtlsPolicy = policyFile(issuing.server.getPort());
    try {
      String port = Integer.toString(server.getPort());
      List<List<String>> kinds =
          List.of(
              List.of("plain", port),
              List.of("mesh", port, policy.toString()),
              List.of("observed", port),
              List.of(
                  "mtls",
                  Integer.toString(issuing.server.getPort()),
                  mtlsPolicy.toString(),
                  issuing.controllerTarget(),
                  issuing.probeTokenFile.toString(),
                  issuing.rootFile.toString()),
              List.of(
                  "plain-mtls",
                  Integer.toString(issuing.server.getPort()),
                  issuing.plainCertificate.toString(),
                  issuing.plainKey.toString(),
                  issuing.plainRoots.toString()));
      List<List<String>> options = new ArrayList<>();
      for (List<String> kind : kinds) {
        options.add(cds == null ? jvmOptions : train(kind, jvmOptions, cds, out));
      }
      List<List<Probe.Result>> results = new ArrayList<>();
      kinds.forEach(k -> results.add(new ArrayList<>()));
      for (int i = 0; i < runs; i++) {
        for (int k = 0; k < kinds.size(); k++) {
          results.get(k).add(run(kinds.get(k), options.get(k), out));
        }
        out.printf(
            Locale.ROOT,
            "run %d: plain %s | mesh %s | plain, observed %s | mesh, mTLS issued %s"
                + " | plain, mTLS from files %s%n",
            i + 1,
            results.get(0).get(i),
            results.get(1).get(i),
            results.get(2).get(i),
            results.get(3).get(i),
            results.get(4).get(i));
      }
      Probe.Result p = median(results.get(0));
      Probe.Result m = median(results.get(1));
      Probe.Result o = median(results.get(2));
      Probe.Result t = median(results.get(3));
      Probe.Result f = median(results.get(4));
      out.printf(Locale.ROOT, "median of %d runs each:%n", runs);
      out.printf(Locale.ROOT, "  plain grpc-java: %s%n", p);
      out.printf(Locale.ROOT, "  mesh4j, all client features: %s%n", m);
      out.printf(Locale.ROOT, "  plain grpc-java with Micrometer and OpenTelemetry: %s%n", o);
      out.printf(
          Locale.ROOT, "  mesh4j, all client features, mTLS with a certificate issued at start: %s%n", t);
      out.printf(Locale.ROOT, "  plain grpc-java, mTLS with a certificate from files: %s%n", f);
      difference(out, "mesh4j - plain", m, p);
      difference(out, "mesh4j - plain with Micrometer and OpenTelemetry", m, o);
      difference(out, "mesh4j with mTLS issued at start - mesh4j", t, m);
      difference(out, "mesh4j with mTLS issued at start - plain grpc-java with mTLS from files", t, f);
      return List.of(p, m, o, t, f);
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      try {
        issuing.close();
      } catch (Exception e) {
        out.println("closing the controller and the mTLS echo server failed: " + e);
      }
      Files.deleteIfExists(policy);
      Files.deleteIfExists(mtlsPolicy);
    }
  }

  /** The {@code mesh4j-all} policy, tracing at 1%, for an echo server on {@code port}. */
  private static Path policyFile(int port) throws IOException {
    Path policy = Files.createTempFile("mesh4j-startup-", ".yaml");
    return Files.writeString(
        policy,
        MeshPolicies.yaml("echo", port, EnumSet.allOf(MeshPolicies.Feature.class), "UNAVAILABLE")
            + "---\n"
            + MeshPolicies.tracingConfig(1));
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

  /** One training run that writes {@code kind}'s archive; the options that then map it. */
  private static List<String> train(
      List<String> kind, List<String> jvmOptions, Path cds, PrintStream out)
      throws IOException, InterruptedException {
    Path archive = cds.resolve(kind.get(0) + ".jsa").toAbsolutePath();
    Files.deleteIfExists(archive);
    List<String> training = new ArrayList<>(jvmOptions);
    training.add("-XX:ArchiveClassesAtExit=" + archive);
    run(kind, training, out);
    if (!Files.exists(archive)) {
      throw new IllegalStateException(
          "the " + kind.get(0) + " training run wrote no archive " + archive);
    }
    List<String> mapped = new ArrayList<>(jvmOptions);
    // fail rather than quietly measure without the archive
    mapped.add("-Xshare:on");
    mapped.add("-XX:SharedArchiveFile=" + archive);
    return mapped;
  }

  /** One probe of {@code kind}: its mode, then the arguments {@link Probe#main} takes. */
  private static Probe.Result run(List<String> kind, List<String> jvmOptions, PrintStream out)
      throws IOException, InterruptedException {
    String[] f =
        ProbeProcess.run(
            Probe.class,
            jvmOptions,
            kind,
            60,
            line -> {
              if (line.startsWith("PHASES ")) {
                out.println("  " + kind.get(0) + " probe: " + line.substring("PHASES ".length()));
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
     * {@code args}: {@code plain}, {@code mesh}, {@code observed}, {@code mtls} or {@code
     * plain-mtls}, the echo server's port; for {@code mesh} and {@code mtls} the file with the
     * mesh's policy; for {@code mtls} also the controller's address, the file with the workload's
     * token and the controller's root certificate; for {@code plain-mtls} the files of the
     * certificate chain, its private key and the roots to trust.
     */
    public static void main(String[] args) throws Exception {
      boolean mtls = args[0].equals("mtls");
      boolean mesh = mtls || args[0].equals("mesh");
      int port = Integer.parseInt(args[1]);
      Mesh meshInstance = null;
      MeshTracing tracing = null;
      SdkTracerProvider appTracer = null;
      CertificateRotator rotator = null;
      String phases = null;
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
        Mesh.Builder builder = Mesh.builder();
        if (mtls) {
          // As an application with mTLS starts: its identity is asked for first (a new key pair,
          // signed by the controller's authority for the identity its token proves), and the
          // policy is read and the mesh built while the controller answers.
          ControllerCertificateIssuer issuer =
              ControllerCertificateIssuer.builder(args[3])
                  .tokenFile(Path.of(args[4]))
                  .trustedRoots(Path.of(args[5]))
                  .build();
          rotator = CertificateRotator.builder(issuer).listener(metrics).build().start();
          builder.identity(rotator.identity());
        }
        long t4 = uptime();
        StaticConfigSource source = StaticConfigSource.parse(Files.readString(Path.of(args[2])));
        long t5 = uptime();
        meshInstance = builder.configSource(source).listener(metrics).listener(tracing).build();
        long t6 = uptime();
        // Printed after the call, so that the measured window holds only the application's work.
        phases =
            "span processor and MeshTracing " + (t1 - t0) + " ms, application's meter registry "
                + (t2 - t1) + " ms, MeshMetrics " + (t3 - t2) + " ms, policy parse " + (t5 - t4)
                + " ms, Mesh.build " + (t6 - t5) + " ms";
        if (rotator != null) {
          rotator.awaitCertificate(Duration.ofSeconds(30));
          phases +=
              ", certificate requested " + (t4 - t3) + " ms, then waited for "
                  + (uptime() - t6) + " ms after Mesh.build";
        }
        // Nothing to wait for: a static source is applied before build() returns.
        channel =
            mtls
                ? MeshChannels.forServiceWithMtls(meshInstance, "echo.bench")
                : MeshChannels.forService(meshInstance, "echo.bench");
      } else if (args[0].equals("plain-mtls")) {
        // The certificate a certificate manager wrote, and the roots it trusts; SPIFFE
        // certificates name no host, so the server's is checked against the roots only.
        AdvancedTlsX509TrustManager trust =
            AdvancedTlsX509TrustManager.newBuilder()
                .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
                .build();
        trust.updateTrustCredentials(new File(args[4]));
        ChannelCredentials credentials =
            TlsChannelCredentials.newBuilder()
                .keyManager(new File(args[2]), new File(args[3]))
                .trustManager(trust)
                .build();
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, credentials).build();
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
      if (phases != null) {
        System.out.println("PHASES " + phases);
      }
      System.out.println("RESULT " + uptime + " " + classes + " " + metaspace);
      channel.shutdownNow();
      if (meshInstance != null) {
        meshInstance.close();
      }
      if (rotator != null) {
        rotator.close();
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
