package io.mesh4j.samples;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.MeshListener;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.DirectoryConfigSource;
import io.mesh4j.grpc.MeshChannels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The demo behind the README's first command: real gRPC calls on loopback through a mesh4j
 * channel to three plain grpc-java servers (catalog v1, v1, v2), with the policy read live from
 * a directory of YAML. It shows the canary split, header routing, a live weight change, a
 * refused bad edit, retries and ejection around a failing endpoint, and the circuit breaker.
 *
 * <p>No cluster is needed: endpoints come from a {@code ServiceEndpoints} resource that the demo
 * writes with the ports its servers got. The controller, HTTP and mTLS parts of the mesh are
 * not in this demo yet.
 */
public final class Demo {

  private static final String CATALOG = "catalog.shop";

  private final Path configDir;
  private final PrintStream out;
  private final List<CatalogServer> servers = new ArrayList<>();
  private final Events events = new Events();

  private Demo(Path configDir, PrintStream out) {
    this.configDir = configDir;
    this.out = out;
  }

  /** Runs the demo with the YAML in {@code args[0]} (default {@code samples/mesh}) as a template. */
  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    Path template = Path.of(args.length > 0 ? args[0] : "samples/mesh");
    List<Phase> phases = run(template, System.out);
    boolean allAsExpected = phases.stream().allMatch(Phase::asExpected);
    System.out.println(allAsExpected ? "Every phase behaved as expected." : "Some phase did NOT behave as expected.");
    System.exit(allAsExpected ? 0 : 1);
  }

  /**
   * Runs every phase against a copy of {@code template} and returns what each observed. Starts
   * and stops its own servers; leaves no thread or file behind.
   */
  public static List<Phase> run(Path template, PrintStream out) throws Exception {
    Path dir = Files.createTempDirectory("mesh4j-demo");
    try {
      try (Stream<Path> files = Files.list(template)) {
        for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".yaml"))::iterator) {
          Files.copy(f, dir.resolve(f.getFileName()));
        }
      }
      return new Demo(dir, out).phases();
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private List<Phase> phases() throws Exception {
    CatalogServer v1a = start("catalog-v1-a", "v1");
    CatalogServer v1b = start("catalog-v1-b", "v1");
    CatalogServer v2 = start("catalog-v2", "v2");
    writeEndpoints();
    List<Phase> phases = new ArrayList<>();
    try (DirectoryConfigSource source = DirectoryConfigSource.watching(configDir);
        Mesh mesh = Mesh.builder().configSource(source).listener(events).build()) {
      ManagedChannel channel = MeshChannels.forService(mesh, CATALOG);
      try {
        banner("mesh4j demo: 3 gRPC servers on 127.0.0.1, policy from " + source.describe());
        await("the first policy", () -> mesh.appliedVersion() > 0);

        phases.add(
            measure("1. canary: 80% to v1, 20% to v2", channel, 2000, false,
                p -> near(p.share("v2"), 20, 4) && p.failed == 0));

        Channel canary = withHeader(channel, "x-canary", "true");
        phases.add(
            measure("2. header route: `x-canary: true` always goes to v2", canary, 200, false,
                p -> p.share("v2") == 100 && p.failed == 0));

        long before = mesh.appliedVersion();
        edit("catalog.yaml", s -> s.replace("weight: 80", "weight: 50").replace("weight: 20", "weight: 50"));
        await("the 50/50 edit", () -> mesh.appliedVersion() > before);
        phases.add(
            measure("3. live edit: weights 80/20 -> 50/50, no restart", channel, 2000, false,
                p -> near(p.share("v2"), 50, 5) && p.failed == 0));

        int refusedBefore = events.refusals.size();
        Files.writeString(configDir.resolve("broken.yaml"), BROKEN_EDIT);
        await("the broken edit to be refused", () -> events.refusals.size() > refusedBefore);
        out.println("   refused edit, reported as:");
        events.refusals.get(events.refusals.size() - 1).forEach(p -> out.println("     " + p.message()));
        phases.add(
            measure("4. a broken edit is refused; the 50/50 policy stays in effect", channel, 1000, false,
                p -> near(p.share("v2"), 50, 6) && p.failed == 0));
        // Removing the file restores exactly the policy in effect, so nothing new is applied.
        Files.delete(configDir.resolve("broken.yaml"));

        v1b.failing(true);
        phases.add(
            measure("5. catalog-v1-b fails every call: retries hide it, outlier detection ejects it",
                channel, 2000, false,
                p -> p.failed == 0 && p.retries > 0 && p.ejections > 0));
        v1b.failing(false);

        long beforeFlip = mesh.appliedVersion();
        edit("catalog.yaml", s -> s.replace("weight: 50\n        - subset: v2\n          weight: 50",
            "weight: 0\n        - subset: v2\n          weight: 100"));
        await("the 0/100 edit", () -> mesh.appliedVersion() > beforeFlip);
        v2.failing(true);
        phases.add(
            measure("6. all traffic to v2, and v2 fails: the breaker opens and calls fail fast",
                channel, 200, true,
                p -> p.meshMessages.stream().anyMatch(m -> m.contains(": mesh4j: circuit open"))));
        v2.failing(false);
        Phase recovery = recover(channel);
        phases.add(recovery);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      for (CatalogServer s : servers) {
        s.close();
      }
    }
    summary(phases);
    return phases;
  }

  private Phase measure(String title, Channel channel, int calls, boolean expectFailures,
      java.util.function.Predicate<Phase> expectation) {
    banner(title);
    servers.forEach(CatalogServer::takeCalls);
    int retriesBefore = events.retries.get();
    int ejectionsBefore = events.ejections.get();
    Phase p = new Phase(title);
    for (int i = 0; i < calls; i++) {
      try {
        ClientCalls.blockingUnaryCall(
            channel, CatalogServer.GET_ITEM, CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS),
            "sku-" + i);
        p.ok++;
      } catch (StatusRuntimeException e) {
        p.failed++;
        p.meshMessages.add(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
      }
    }
    for (CatalogServer s : servers) {
      p.callsByServer.put(s.name() + " (" + s.version() + ")", s.takeCalls());
    }
    p.retries = events.retries.get() - retriesBefore;
    p.ejections = events.ejections.get() - ejectionsBefore;
    p.asExpected = expectation.test(p);
    p.print(out, expectFailures);
    return p;
  }

  /** After v2 heals, the breaker lets trial calls through once its wait is over, then closes. */
  private Phase recover(Channel channel) throws InterruptedException {
    banner("7. v2 heals: after the breaker's wait, trial calls succeed and it closes");
    Phase p = new Phase("7. recovery");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && p.ok < 50) {
      try {
        ClientCalls.blockingUnaryCall(channel, CatalogServer.GET_ITEM,
            CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS), "sku");
        p.ok++;
      } catch (StatusRuntimeException e) {
        p.failed++;
        Thread.sleep(100); // waiting out the breaker's open state, paced so the demo stays light
      }
    }
    p.asExpected = p.ok >= 50;
    out.printf("   %d calls failed fast while the breaker was open, then %d succeeded%n", p.failed, p.ok);
    events.breakerChanges.forEach(c -> out.println("   breaker: " + c));
    return p;
  }

  private CatalogServer start(String name, String version) {
    CatalogServer s = new CatalogServer(name, version);
    servers.add(s);
    return s;
  }

  private void writeEndpoints() throws IOException {
    StringBuilder yaml = new StringBuilder()
        .append("apiVersion: mesh4j.io/v1alpha1\nkind: ServiceEndpoints\n")
        .append("metadata: {name: catalog, namespace: shop}\n")
        .append("spec:\n  service: catalog\n  endpoints:\n");
    for (CatalogServer s : servers) {
      yaml.append("    - {address: 127.0.0.1, port: ").append(s.port())
          .append(", labels: {version: ").append(s.version()).append("}}\n");
    }
    write("endpoints.yaml", yaml.toString());
  }

  private void edit(String file, java.util.function.UnaryOperator<String> change) throws IOException {
    String before = Files.readString(configDir.resolve(file));
    String after = change.apply(before);
    if (after.equals(before)) {
      throw new IllegalStateException("the demo's edit of " + file + " changed nothing");
    }
    write(file, after);
  }

  /** Replaces a file in one step, so the watcher never reads half of it. */
  private void write(String file, String content) throws IOException {
    Path tmp = configDir.resolve("." + file + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, configDir.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private static Channel withHeader(Channel channel, String name, String value) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static boolean near(double actual, double expected, double tolerance) {
    return Math.abs(actual - expected) <= tolerance;
  }

  private void banner(String title) {
    out.println();
    out.println("== " + title);
  }

  private void summary(List<Phase> phases) {
    banner("summary");
    out.printf("   %-82s %6s %6s %7s %s%n", "phase", "ok", "failed", "retries", "as expected");
    for (Phase p : phases) {
      out.printf("   %-82s %6d %6d %7d %s%n", p.title, p.ok, p.failed, p.retries, p.asExpected ? "yes" : "NO");
    }
  }

  private static final String BROKEN_EDIT =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: search, namespace: shop}
      spec:
        destination: search
        rules:
          - matches:
              - path: {regex: "/items/[0-9+"}
            backends:
              - weight: -5
      """;

  /** What one phase of the demo observed. */
  public static final class Phase {
    private final String title;
    private final Map<String, Integer> callsByServer = new LinkedHashMap<>();
    private final Set<String> meshMessages = new LinkedHashSet<>();
    private int ok;
    private int failed;
    private int retries;
    private int ejections;
    private boolean asExpected;

    Phase(String title) {
      this.title = title;
    }

    public String title() {
      return title;
    }

    /** Calls that returned a response. */
    public int ok() {
      return ok;
    }

    /** Calls that failed, as the application saw them. */
    public int failed() {
      return failed;
    }

    /** Retries the mesh made. */
    public int retries() {
      return retries;
    }

    /** Endpoints ejected during the phase. */
    public int ejections() {
      return ejections;
    }

    /** Distinct failures the application saw, as {@code CODE: description}. */
    public Set<String> meshMessages() {
      return meshMessages;
    }

    /** Calls each server received, attempts and retries included, keyed by name and version. */
    public Map<String, Integer> callsByServer() {
      return callsByServer;
    }

    /** Whether the phase behaved as the demo says it should. */
    public boolean asExpected() {
      return asExpected;
    }

    /** Share (%) of server-side calls that reached servers of {@code version}. */
    public double share(String version) {
      int total = callsByServer.values().stream().mapToInt(Integer::intValue).sum();
      int matching = callsByServer.entrySet().stream()
          .filter(e -> e.getKey().endsWith("(" + version + ")"))
          .mapToInt(Map.Entry::getValue).sum();
      return total == 0 ? 0 : 100.0 * matching / total;
    }

    void print(PrintStream out, boolean failuresExpected) {
      int total = callsByServer.values().stream().mapToInt(Integer::intValue).sum();
      callsByServer.forEach((server, n) -> out.printf("   %-22s %5d calls  %5.1f%%  %s%n", server, n,
          total == 0 ? 0.0 : 100.0 * n / total, "#".repeat(total == 0 ? 0 : 40 * n / total)));
      out.printf("   application saw: %d ok, %d failed%s; mesh retries: %d; ejections: %d%n",
          ok, failed, failuresExpected ? " (expected here)" : "", retries, ejections);
      meshMessages.forEach(m -> out.println("   application got: " + m));
      out.println("   as expected: " + (asExpected ? "yes" : "NO"));
    }
  }

  /** Counts what the mesh reports about itself. */
  private static final class Events extends MeshListener {
    final AtomicInteger retries = new AtomicInteger();
    final AtomicInteger ejections = new AtomicInteger();
    final List<List<Problem>> refusals = new CopyOnWriteArrayList<>();
    final List<String> breakerChanges = new CopyOnWriteArrayList<>();

    @Override
    public void retryScheduled(String destination, int nextAttempt, long backoffNanos, Outcome outcome) {
      retries.incrementAndGet();
    }

    @Override
    public void endpointEjected(String destination, Endpoint endpoint, long durationNanos, String reason) {
      ejections.incrementAndGet();
    }

    @Override
    public void snapshotRefused(long version, List<Problem> problems) {
      refusals.add(List.copyOf(problems));
    }

    @Override
    public void breakerStateChanged(String destination, String subset, BreakerState from, BreakerState to) {
      breakerChanges.add(destination + "/" + subset + " " + from + " -> " + to);
    }
  }
}
