package io.mesh4j.benchmarks;

import com.sun.tools.attach.VirtualMachine;
import io.mesh4j.benchmarks.load.ProcessCpu;
import io.mesh4j.controller.MeshController;
import io.mesh4j.controller.MeshControllerMain;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.policy.TrafficRoute;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.client.ControllerConfigSource;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.HdrHistogram.Histogram;

/**
 * How mesh-controller copes with many applications: one controller in local mode on loopback, N
 * simulated applications connected to it, then a series of route-weight edits. For each edit it
 * measures, per application, the time from the file write to the moment that application applied
 * the new version (its ACK is sent right after, on the same thread), and to the moment the
 * controller received that ACK; before and after the applications connect, it measures the
 * controller's heap.
 *
 * <p>The ACK times come from the controller's {@code /status}: each application's {@code lastSync}
 * is the wall-clock instant its ACK arrived, compared with the wall-clock instant of the write.
 * Both processes read the same system clock, so no clock skew enters; its resolution is a
 * microsecond.
 *
 * <p>The controller runs in its own JVM, started from this one's class path with {@link
 * MeshControllerMain}, so that its heap holds only what the controller keeps per application and
 * none of the applications' own state. Its used heap is read over JMX (the JDK's attach API starts
 * the local management agent in it) after three full collections requested through {@link
 * MemoryMXBean#gc()}; its resident set size is read from {@code /proc} where there is one.
 *
 * <p>Each simulated application is a real {@link ControllerConfigSource} whose listener accepts
 * every snapshot, so the source ACKs it. They all live in this JVM and share what grpc-java
 * shares between channels by default (the Netty event loops, the timer and the blocking
 * executor) and the one stream thread that the controller sources of a JVM share. Each has its
 * own channel, connection, stream and parsed-document cache, as a real application has.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar
 * io.mesh4j.benchmarks.ControllerScaleBenchmark --apps 1000 --edits 5}.
 */
public final class ControllerScaleBenchmark {

  /**
   * What to run.
   *
   * @param apps how many applications connect
   * @param warmupEdits how many route-weight edits are made first, at least, and not measured
   * @param maxWarmupEdits after {@code warmupEdits}, warm-up goes on while either JVM compiled for
   *     more than {@link #COMPILE_QUIET} during the last edit, up to this many edits in all, so
   *     that the measured edits run on compiled code in both JVMs and not beside their compilers
   * @param edits how many route-weight edits are measured
   * @param controllerHeap the controller JVM's {@code -Xmx}, e.g. {@code 512m}
   */
  public record Options(int apps, int warmupEdits, int maxWarmupEdits, int edits, String controllerHeap) {}

  /**
   * Compilation in one edit below which a JVM counts as warm. On two cores a compilation of one of
   * Netty's hot methods takes 0.4 to 0.7 s of CPU, as much as the edit itself.
   */
  static final Duration COMPILE_QUIET = Duration.ofMillis(50);

  private static final Duration SETTLE_QUIET = Duration.ofMillis(250);
  private static final Duration SETTLE_MAX = Duration.ofSeconds(3);

  /**
   * What was measured.
   *
   * @param apps how many applications connected
   * @param edits how many edits were measured
   * @param applyLatency per application and edit, file write to apply, in microseconds
   * @param ackLatency per application and edit, file write to the controller receiving the ACK,
   *     in microseconds
   * @param lastAckMillis per edit, file write to the last ACK the controller received
   * @param missedApplies applications that did not apply an edit within the timeout, summed over
   *     edits
   * @param heapBefore controller used heap after GC with no application connected, in bytes
   * @param heapAfter controller used heap after GC with every application connected, in bytes
   * @param rssBefore controller resident set size with no application connected, in bytes (0 if
   *     unknown)
   * @param rssAfter controller resident set size with every application connected, in bytes (0 if
   *     unknown)
   * @param controllerCpuNanos CPU time the controller process used over the measured edits
   * @param applicationsCpuNanos CPU time this process (the simulated applications) used over the
   *     measured edits
   */
  public record Result(
      int apps,
      int edits,
      Histogram applyLatency,
      Histogram ackLatency,
      List<Long> lastAckMillis,
      int missedApplies,
      long heapBefore,
      long heapAfter,
      long rssBefore,
      long rssAfter,
      long controllerCpuNanos,
      long applicationsCpuNanos) {

    /** Controller heap per connected application, in bytes. */
    public long heapPerApp() {
      return (heapAfter - heapBefore) / apps;
    }

    /** Controller resident memory per connected application, in bytes (0 if unknown). */
    public long rssPerApp() {
      return rssBefore == 0 ? 0 : (rssAfter - rssBefore) / apps;
    }
  }

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /**
   * How often the applications' own state is checked: short against the latencies measured, and
   * reading it costs neither process anything worth counting.
   */
  private static final Duration POLL = Duration.ofMillis(10);

