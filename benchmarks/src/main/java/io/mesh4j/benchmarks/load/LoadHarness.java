package io.mesh4j.benchmarks.load;

import com.google.gson.Gson;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolverRegistry;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.xds.XdsNameResolverProvider;
import io.mesh4j.benchmarks.load.MeshPolicies.Feature;
import io.mesh4j.benchmarks.load.Results.Machine;
import io.mesh4j.benchmarks.load.Results.ModeResult;
import io.mesh4j.benchmarks.load.Results.Report;
import io.mesh4j.benchmarks.load.Results.RowResult;
import io.mesh4j.benchmarks.load.Results.Sample;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.grpc.MeshChannels;
import io.mesh4j.xds.XdsConfigSource;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.micrometer.MeshMetrics;
import io.mesh4j.opentelemetry.MeshTracing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;

/**
 * The comparative loopback benchmark: one run, one machine, every row measured against the same
 * echo server, each with its ratio to plain grpc-java (the floor).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.mesh4j.benchmarks.load.LoadHarness [--quick]
 * </pre>
 *
 * <p>The harness (this JVM) is the client of every row. It starts, each in its own process so
 * that their CPU time is measured apart: the echo server ({@link BenchServer}, a JVM), the xDS
 * control plane ({@link XdsControlPlane}, a JVM) and, when HAProxy is installed, two pairs of
 * HAProxy sidecars (clear-text HTTP/2 and TLS between the proxies). Rows:
 *
 * <ul>
 *   <li>{@code grpc-plain}: a plain grpc-java channel, the floor;
 *   <li>{@code mesh4j-all}: a mesh4j channel with every client feature on (routing with a
 *       weighted split, timeout and retries, least-request balancing, outlier detection, retry
 *       budget, circuit breaker, Micrometer metrics, OpenTelemetry tracing sampling 1%);
 *   <li>{@code mesh4j-bare}, {@code mesh4j-routing}, {@code mesh4j-retries}, {@code
 *       mesh4j-breaker}, {@code mesh4j-metrics}, {@code mesh4j-tracing-1%}: no feature, then each
 *       feature alone;
 *   <li>{@code grpc-xds}: grpc-java's own proxyless xDS client with the same policy as far as xDS
 *       can say it, the proxyless anchor;
 *   <li>{@code sidecar-h2c}, {@code sidecar-tls}: a plain channel through two HAProxy sidecars, the
 *       sidecar anchor;
 *   <li>{@code grpc-mtls}, {@code mesh4j-mtls}: plain grpc-java and mesh4j-all, both with mTLS;
 *   <li>{@code okhttp-plain}, {@code okhttp-mesh4j}: OkHttp without and with the mesh (all
 *       features) against the server's HTTP/1.1 port.
 * </ul>
 *
 * <p>Each mode (closed loop at each {@code --concurrency}, open loop at each {@code --rate}) warms
 * every row up, then runs {@code --rounds} rounds of every row, forwards in odd rounds and
 * backwards in even ones, so that drift in the machine's load hits rows alike. A row's figures pool
 * its rounds. Only one row runs at a time, so each process's CPU time during a row is that row's.
 * Every call has a 10 s deadline and every loop a bounded drain, so a run always ends.
 */
// Splits fixed-format text (command output, /proc, option lists) whose separators never trail.
@SuppressWarnings("StringSplitter")
public final class LoadHarness {

  /** The floor every ratio is taken to. */
  public static final String FLOOR = "grpc-plain";

  /** mesh4j with every client feature on. */
  public static final String MESH_ALL = "mesh4j-all";

  /** grpc-java's proxyless xDS client. */
  public static final String XDS = "grpc-xds";

  /** A mesh4j channel configured over xDS by the control plane of {@link #XDS}. */
  public static final String MESH_XDS = "mesh4j-xds";

  /** The floor with grpc-java's callbacks on the transport's thread. */
  public static final String FLOOR_DIRECT = "grpc-plain-direct";

  /** {@link #MESH_ALL} with grpc-java's callbacks on the transport's thread. */
  public static final String MESH_ALL_DIRECT = "mesh4j-all-direct";

  /** Two HAProxy sidecars, clear-text HTTP/2 between them. */
  public static final String SIDECAR_H2C = "sidecar-h2c";

  /** Two HAProxy sidecars, TLS between them. */
  public static final String SIDECAR_TLS = "sidecar-tls";

  static final long CALL_DEADLINE_SECONDS = 10;

  private static final AtomicInteger XDS_SCHEMES = new AtomicInteger();

  private LoadHarness() {}

  /** Runs the benchmark with the options in {@code args} (see {@link HarnessOptions#parse}). */
  public static void main(String[] args) throws Exception {
    HarnessOptions options = HarnessOptions.parse(args);
    // Bounded by construction; this only guards against a bug in the harness itself.
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep((long) (options.expectedSeconds(20) * 1000) + 300_000);
        System.err.println("load harness overran its time; exiting");
        System.exit(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "bench-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    Report report = run(options, System.out);
    System.exit(report.clean() ? 0 : 1);
  }

  /**
   * Starts every process and client, runs every mode, prints the tables to {@code out}, writes
   * them to {@code <results>/<date>.md} when a results directory is given, and stops everything it
   * started.
   */
  public static Report run(HarnessOptions options, PrintStream out) throws Exception {
    String loadBefore = loadAverage();
    Path work = Files.createTempDirectory("mesh4j-bench");
    ConcurrentLinkedDeque<AutoCloseable> resources = new ConcurrentLinkedDeque<>();
    try {
      Path certs = work.resolve("certs");
      BenchCertificates.write(certs, List.of("localhost", "echo.bench", "echo-tls.bench"));
      ChildProcess server = register(resources, ChildProcess.startJvm("server", BenchServer.class,
          // nodelay: the JDK's HTTP server writes headers and body apart; with Nagle's algorithm
          // on, the client's delayed ACK would add 40 ms to every OkHttp call. idleInterval: the
          // server closes keep-alive connections idle for 30 s by default, and an OkHttp row's
          // pooled connections sit idle that long while the other rows run; reusing one the
          // server has just closed fails the call with a reset.
          List.of("-Xms256m", "-Xmx256m", "-XX:+UseParallelGC", "-Dsun.net.httpserver.nodelay=true",
              "-Dsun.net.httpserver.idleInterval=3600"),
          List.of(certs.toString()), 60));
      int grpcPort = server.readyValue("grpc");
      int tlsPort = server.readyValue("grpcTls");
      int httpPort = server.readyValue("http");
      byte[] payload = new byte[options.payloadBytes()];
      Arrays.fill(payload, (byte) 'x');

      Environment env = new Environment(server, new ArrayList<>());
      List<RowDef> all = rows(options, env, resources, work, certs, grpcPort, tlsPort, httpPort,
          payload);
      List<RowDef> selected = select(all, options.rows());
      if (options.profileRow() != null
          && selected.stream().noneMatch(r -> r.name().equals(options.profileRow()))) {
        throw new IllegalArgumentException("option --profile: no row '" + options.profileRow()
            + "' in this run, expected one of "
            + selected.stream().map(RowDef::name).toList());
      }
      List<Opened> opened = new ArrayList<>();
      List<String[]> skipped = new ArrayList<>();
      for (RowDef def : selected) {
        if (def.skipReason() != null) {
          skipped.add(new String[] {def.name(), def.skipReason()});
          continue;
        }
        opened.add(register(resources, def.opener().open()).named(def));
      }
      List<ModeResult> modes = new ArrayList<>();
      boolean[] profiled = {false};
      for (int c : options.concurrency()) {
        modes.add(runMode("closed loop, " + c + " calls outstanding", opened, env, options,
            t -> Load.closed(t, c, options.warmupSeconds()),
            t -> Load.closed(t, c, options.seconds()), skipped, profiled));
      }
      for (int rate : options.rates()) {
        modes.add(runMode("open loop, " + rate + " calls/s", opened, env, options,
            t -> Load.open(t, rate, options.warmupSeconds()),
            t -> Load.open(t, rate, options.seconds()), skipped, profiled));
      }
      Report report = new Report(modes);
      if (profiled[0]) {
        out.println("JFR recording of " + options.profileRow() + "'s first window: "
            + options.profileFile());
      }
      String markdown = Tables.markdown(report, options, machine(loadBefore, loadAverage()));
      out.print(markdown);
      out.flush();
      if (options.results() != null) {
        Files.createDirectories(options.results());
        Path file = options.results().resolve(LocalDate.now(ZoneOffset.UTC) + ".md");
        Files.writeString(file, markdown);
        out.println("written to " + file);
      }
      return report;
    } finally {
      List<AutoCloseable> reversed = new ArrayList<>(resources);
      Collections.reverse(reversed);
      for (AutoCloseable r : reversed) {
        try {
          r.close();
        } catch (Exception e) {
          out.println("cleanup: " + e);
        }
      }
      deleteTree(work);
    }
  }

  /** Every row the harness knows, in table order; rows it cannot run carry the reason. */
  private static List<RowDef> rows(HarnessOptions options, Environment env,
      ConcurrentLinkedDeque<AutoCloseable> resources, Path work, Path certs, int grpcPort,
      int tlsPort, int httpPort, byte[] payload) {
    Set<Feature> allFeatures = EnumSet.allOf(Feature.class);
    List<RowDef> rows = new ArrayList<>();
    rows.add(new RowDef(FLOOR, "plain grpc-java channel, clear text", null, () ->
        grpc(NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build(), null,
            payload)));
    rows.add(new RowDef(MESH_ALL, "mesh4j channel, every client feature on (routing, retries,"
        + " balancing/outlier/budget, breaker, metrics, tracing at 1%)", null, () ->
        meshGrpc("echo", grpcPort, allFeatures, ALL_TELEMETRY, InsecureChannelCredentials.create(),
            false, payload)));
    rows.add(new RowDef(FLOOR_DIRECT, "plain grpc-java channel, clear text, directExecutor()"
        + " (callbacks on the transport's thread, as latency-sensitive users run it)", null, () ->
        grpc(NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().directExecutor()
            .build(), null, payload)));
    rows.add(new RowDef(MESH_ALL_DIRECT, "mesh4j-all with directExecutor()", FLOOR_DIRECT, () ->
        meshGrpc("echo", grpcPort, allFeatures, ALL_TELEMETRY, InsecureChannelCredentials.create(),
            true, payload)));
    rows.add(new RowDef("mesh4j-bare", "mesh4j channel, endpoint only, no feature", null, () ->
        meshGrpc("echo", grpcPort, Set.of(), Telemetry.NONE, InsecureChannelCredentials.create(),
            false, payload)));
    rows.add(new RowDef("mesh4j-routing", "mesh4j, routing alone: header rule + 90/10 split", null,
        () -> meshGrpc("echo", grpcPort, Set.of(Feature.ROUTING), Telemetry.NONE,
            InsecureChannelCredentials.create(), false, payload)));
    rows.add(new RowDef("mesh4j-retries", "mesh4j, timeout and retries alone", null, () ->
        meshGrpc("echo", grpcPort, Set.of(Feature.RETRIES), Telemetry.NONE,
            InsecureChannelCredentials.create(), false, payload)));
    rows.add(new RowDef("mesh4j-breaker", "mesh4j, circuit breaker alone", null, () ->
        meshGrpc("echo", grpcPort, Set.of(Feature.BREAKER), Telemetry.NONE,
            InsecureChannelCredentials.create(), false, payload)));
    rows.add(new RowDef("mesh4j-metrics", "mesh4j, Micrometer metrics (MeshMetrics) alone", null,
        () -> meshGrpc("echo", grpcPort, Set.of(), Telemetry.METRICS,
            InsecureChannelCredentials.create(), false, payload)));
    rows.add(new RowDef("mesh4j-tracing-1%", "mesh4j, OpenTelemetry tracing alone (MeshTracing,"
        + " 1% of calls sampled, spans batched to an exporter that drops them)", null,
        () -> meshGrpc("echo", grpcPort, Set.of(), Telemetry.TRACING,
            InsecureChannelCredentials.create(), false, payload)));
    rows.add(new RowDef(XDS, "grpc-java proxyless xDS client (grpc-xds), java-control-plane ADS:"
        + " weighted clusters 90/10, retry policy, least-request, outlier detection", null,
        () -> xds(env, resources, grpcPort, payload)));
    rows.add(new RowDef(MESH_XDS, "mesh4j channel configured over xDS (XdsConfigSource) by the"
        + " control plane of grpc-xds: the same resources, run by mesh4j's engine; no telemetry,"
        + " as grpc-xds has none", XDS, () -> meshXds(env, resources, grpcPort, payload)));
    Optional<Path> haproxy = HaProxySidecars.findExecutable();
    for (boolean tls : new boolean[] {false, true}) {
      String name = tls ? SIDECAR_TLS : SIDECAR_H2C;
      String what = "plain channel -> HAProxy -> HAProxy -> server, HTTP/2, "
          + (tls ? "TLS" : "clear text") + " between the proxies";
      if (!options.sidecars()) {
        rows.add(RowDef.skipped(name, "not measured: switched off with --no-sidecars"));
      } else if (haproxy.isEmpty()) {
        rows.add(RowDef.skipped(name, "not measured: HAProxy is not installed"
            + " (benchmarks/scripts/install-haproxy.sh installs it)"));
      } else {
        rows.add(new RowDef(name, what, null, () -> {
          HaProxySidecars sidecars = register(resources,
              HaProxySidecars.start(haproxy.get(), work.resolve("haproxy"), certs, grpcPort, tls));
          return grpc(NettyChannelBuilder.forAddress("127.0.0.1", sidecars.clientPort())
              .usePlaintext().build(), null, payload).withProxies(sidecars.processes());
        }));
      }
    }
    rows.add(new RowDef("grpc-mtls", "plain grpc-java channel with mTLS", null, () ->
        grpc(Grpc.newChannelBuilderForAddress("127.0.0.1", tlsPort, clientTls(certs)).build(), null,
            payload)));
    rows.add(new RowDef("mesh4j-mtls", "mesh4j-all with mTLS (the channel's TLS credentials)",
        "grpc-mtls", () -> meshGrpc("echo-tls", tlsPort, allFeatures, ALL_TELEMETRY,
            clientTls(certs), false, payload)));
    rows.add(new RowDef("okhttp-plain", "plain OkHttp 5, HTTP/1.1 PUT", null, () ->
        okHttp(null, HttpUrl.get("http://127.0.0.1:" + httpPort + "/echo"), payload)));
    rows.add(new RowDef("okhttp-mesh4j", "OkHttp 5 with the mesh4j interceptor, every feature on",
        "okhttp-plain", () -> {
          Events events = new Events();
          MeshTracing tracing = ALL_TELEMETRY.tracing() ? tracing() : null;
          Mesh mesh = mesh(MeshPolicies.yaml("echo-http", httpPort, allFeatures, "5xx"), events,
              ALL_TELEMETRY, tracing);
          Opened opened = okHttp(mesh, HttpUrl.get("http://echo-http.bench/echo"), payload)
              .withEvents(events);
          return tracing == null ? opened : opened.alsoClosing(tracing);
        }));
    return rows;
  }

  private static List<RowDef> select(List<RowDef> all, List<String> names) {
    if (names.isEmpty()) {
      return all;
    }
    List<String> known = all.stream().map(RowDef::name).toList();
    for (String n : names) {
      if (!known.contains(n)) {
        throw new IllegalArgumentException(
            "option --rows: unknown row '" + n + "', expected some of " + known);
      }
    }
    return all.stream().filter(r -> r.name().equals(FLOOR) || names.contains(r.name())).toList();
  }

  /** A loop over one target: a closed or an open loop of a given length. */
  @FunctionalInterface
  private interface Driver {
    Load.Result drive(Load.Target target) throws InterruptedException;
  }

  private static ModeResult runMode(String mode, List<Opened> rows, Environment env,
      HarnessOptions options, Driver warmup, Driver measure, List<String[]> skipped,
      boolean[] profiled) throws InterruptedException, IOException {
    if (options.warmupSeconds() > 0) {
      // Backwards, so the first row measured (the floor) is the one warmed up last: a row whose
      // warm-up lies many rows back measured slower in its first window in every trial run.
      List<Opened> backwards = new ArrayList<>(rows);
      Collections.reverse(backwards);
      for (Opened row : backwards) {
        warmup.drive(row.target());
      }
    }
    Map<String, List<Sample>> samples = new LinkedHashMap<>();
    rows.forEach(r -> samples.put(r.name(), new ArrayList<>()));
    for (int round = 1; round <= options.rounds(); round++) {
      List<Opened> order = new ArrayList<>(rows);
      if (round % 2 == 0) {
        Collections.reverse(order);
      }
      for (Opened row : order) {
        boolean profile = row.name().equals(options.profileRow()) && !profiled[0];
        Recording recording = profile ? startRecording() : null;
        samples.get(row.name()).add(measure(row, env, measure));
        if (recording != null) {
          profiled[0] = true;
          stopRecording(recording, options.profileFile());
        }
      }
    }
    List<RowResult> results = new ArrayList<>();
    for (Opened row : rows) {
      results.add(RowResult.pool(row.name(), row.what(), row.baseline(), samples.get(row.name())));
    }
    return new ModeResult(mode, results, skipped);
  }

  /** JFR's "profile" settings (allocation samples, locks) with CPU samples every millisecond. */
  private static Recording startRecording() throws IOException {
    try {
      Recording recording = new Recording(Configuration.getConfiguration("profile"));
      recording.setName("mesh4j-bench");
      // Every millisecond rather than the profile's 10 ms: a window of a few seconds then holds
      // thousands of samples even when other processes take most of the cores.
      recording.enable("jdk.ExecutionSample").withPeriod(java.time.Duration.ofMillis(1));
      recording.start();
      return recording;
    } catch (java.text.ParseException e) {
      throw new IOException("the JDK's 'profile' JFR settings could not be read", e);
    }
  }

  private static void stopRecording(Recording recording, Path file) throws IOException {
    recording.stop();
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    recording.dump(file);
    recording.close();
  }

  private static Sample measure(Opened row, Environment env, Driver driver)
      throws InterruptedException {
    long clientCpu = clientCpuNanos();
    long allocated = allocatedBytes();
    long server = env.server().cpuNanos();
    long proxies = sumCpu(row.proxies());
    long controlPlane = sumCpu(env.controlPlanes());
    long retries = row.events() == null ? 0 : row.events().retries.sum();
    long refused = row.events() == null ? 0 : row.events().refused.sum();
    Load.Result result = driver.drive(row.target());
    return new Sample(result.histogram(), result.errors(), result.firstError(), result.seconds(),
        clientCpuNanos() - clientCpu, allocatedBytes() - allocated,
        env.server().cpuNanos() - server, sumCpu(row.proxies()) - proxies,
        sumCpu(env.controlPlanes()) - controlPlane,
        row.events() == null ? 0 : row.events().retries.sum() - retries,
        row.events() == null ? 0 : row.events().refused.sum() - refused);
  }

  private static long sumCpu(List<ChildProcess> processes) {
    long sum = 0;
    for (ChildProcess p : processes) {
      sum += Math.max(0, p.cpuNanos());
    }
    return sum;
  }

  /** This JVM's CPU time from {@code /proc}, as for the other processes; the MXBean elsewhere. */
  static long clientCpuNanos() {
    long nanos = ProcessCpu.nanos(ProcessHandle.current().pid());
    if (nanos >= 0) {
      return nanos;
    }
    return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime()
        : -1;
  }

  /** Bytes this JVM's live threads have allocated so far, or -1 where the JVM does not tell. */
  static long allocatedBytes() {
    if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads)
        || !threads.isThreadAllocatedMemoryEnabled()
        || TOTAL_ALLOCATED == null) {
      return -1;
    }
    try {
      return (long) TOTAL_ALLOCATED.invoke(threads);
    } catch (ReflectiveOperationException e) {
      return -1;
    }
  }

  // Looked up rather than called: javac's --release 17 data on newer JDKs lacks this JDK 14 method,
  // and the build compiles on Java 17 and Java 25 alike.
  private static final java.lang.reflect.@org.jspecify.annotations.Nullable Method TOTAL_ALLOCATED = totalAllocated();

  private static java.lang.reflect.@org.jspecify.annotations.Nullable Method totalAllocated() {
    try {
      return com.sun.management.ThreadMXBean.class.getMethod("getTotalThreadAllocatedBytes");
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  // ---- targets

  private static Opened grpc(ManagedChannel channel, Events events, byte[] payload) {
    Channel c = channel;
    Load.Target target = call -> ClientCalls.asyncUnaryCall(
        c.newCall(Echo.METHOD,
            CallOptions.DEFAULT.withDeadlineAfter(CALL_DEADLINE_SECONDS, TimeUnit.SECONDS)),
        payload, call);
    return new Opened(target, events, () -> {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    });
  }

  /** Which of the mesh's telemetry a row switches on. */
  private enum Telemetry {
    NONE(false, false),
    METRICS(true, false),
    TRACING(false, true),
    BOTH(true, true);

    private final boolean metrics;
    private final boolean tracing;

    Telemetry(boolean metrics, boolean tracing) {
      this.metrics = metrics;
      this.tracing = tracing;
    }

    boolean metrics() {
      return metrics;
    }

    boolean tracing() {
      return tracing;
    }
  }

  /** What "every client feature" includes of telemetry. */
  private static final Telemetry ALL_TELEMETRY = Telemetry.BOTH;

  /** The share of new traces the tracing rows sample, as the issue asks. */
  static final int TRACING_PERCENT = 1;

  private static Opened meshGrpc(String name, int port, Set<Feature> features,
      Telemetry telemetry, ChannelCredentials credentials, boolean directExecutor, byte[] payload)
      throws InterruptedException {
    Events events = new Events();
    MeshTracing tracing = telemetry.tracing() ? tracing() : null;
    Mesh mesh = mesh(MeshPolicies.yaml(name, port, features, "UNAVAILABLE"), events, telemetry,
        tracing);
    ManagedChannelBuilder<?> builder = MeshChannels.builderForService(mesh, name + ".bench", credentials);
    if (directExecutor) {
      builder.directExecutor();
    }
    ManagedChannel channel = builder.build();
    Opened grpc = grpc(channel, events, payload).alsoClosing(mesh);
    return tracing == null ? grpc : grpc.alsoClosing(tracing);
  }

  /**
   * The mesh's own OpenTelemetry SDK, sampling by the mesh settings, with spans batched as a
   * production exporter would get them and then dropped: the cost measured is the mesh's and the
   * SDK's, not a collector's.
   */
  private static MeshTracing tracing() {
    return MeshTracing.withSpanProcessor(BatchSpanProcessor.builder(new DroppingExporter()).build());
  }

  private static Mesh mesh(String yaml, Events events, Telemetry telemetry, MeshTracing tracing)
      throws InterruptedException {
    if (telemetry.tracing()) {
      yaml = yaml + "---\n" + MeshPolicies.tracingConfig(TRACING_PERCENT);
    }
    StaticConfigSource source = StaticConfigSource.parse(yaml);
    Mesh.Builder builder = Mesh.builder().configSource(source).listener(events);
    if (telemetry.metrics()) {
      builder.listener(MeshMetrics.bindTo(new SimpleMeterRegistry()));
    }
    if (tracing != null) {
      builder.listener(tracing);
    }
    return applied(builder.build(), "the benchmark's policy:\n" + yaml);
  }

  /** {@code mesh} once it applied its first policy ({@code what}), within 10 s. */
  private static Mesh applied(Mesh mesh, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (mesh.appliedVersion() <= 0) {
      if (System.nanoTime() > deadline) {
        mesh.close();
        throw new IllegalStateException("the mesh did not apply " + what + " within 10 s");
      }
      Thread.sleep(5);
    }
    return mesh;
  }

  private static Opened xds(Environment env, ConcurrentLinkedDeque<AutoCloseable> resources,
      int grpcPort, byte[] payload) throws IOException, InterruptedException {
    int xdsPort = startXdsControlPlane(env, resources, grpcPort);
    // A scheme of our own with the bootstrap given directly: no process-wide property or file,
    // so several runs in one JVM (the tests) each reach their own control plane.
    String scheme = "xds-bench" + XDS_SCHEMES.incrementAndGet();
    XdsNameResolverProvider provider = XdsNameResolverProvider.createForTest(
        scheme, XdsControlPlane.bootstrap(xdsPort));
    NameResolverRegistry.getDefaultRegistry().register(provider);
    ManagedChannel channel = Grpc.newChannelBuilder(
        scheme + ":///" + XdsControlPlane.TARGET, InsecureChannelCredentials.create()).build();
    return grpc(channel, null, payload)
        .alsoClosing(() -> NameResolverRegistry.getDefaultRegistry().deregister(provider));
  }

  /** A mesh4j application whose only policy source is the xDS control plane of {@link #XDS}. */
  private static Opened meshXds(Environment env, ConcurrentLinkedDeque<AutoCloseable> resources,
      int grpcPort, byte[] payload) throws IOException, InterruptedException {
    int xdsPort = startXdsControlPlane(env, resources, grpcPort);
    XdsConfigSource source = XdsConfigSource.builder()
        .bootstrapJson(new Gson().toJson(XdsControlPlane.bootstrap(xdsPort)))
        .targets(XdsControlPlane.TARGET)
        .build();
    Events events = new Events();
    Mesh mesh = applied(Mesh.builder().configSource(source).listener(events).build(),
        "the xDS control plane's resources");
    ManagedChannel channel = MeshChannels.builderForService(
        mesh, XdsControlPlane.TARGET, InsecureChannelCredentials.create()).build();
    return grpc(channel, events, payload).alsoClosing(mesh);
  }

  /** Starts the xDS control plane for the echo server on {@code grpcPort}; returns its port. */
  private static int startXdsControlPlane(Environment env,
      ConcurrentLinkedDeque<AutoCloseable> resources, int grpcPort)
      throws IOException, InterruptedException {
    ChildProcess controlPlane = register(resources, ChildProcess.startJvm("xds-control-plane",
        // C1 only: the control plane's speed does not matter after its first push, its start-up does.
        XdsControlPlane.class,
        List.of("-Xms128m", "-Xmx128m", "-XX:+UseParallelGC", "-XX:TieredStopAtLevel=1"),
        List.of(Integer.toString(grpcPort)), 60));
    env.controlPlanes().add(controlPlane);
    return controlPlane.readyValue("xds");
  }

  private static ChannelCredentials clientTls(Path certs) throws IOException {
    return TlsChannelCredentials.newBuilder()
        .keyManager(certs.resolve(BenchCertificates.CLIENT_CERT).toFile(),
            certs.resolve(BenchCertificates.CLIENT_KEY).toFile())
        .trustManager(certs.resolve(BenchCertificates.CA).toFile())
        .build();
  }

  private static Opened okHttp(Mesh mesh, HttpUrl url, byte[] payload) {
    // At most as many calls in flight as the pool keeps connections (HTTP/1.1: one call per
    // connection); more queue in the dispatcher, and an open loop charges them the wait. Without
    // the bound a stall made OkHttp open hundreds of connections, and the echo server closed the
    // idle ones beyond its limit under OkHttp's feet (resets).
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(OKHTTP_CONNECTIONS);
    dispatcher.setMaxRequestsPerHost(OKHTTP_CONNECTIONS);
    OkHttpClient.Builder builder = new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new ConnectionPool(OKHTTP_CONNECTIONS, 5, TimeUnit.MINUTES))
        // Both OkHttp rows alike: no silent retry of a failed connection by OkHttp itself (the
        // mesh's install turns it off too, since the mesh decides retries).
        .callTimeout(CALL_DEADLINE_SECONDS, TimeUnit.SECONDS)
        .retryOnConnectionFailure(false);
    OkHttpClient client = mesh == null ? builder.build() : MeshOkHttp.install(mesh, builder).build();
    Request request = new Request.Builder().url(url)
        .put(RequestBody.create(payload, MediaType.get("application/octet-stream")))
        .build();
    Load.Target target = call -> client.newCall(request).enqueue(call);
    Opened opened = new Opened(target, null, () -> {
      client.dispatcher().cancelAll();
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    });
    return mesh == null ? opened : opened.alsoClosing(mesh);
  }

  /** OkHttp rows' calls in flight and pooled connections, well below the server's 200 idle. */
  private static final int OKHTTP_CONNECTIONS = 64;

  private static <T extends AutoCloseable> T register(
      ConcurrentLinkedDeque<AutoCloseable> resources, T resource) {
    resources.add(resource);
    return resource;
  }

  // ---- environment

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return parts[0] + ", " + parts[1] + ", " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static Machine machine(String loadBefore, String loadAfter) {
    String cpu = "unknown";
    String memory = "unknown";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
      memory = Files.readAllLines(Path.of("/proc/meminfo")).stream()
          .filter(l -> l.startsWith("MemTotal")).findFirst()
          .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / (1024 * 1024) + " GB")
          .orElse(memory);
    } catch (IOException | RuntimeException e) {
      // not Linux: leave unknown
    }
    String haproxy = HaProxySidecars.findExecutable().map(LoadHarness::haproxyVersion)
        .orElse("not installed");
    return new Machine(Runtime.getRuntime().availableProcessors(), cpu, memory,
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
        haproxy, loadBefore, loadAfter,
        ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"))
            + " UTC");
  }

  private static String haproxyVersion(Path haproxy) {
    try {
      Process p = new ProcessBuilder(haproxy.toString(), "-v").redirectErrorStream(true).start();
      String first =
          new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
              .lines()
              .findFirst()
              .orElse("");
      p.waitFor(5, TimeUnit.SECONDS);
      return first.replace("HAProxy version ", "").split(" ")[0];
    } catch (IOException | InterruptedException e) {
      return "unknown";
    }
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; the OS cleans it eventually
    }
  }

  // ---- data

  /** The processes whose CPU time every row charges: the server and every control plane. */
  private record Environment(ChildProcess server, List<ChildProcess> controlPlanes) {}

  /** Opens a row's client (and whatever it needs). */
  @FunctionalInterface
  private interface Opener {
    Opened open() throws Exception;
  }

  /** A row the harness knows; {@code skipReason} is set when it cannot run here. */
  private record RowDef(String name, String what, String baseline, Opener opener,
      String skipReason) {
    RowDef(String name, String what, String baseline, Opener opener) {
      this(name, what, baseline, opener, null);
    }

    static RowDef skipped(String name, String reason) {
      return new RowDef(name, null, null, null, reason);
    }
  }

  /**
   * A row's client, ready to call. {@code proxies} are the row's own: an idle HAProxy still wakes
   * now and then, so charging it to every row put a clock tick on rows that never used it.
   */
  private record Opened(String name, String what, String baseline, Load.Target target,
      Events events, List<ChildProcess> proxies, AutoCloseable closer) implements AutoCloseable {
    Opened(Load.Target target, Events events, AutoCloseable closer) {
      this(null, null, null, target, events, List.of(), closer);
    }

    Opened named(RowDef def) {
      return new Opened(def.name(), def.what(), def.baseline(), target, events, proxies, closer);
    }

    Opened withEvents(Events e) {
      return new Opened(name, what, baseline, target, e, proxies, closer);
    }

    Opened withProxies(List<ChildProcess> own) {
      return new Opened(name, what, baseline, target, events, List.copyOf(own), closer);
    }

    Opened alsoClosing(AutoCloseable other) {
      AutoCloseable first = closer;
      return new Opened(name, what, baseline, target, events, proxies, () -> {
        try {
          first.close();
        } finally {
          other.close();
        }
      });
    }

    @Override
    public void close() throws IOException {
      try {
        closer.close();
      } catch (IOException | RuntimeException e) {
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while closing row " + name, e);
      } catch (Exception e) {
        throw new IOException("could not close row " + name, e);
      }
    }
  }

  /** Takes every batch of spans and drops it. */
  private static final class DroppingExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /** Counts what a mesh did besides sending each call once. */
  private static final class Events extends MeshListener {
    final LongAdder retries = new LongAdder();
    final LongAdder refused = new LongAdder();

    @Override
    public void retryScheduled(String destination, int nextAttempt, long backoffNanos,
        Outcome outcome) {
      retries.increment();
    }

    @Override
    public void callRefused(MeshFailure failure) {
      refused.increment();
    }
  }
}