  /**
   * How often the controller's {@code /status} is read while waiting for ACKs. The ACK times are
   * the controller's own {@code lastSync} stamps, so this does not change what is measured; but
   * rendering the status of thousands of applications costs the controller tens of milliseconds
   * of CPU each time, which would otherwise be counted (and compete) as the controller's work.
   */
  private static final Duration STATUS_POLL = Duration.ofMillis(250);
  private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");
  private static final Pattern LAST_SYNC = Pattern.compile("\"lastSync\":\"([^\"]+)\"");

  private final Options options;
  private final PrintStream out;
  private final HttpClient http = HttpClient.newHttpClient();
  private final Path dir;
  private final Path security;
  private final int grpcPort;
  private final int adminPort;

  private ControllerScaleBenchmark(Options options, PrintStream out) throws IOException {
    this.options = options;
    this.out = out;
    this.dir = Files.createTempDirectory("mesh4j-scale");
    // tokens and the CA root live beside the watched YAML, never in it
    this.security = Files.createTempDirectory("mesh4j-scale-security");
    this.grpcPort = freePort();
    this.adminPort = freePort();
  }

  /**
   * Runs with {@code --apps N} (default 1000), {@code --warmup N} unmeasured edits at least
   * (default 2), {@code --max-warmup N} at most (default 30), {@code --edits N} measured edits
   * (default 5) and {@code --controller-heap SIZE} (default 512m).
   */
  public static void main(String[] args) throws Exception {
    // A thousand sources logging every connection and apply would measure the console.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    int apps = 1000;
    int warmup = 2;
    int maxWarmup = 30;
    int edits = 5;
    String heap = "512m";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--apps" -> apps = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--max-warmup" -> maxWarmup = Integer.parseInt(args[++i]);
        case "--edits" -> edits = Integer.parseInt(args[++i]);
        case "--controller-heap" -> heap = args[++i];
        default -> {
          System.err.println("usage: ControllerScaleBenchmark [--apps N] [--warmup N] [--max-warmup N] [--edits N] [--controller-heap SIZE]");
          System.exit(2);
        }
      }
    }
    Result r = run(new Options(apps, warmup, Math.max(warmup, maxWarmup), edits, heap), System.out);
    report(r, System.out);
    System.exit(r.missedApplies() == 0 ? 0 : 1);
  }

  /** Runs the whole benchmark; starts and stops its own controller and leaves no file behind. */
  public static Result run(Options options, PrintStream out) throws Exception {
    ControllerScaleBenchmark b = new ControllerScaleBenchmark(options, out);
    try {
      return b.measure();
    } finally {
      try (Stream<Path> files = Files.walk(b.dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Prints the result as a Markdown table. */
  public static void report(Result r, PrintStream out) {
    out.printf("%n| file write to | applications | edits | samples | p50 | p99 | max |%n");
    out.printf("|---|---|---|---|---|---|---|%n");
    row(out, "apply", r, r.applyLatency());
    row(out, "ACK received", r, r.ackLatency());
    out.printf("%n| controller | no application | %d applications | per application |%n", r.apps());
    out.printf("|---|---|---|---|%n");
    out.printf("| used heap after GC | %.1f MB | %.1f MB | %.1f KB |%n",
        r.heapBefore() / 1e6, r.heapAfter() / 1e6, r.heapPerApp() / 1000.0);
    if (r.rssBefore() != 0) {
      out.printf("| resident set | %.1f MB | %.1f MB | %.1f KB |%n",
          r.rssBefore() / 1e6, r.rssAfter() / 1e6, r.rssPerApp() / 1000.0);
    }
    out.printf("%nlast ACK, per edit: %s ms; applies missed: %d%n", r.lastAckMillis(), r.missedApplies());
    if (r.edits() > 0) {
      out.printf("CPU per edit: controller %.0f ms, simulated applications %.0f ms%n",
          r.controllerCpuNanos() / 1e6 / r.edits(), r.applicationsCpuNanos() / 1e6 / r.edits());
    }
  }

  private static void row(PrintStream out, String what, Result r, Histogram h) {
    out.printf("| %s | %d | %d | %d | %.1f ms | %.1f ms | %.1f ms |%n",
        what, r.apps(), r.edits(), h.getTotalCount(),
        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0);
  }

  private Result measure() throws Exception {
    write("mesh.yaml", MESH);
    write("catalog-endpoints.yaml", ENDPOINTS);
    write("catalog.yaml", route(50, 50));
    Process controller = startController();
    List<ControllerConfigSource> sources = new ArrayList<>();
    try (JMXConnector jmx = attach(controller)) {
      MemoryMXBean memory =
          ManagementFactory.newPlatformMXBeanProxy(jmx.getMBeanServerConnection(), ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
      CompilationMXBean controllerCompiler =
          ManagementFactory.newPlatformMXBeanProxy(jmx.getMBeanServerConnection(), ManagementFactory.COMPILATION_MXBEAN_NAME, CompilationMXBean.class);
      CompilationMXBean ownCompiler = ManagementFactory.getCompilationMXBean();
      await("the controller to serve", () -> adminGet("/readyz").statusCode() == 200);
      long heapBefore = usedHeapAfterGc(memory);
      long rssBefore = rss(controller);

      int n = options.apps();
      await("the controller to write its trust bundle", () -> Files.isRegularFile(security.resolve(MeshController.ROOT_FILE)));
      AtomicLongArray appliedAt = new AtomicLongArray(n);
      AtomicLongArray appliedWeight = new AtomicLongArray(n);
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        ControllerConfigSource source =
            ControllerConfigSource.builder("127.0.0.1:" + grpcPort)
                .application("app-%04d".formatted(i))
                .namespace("shop")
                .tokenFile(security.resolve("app-%04d.token".formatted(i)))
                .trustedRoots(security.resolve(MeshController.ROOT_FILE))
                .calls("catalog")
                .build();
        sources.add(source);
        source.start(new Application(i, appliedAt, appliedWeight));
      }
      await(n + " applications to apply the first version", () -> allHave(appliedWeight, 50));
      await("the controller to see every ACK", () -> inSync(n), STATUS_POLL);
      out.printf("%d applications connected and in sync in %d ms%n", n, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      long heapAfter = usedHeapAfterGc(memory);
      long rssAfter = rss(controller);

      Histogram latency = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
      Histogram ackLatency = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
      Histogram warmupLatency = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
      List<Long> lastAck = new ArrayList<>();
      int missed = 0;
      long controllerCpu = 0;
      long applicationsCpu = 0;
      long self = ProcessHandle.current().pid();
      int warmups = 0;
      boolean warm = false;
      for (int e = 1; e <= warmups + options.edits(); e++) {
        boolean measured = warm || warmups == options.maxWarmupEdits();
        if (!measured) {
          warmups++;
        }
        // 51 to 99 and back: each edit changes the weight.
        int v1 = 51 + (e - 1) % 49;
        settle(controllerCompiler, ownCompiler);
        // Warm-up edits are recorded too, apart, so that measuring runs compiled code as well.
        Histogram applies = measured ? latency : warmupLatency;
        Histogram acks = measured ? ackLatency : warmupLatency;
        long controllerCpuBefore = ProcessCpu.nanos(controller.pid());
        long applicationsCpuBefore = ProcessCpu.nanos(self);
        long controllerCompileBefore = controllerCompiler.getTotalCompilationTime();
        long applicationsCompileBefore = ownCompiler.getTotalCompilationTime();
        Instant writtenAt = Instant.now();
        long written = System.nanoTime();
        write("catalog.yaml", route(v1, 100 - v1));
        Check applied = () -> allHave(appliedWeight, v1);
        awaitQuietly(applied, POLL);
        long lastAckMicros = -1;
        // The status that shows every ACK also holds their times: one rendering, not two.
        AtomicReference<String> status = new AtomicReference<>();
        if (awaitQuietly(() -> inSync(n, status), STATUS_POLL)) {
          Matcher m = LAST_SYNC.matcher(status.get());
          while (m.find()) {
            long micros = Math.max(0, ChronoUnit.MICROS.between(writtenAt, Instant.parse(m.group(1))));
            acks.recordValue(micros);
            lastAckMicros = Math.max(lastAckMicros, micros);
          }
        }
        long lastApplyMicros = -1;
        for (int i = 0; i < n; i++) {
          if (appliedWeight.get(i) == v1) {
            long micros = Math.max(0, TimeUnit.NANOSECONDS.toMicros(appliedAt.get(i) - written));
            lastApplyMicros = Math.max(lastApplyMicros, micros);
            applies.recordValue(micros);
          } else if (measured) {
            missed++;
          }
        }
        long controllerCpuEdit = ProcessCpu.nanos(controller.pid()) - controllerCpuBefore;
        long applicationsCpuEdit = ProcessCpu.nanos(self) - applicationsCpuBefore;
        long controllerCompile = controllerCompiler.getTotalCompilationTime() - controllerCompileBefore;
        long applicationsCompile = ownCompiler.getTotalCompilationTime() - applicationsCompileBefore;
        out.printf("edit %d%s: last apply %d ms, last ACK received %d ms; CPU: controller %d ms,"
                + " applications %d ms; compiling: controller %d ms, applications %d ms%n", e, measured ? "" : " (warm-up)",
            TimeUnit.MICROSECONDS.toMillis(lastApplyMicros), TimeUnit.MICROSECONDS.toMillis(lastAckMicros),
            TimeUnit.NANOSECONDS.toMillis(controllerCpuEdit), TimeUnit.NANOSECONDS.toMillis(applicationsCpuEdit),
            controllerCompile, applicationsCompile);
        if (!measured) {
          warm = warmups >= options.warmupEdits()
              && Math.max(controllerCompile, applicationsCompile) <= COMPILE_QUIET.toMillis();
          continue;
        }
        controllerCpu += controllerCpuEdit;
        applicationsCpu += applicationsCpuEdit;
        lastAck.add(lastAckMicros < 0 ? -1 : TimeUnit.MICROSECONDS.toMillis(lastAckMicros));
      }
      return new Result(n, options.edits(), latency, ackLatency, List.copyOf(lastAck), missed, heapBefore, heapAfter, rssBefore, rssAfter,
          controllerCpu, applicationsCpu);
    } finally {
      closeAll(sources);
      controller.destroy();
      if (!controller.waitFor(10, TimeUnit.SECONDS)) {
        controller.destroyForcibly();
      }
    }
  }

  /** An application's engine that accepts everything and notes when each version arrived. */
  private static final class Application implements ConfigSource.Listener {
    private final int index;
    private final AtomicLongArray appliedAt;
    private final AtomicLongArray appliedWeight;

    Application(int index, AtomicLongArray appliedAt, AtomicLongArray appliedWeight) {
      this.index = index;
      this.appliedAt = appliedAt;
      this.appliedWeight = appliedWeight;
    }

    @Override
    public ApplyResult onUpdate(PolicySet policies) {
      long now = System.nanoTime();
      // The time is written before the weight, which the measuring thread reads first.
      appliedAt.set(index, now);
      appliedWeight.set(index, v1Weight(policies));
      return ApplyResult.accepted();
    }

    @Override
    public void onRejected(List<Problem> problems) {
      // Every snapshot here is valid; a rejection would show up as a missed apply.
    }

    private static long v1Weight(PolicySet policies) {
      return policies.routes().stream()
          .flatMap(r -> r.spec().rules().get(0).backends().stream())
          .filter(b -> "v1".equals(b.subset()))
          .mapToLong(TrafficRoute.Backend::weight)
          .findFirst()
          .orElse(-1);
    }
  }

  /**
   * One bootstrap token per application, each its own service account (one identity may hold
   * only a bounded number of streams), so the controller authenticates every stream as it would
   * in production, over TLS from its own certificate authority.
   */
  private void writeTokens(int apps) throws IOException {
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < apps; i++) {
      String token = "scale-token-%04d".formatted(i);
      Files.writeString(security.resolve("app-%04d.token".formatted(i)), token);
      list.append(token).append(" shop/app-%04d%n".formatted(i));
    }
    Files.writeString(security.resolve("tokens"), list);
  }

  private Process startController() throws IOException {
    writeTokens(options.apps());
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command =
        List.of(
            java,
            "-Xmx" + options.controllerHeap(),
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp",
            System.getProperty("java.class.path"),
            MeshControllerMain.class.getName(),
            "--config-dir", dir.toString(),
            "--token-file", security.resolve("tokens").toString(),
            "--ca-dir", security.resolve("ca").toString(),
            "--address", "127.0.0.1",
            "--port", Integer.toString(grpcPort),
            "--admin-port", Integer.toString(adminPort));
    return new ProcessBuilder(command).inheritIO().start();
  }

  // JMX to a child JVM this benchmark started itself, on its loopback management agent
  @SuppressWarnings("BanJNDI")
  private static JMXConnector attach(Process process) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      VirtualMachine vm = attachWhenReady(process);
      try {
        String address = vm.startLocalManagementAgent();
        return JMXConnectorFactory.connect(new JMXServiceURL(address));
      } catch (com.sun.tools.attach.AttachOperationFailedException e) {
        // a JVM still starting can fail to start its agent (a NullPointerException inside it)
        if (System.nanoTime() - deadline > 0) {
          throw e;
        }
        Thread.sleep(100);
      } finally {
        vm.detach();
      }
    }
  }

  /** The attach listener answers only once the new JVM has set it up; retried until then. */
  private static VirtualMachine attachWhenReady(Process process) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        return VirtualMachine.attach(Long.toString(process.pid()));
      } catch (Exception e) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static long usedHeapAfterGc(MemoryMXBean memory) {
    // Several collections, so objects that only became unreachable during one are gone too.
    for (int i = 0; i < 3; i++) {
      memory.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static long rss(Process process) throws IOException {
    Path status = Path.of("/proc", Long.toString(process.pid()), "status");
    if (!Files.exists(status)) {
      return 0;
    }
    Matcher m = RSS.matcher(Files.readString(status));
    return m.find() ? Long.parseLong(m.group(1)) * 1024 : 0;
  }

  private static boolean allHave(AtomicLongArray weights, long weight) {
    for (int i = 0; i < weights.length(); i++) {
      if (weights.get(i) != weight) {
        return false;
      }
    }
    return true;
  }

  /** Whether the controller reports {@code n} applications, each having ACKed what it was sent. */
  private boolean inSync(int n) throws IOException, InterruptedException {
    return inSync(n, new AtomicReference<>());
  }

  /** Whether all {@code n} applications are in sync; {@code read} gets the status read. */
  private boolean inSync(int n, AtomicReference<String> read) throws IOException, InterruptedException {
    String status = adminGet("/status").body();
    read.set(status);
    return count(status, "\"inSync\":true") == n && count(status, "\"inSync\":false") == 0;
  }

  private static int count(String text, String needle) {
    int count = 0;
    for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length())) {
      count++;
    }
    return count;
  }

  private HttpResponse<String> adminGet(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A condition that may throw while the thing it asks about is not up yet. */
  private interface Check {
    boolean test() throws Exception;
  }

  private static void await(String what, Check check) throws InterruptedException {
    await(what, check, POLL);
  }

  private static void await(String what, Check check, Duration every) throws InterruptedException {
    if (!awaitQuietly(check, every)) {
      throw new IllegalStateException("timed out waiting for " + what);
    }
  }

  /**
   * Waits, at most {@link #SETTLE_MAX}, until neither JVM finished a compilation for {@link
   * #SETTLE_QUIET}, so that an edit does not run beside compilations that the last one (or this
   * benchmark's bookkeeping of it) started. Edits in a cluster come seconds apart, not back to back.
   */
  private static void settle(CompilationMXBean... compilers) throws InterruptedException {
    long deadline = System.nanoTime() + SETTLE_MAX.toNanos();
    long last = -1;
    while (System.nanoTime() < deadline) {
      long now = 0;
      for (CompilationMXBean c : compilers) {
        now += c.getTotalCompilationTime();
      }
      if (now == last) {
        return;
      }
      last = now;
      Thread.sleep(SETTLE_QUIET.toMillis());
    }
  }

  private static boolean awaitQuietly(Check check, Duration every) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (check.test()) {
          return true;
        }
      } catch (Exception e) {
        // Not up yet; asked again below.
      }
      Thread.sleep(every.toMillis());
    }
    return false;
  }

  private static void closeAll(List<ControllerConfigSource> sources) throws InterruptedException {
    // Each close waits for its channel; in parallel, a thousand of them take a moment, not minutes.
    ExecutorService pool = Executors.newFixedThreadPool(16);
    for (ControllerConfigSource s : sources) {
      pool.execute(s::close);
    }
    pool.shutdown();
    pool.awaitTermination(2, TimeUnit.MINUTES);
  }

  private void write(String name, String yaml) throws IOException {
    // Written beside and moved into place, so the watcher never reads half a file.
    Path tmp = dir.resolve("." + name + ".tmp");
    Files.writeString(tmp, yaml);
    Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static final String MESH =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: MeshConfig
      metadata: {name: mesh, namespace: mesh4j-system}
      spec:
        mtls: PERMISSIVE
      """;

  private static final String ENDPOINTS =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: catalog, namespace: shop}
      spec:
        service: catalog
        endpoints:
          - {address: 10.0.0.1, port: 8080, labels: {version: v1}}
          - {address: 10.0.0.2, port: 8080, labels: {version: v2}}
      """;

  private static String route(int v1, int v2) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
          rules:
            - backends:
                - {subset: v1, weight: %d}
                - {subset: v2, weight: %d}
        """
        .formatted(v1, v2);
  }
}
