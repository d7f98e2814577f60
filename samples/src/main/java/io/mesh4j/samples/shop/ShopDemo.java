package io.mesh4j.samples.shop;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import okhttp3.FormBody;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The demo behind the README's first command. It starts the controller in local mode on a copy
 * of {@code samples/mesh/} and the shop's five Spring Boot applications in this JVM, sends users
 * to the frontend at a fixed concurrency, shows a live view once per second, and walks through
 * the phases: the catalog canary at 90/10, 50/50 and 0/100 (live YAML edits the controller
 * streams to the frontend), one pricing instance failing (retries and ejection hide it), all of
 * pricing failing (the breaker opens, pages are served without a price), and recovery. It ends
 * with a summary table, closes everything it started and deletes its copy of the YAML.
 */
public final class ShopDemo {

  /**
   * How the demo runs.
   *
   * @param phaseLength how long each phase sends traffic (recovery may take longer, until the
   *     breaker has closed)
   * @param concurrency users sending page requests at once
   * @param ansi redraw the live view in place (a terminal) rather than print plain lines
   */
  public record Options(Duration phaseLength, int concurrency, boolean ansi) {

    /** Checks the values. */
    public Options {
      if (phaseLength.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("the demo's phase length must be at least 1s, got " + phaseLength);
      }
      if (concurrency < 1 || concurrency > 64) {
        throw new IllegalArgumentException("the demo's concurrency must be between 1 and 64, got " + concurrency);
      }
    }

    /** The README's demo: 5-second phases, 4 users, a redrawn screen when stdout is a terminal. */
    public static Options readme() {
      return new Options(Duration.ofSeconds(5), 4, stdoutIsTerminal());
    }
  }

  /**
   * What one phase observed.
   *
   * @param title the phase's title
   * @param expectation what it should show, in words
   * @param seconds how long it sent traffic
   * @param users the user-facing calls it counted (started after its change took effect)
   * @param mesh what the frontend's mesh did during the phase
   * @param received calls each instance received, retries included
   * @param problems how the phase fell short of its expectation; empty when it behaved
   */
  public record PhaseResult(
      String title,
      String expectation,
      double seconds,
      Tally users,
      MeshReadings mesh,
      Map<String, Long> received,
      List<String> problems) {

    /** Whether the phase behaved as the demo says it should. */
    public boolean asExpected() {
      return problems.isEmpty();
    }

    /** Share (%) of served pages that catalog {@code version} answered. */
    public double share(String version) {
      return users.share(version);
    }

    /** Retries the frontend's mesh made. */
    public long retries() {
      return mesh.totalRetries();
    }

    /** Endpoints the frontend's mesh ejected. */
    public long ejections() {
      return mesh.totalEjections();
    }

    /** Transitions of breaker {@code key} (e.g. {@code pricing.shop}) to {@code state} ({@code open}, ...). */
    public long breakerTransitions(String key, String state) {
      return mesh.transitions(key, state);
    }

    /** The state of breaker {@code key} at the end of the phase. */
    public String breakerAtEnd(String key) {
      return mesh.breaker(key);
    }
  }

  /**
   * What the demo observed.
   *
   * @param phases every phase, in order
   * @param total every user-facing call from the first to the last, between phases included
   * @param ports every port the shop listened on
   * @param refusal how the controller's status reported the refused edit
   * @param seconds the demo's run time, start-up and shut-down included
   * @param identities each application's SPIFFE ID from its certificate (null when it had none), by instance
   * @param tracedPages how many sampled traces the shop's applications recorded
   * @param widestTrace the most spans one trace had (5 when a page's trace crossed all three applications)
   * @param operatorView the operator's questions, asked with the {@code mesh4j} command before the shop closed
   */
  public record Report(List<PhaseResult> phases, Tally total, List<Integer> ports, String refusal, double seconds,
      Map<String, String> identities, long tracedPages, int widestTrace, String operatorView) {

    /** Whether every phase behaved and no user-facing call failed. */
    public boolean allAsExpected() {
      return total.failed() == 0 && phases.stream().allMatch(PhaseResult::asExpected);
    }
  }

  private static final String PRICING = "pricing.shop";

  /** Pages a phase that measures a split waits for, so that its share means something. */
  static final int SPLIT_PAGES = 300;

  /** Pages sent before the first phase. */
  private static final int WARM_UP_PAGES = 100;

  private record PhaseSpec(
      String title, String expectation, Step before, int minPages, Predicate<MeshReadings> until, Checks checks) {}

  @FunctionalInterface
  private interface Step {
    void run(Shop shop, TrafficDriver driver) throws Exception;
  }

  @FunctionalInterface
  private interface Checks {
    void check(PhaseResult p, List<String> problems);
  }

  private final Options options;
  private final PrintStream out;
  private final LiveConsole console;
  private final List<String> footer = new ArrayList<>();
  private volatile String phaseTitle = "starting";
  private volatile String refusal = "";

  private ShopDemo(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
    this.console = new LiveConsole(out, options.ansi());
  }

  /** Runs the demo on {@code args[0]} (default {@code samples/mesh}); fails if a phase misbehaved. */
  public static void main(String[] args) throws Exception {
    quietLogging();
    Path template = Path.of(args.length > 0 ? args[0] : "samples/mesh");
    Options options = Options.readme();
    // Maven in batch mode strips escape sequences from System.out; the redrawn view needs the
    // terminal itself (this stream stays open: it is the process's standard output)
    PrintStream out = options.ansi()
        ? new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8)
        : System.out;
    // -Dmesh4j.demo.routes=gateway-api: the same phases with the canary as a Gateway API route
    boolean gatewayApi = "gateway-api".equals(System.getProperty("mesh4j.demo.routes", ""));
    Report report = run(template, gatewayApi, options, out);
    if (!report.allAsExpected()) {
      throw new IllegalStateException("the demo did not behave as described; see the summary above");
    }
  }

  /**
   * Logs warnings only, through one configuration ({@code logback.xml}) for the controller and
   * all five applications: Spring Boot leaves logging alone (five contexts would otherwise
   * reconfigure it five times, concurrently) and Tomcat's java.util.logging goes to SLF4J.
   */
  public static void quietLogging() {
    System.setProperty("shop.log.level", "WARN");
    // Maven's own SLF4J provider is visible to the demo under exec:java; name the shop's
    System.setProperty("slf4j.provider", "ch.qos.logback.classic.spi.LogbackServiceProvider");
    System.setProperty("slf4j.internal.verbosity", "WARN");
    System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  /**
   * Runs every phase against a copy of the YAML in {@code template} and returns what each
   * observed. Starts and stops its own controller and applications; leaves no thread, port or
   * file behind.
   */
  public static Report run(Path template, Options options, PrintStream out) throws Exception {
    return run(template, false, options, out);
  }

  /**
   * Like {@link #run(Path, Options, PrintStream)}; with {@code gatewayApi}, the catalog canary is
   * the Gateway API {@code GRPCRoute} of {@code template/gateway-api/catalog.yaml} in place of the
   * {@code TrafficRoute}.
   */
  public static Report run(Path template, boolean gatewayApi, Options options, PrintStream out) throws Exception {
    long start = System.nanoTime();
    Path dir = Files.createTempDirectory("mesh4j-shop");
    try {
      copyYaml(template, dir);
      if (gatewayApi) {
        Files.copy(template.resolve("gateway-api").resolve("catalog.yaml"), dir.resolve("catalog.yaml"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        out.println("the catalog canary is a Gateway API GRPCRoute (" + template.resolve("gateway-api/catalog.yaml") + ")");
      }
      ShopDemo demo = new ShopDemo(options, out);
      return demo.runIn(dir, start);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  static void copyYaml(Path template, Path dir) throws IOException {
    if (!Files.isRegularFile(template.resolve("catalog.yaml"))) {
      throw new IllegalArgumentException(
          "the demo needs the shop's YAML directory (samples/mesh), but " + template.toAbsolutePath()
              + " has no catalog.yaml");
    }
    try (Stream<Path> files = Files.list(template)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".yaml"))::iterator) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
  }

  @SuppressWarnings("FutureReturnValueIgnored") // the ticker runs until the demo shuts it down
  private Report runIn(Path dir, long start) throws Exception {
    out.println("mesh4j shop demo: starting the controller (local mode) and 5 Spring Boot applications on 127.0.0.1 ...");
    List<PhaseResult> results = new ArrayList<>();
    Tally total;
    List<Integer> ports;
    Map<String, String> identities = new LinkedHashMap<>();
    long traced;
    int widest;
    String operatorView;
    try (Shop shop = Shop.start(dir)) {
      ports = shop.ports();
      shop.certificates().forEach((name, c) -> identities.put(name, c == null ? null : c.spiffeId()));
      out.printf(Locale.ROOT, "started in %.1f s: controller on port %d (TLS from its own CA, every stream authenticated by its token), frontend on http://127.0.0.1:%d/product/sku-1%n",
          seconds(start), ports.get(0), shop.frontendPort());
      out.println("live mesh page (while the demo runs): " + shop.controllerAdmin() + "/mesh");
      TrafficDriver driver = new TrafficDriver(shop.frontendPort(), options.concurrency());
      ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "shop-console");
        t.setDaemon(true);
        return t;
      });
      try {
        driver.start();
        Ticks ticks = new Ticks(shop, driver, start);
        ticker.scheduleAtFixedRate(ticks::tick, 1, 1, TimeUnit.SECONDS);
        warmUp(driver);
        List<PhaseSpec> specs = phases();
        for (int i = 0; i < specs.size(); i++) {
          PhaseResult r = runPhase(i + 1, specs.size(), specs.get(i), shop, driver);
          results.add(r);
          synchronized (footer) {
            footer.add(row(r));
          }
        }
      } finally {
        ticker.shutdownNow();
        ticker.awaitTermination(5, TimeUnit.SECONDS);
        driver.close();
      }
      total = driver.total();
      traced = shop.traces().traces();
      widest = shop.traces().widest();
      operatorView = OperatorView.ask(shop);
    }
    Report report = new Report(List.copyOf(results), total, ports, refusal, seconds(start),
        Collections.unmodifiableMap(identities), traced, widest, operatorView);
    summary(report);
    out.println();
    out.print(operatorView);
    return report;
  }

  /**
   * Lets the first pages through before measuring: they load and compile the whole call path in
   * five applications, which on a busy machine takes seconds. They count in the total (none may
   * fail) but in no phase.
   */
  private void warmUp(TrafficDriver driver) throws InterruptedException {
    phaseTitle = "warming up: the first pages load the call path";
    console.phase(phaseTitle);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (driver.phaseCalls() < WARM_UP_PAGES && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  private List<PhaseSpec> phases() {
    return List.of(
        new PhaseSpec("canary 90/10", "about 10% of pages from catalog v2, none fail",
            (shop, driver) -> {}, SPLIT_PAGES, null,
            (p, problems) -> {
              near(p, "v2", 10, problems);
              none(p.users().degraded(), "pages without a price", problems);
            }),
        new PhaseSpec("canary 50/50", "the live edit splits pages evenly, without a restart",
            (shop, driver) -> shop.edit("catalog.yaml", ShopDemo::fiftyFifty), SPLIT_PAGES, null,
            (p, problems) -> {
              near(p, "v2", 50, problems);
              none(p.users().degraded(), "pages without a price", problems);
            }),
        new PhaseSpec("all to v2 (0/100)", "every page from catalog v2; a broken edit is refused and changes nothing",
            (shop, driver) -> {
              shop.edit("catalog.yaml", ShopDemo::allToV2);
              shop.refusedEdit("broken.yaml", BROKEN_EDIT, BROKEN_PROBLEM, driver.http());
              refusal = "the controller refused broken.yaml: " + BROKEN_PROBLEM;
              console.phase(refusal);
            },
            SPLIT_PAGES, null,
            (p, problems) -> {
              none(p.users().byVersion().getOrDefault("v1", 0L), "pages from catalog v1", problems);
              none(p.users().degraded(), "pages without a price", problems);
            }),
        new PhaseSpec("pricing-b fails", "retries to pricing-a and ejection of pricing-b hide it from users",
            (shop, driver) -> mode(shop, driver, "pricing-b", "fail"), 0, null,
            (p, problems) -> {
              none(p.users().degraded(), "pages without a price", problems);
              some(p.mesh().retriesTo(PRICING), "retries to pricing.shop", problems);
              some(p.mesh().ejectionsIn(PRICING), "ejections in pricing.shop", problems);
            }),
        new PhaseSpec("pricing down", "the breaker opens and fails pricing calls fast; pages come without a price",
            (shop, driver) -> mode(shop, driver, "pricing-a", "fail"), 0, null,
            (p, problems) -> {
              some(p.breakerTransitions(PRICING, "open"), "transitions of the pricing.shop breaker to open", problems);
              some(p.users().degraded(), "pages without a price", problems);
            }),
        new PhaseSpec("recovery", "after its wait the breaker lets trial calls through and closes",
            (shop, driver) -> {
              mode(shop, driver, "pricing-a", "ok");
              mode(shop, driver, "pricing-b", "ok");
            },
            0,
            m -> "closed".equals(m.breaker(PRICING)),
            (p, problems) -> {
              some(p.breakerTransitions(PRICING, "closed"), "transitions of the pricing.shop breaker to closed", problems);
              if (!"closed".equals(p.breakerAtEnd(PRICING))) {
                problems.add("the pricing.shop breaker is " + p.breakerAtEnd(PRICING) + " at the end, expected closed");
              }
            }));
  }

  private PhaseResult runPhase(int n, int of, PhaseSpec spec, Shop shop, TrafficDriver driver) throws Exception {
    String title = n + "/" + of + " " + spec.title();
    phaseTitle = "phase " + title + ": " + spec.expectation();
    console.phase(phaseTitle);
    // the mesh reacts to the phase's change within milliseconds (an ejection, a breaker closing),
    // so its meters are read before the change; users' pages count from after it
    MeshReadings before = MeshReadings.read(shop.frontendMeters());
    Map<String, Long> receivedBefore = received(shop);
    spec.before().run(shop, driver);
    // calls planned before the change took effect count in the total, not in this phase
    driver.nextPhase();
    long start = System.nanoTime();
    long minimum = options.phaseLength().toNanos();
    long maximum = minimum + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      long elapsed = System.nanoTime() - start;
      boolean done = elapsed >= minimum
          && driver.phaseCalls() >= spec.minPages()
          && (spec.until() == null || spec.until().test(MeshReadings.read(shop.frontendMeters())));
      if (done || elapsed >= maximum) {
        break;
      }
      Thread.sleep(50);
    }
    Tally users = driver.nextPhase();
    MeshReadings mesh = MeshReadings.read(shop.frontendMeters()).minus(before);
    Map<String, Long> received = new LinkedHashMap<>();
    received(shop).forEach((k, v) -> received.put(k, v - receivedBefore.getOrDefault(k, 0L)));
    List<String> problems = new ArrayList<>();
    PhaseResult partial = new PhaseResult(title, spec.expectation(), (System.nanoTime() - start) / 1e9, users, mesh, received, problems);
    none(users.failed(), "failed pages", problems);
    spec.checks().check(partial, problems);
    return new PhaseResult(title, spec.expectation(), partial.seconds(), users, mesh, received, List.copyOf(problems));
  }

  /** A route with a negative weight, which the controller must refuse as a whole. */
  private static final String BROKEN_EDIT =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: search, namespace: shop}
      spec:
        destination: search
        rules:
          - backends:
              - weight: -5
      """;

  /** How the controller names the broken edit's problem. */
  static final String BROKEN_PROBLEM = "spec.rules[0].backends[0].weight: must be >= 0, got -5";

  /** Catalog weights 90/10 -> 50/50. */
  static String fiftyFifty(String yaml) {
    return weights(yaml, 90, 10, 50, 50);
  }

  /** Catalog weights 50/50 -> 0/100. */
  static String allToV2(String yaml) {
    return weights(yaml, 50, 50, 0, 100);
  }

  /**
   * The catalog route with its two weights (v1, then v2, the only weights in the file, whether a
   * TrafficRoute's subsets or a GRPCRoute's backend Services) changed.
   */
  private static String weights(String yaml, int fromV1, int fromV2, int toV1, int toV2) {
    java.util.regex.Matcher m = WEIGHT.matcher(yaml);
    List<java.util.regex.MatchResult> found = m.results().toList();
    if (found.size() != 2 || !found.get(0).group(1).equals(Integer.toString(fromV1))
        || !found.get(1).group(1).equals(Integer.toString(fromV2))) {
      throw new IllegalStateException(
          "catalog.yaml does not hold the two weights the demo edits (v1 " + fromV1 + ", then v2 " + fromV2
              + ", as in samples/mesh/catalog.yaml)");
    }
    return yaml.substring(0, found.get(0).start(1)) + toV1
        + yaml.substring(found.get(0).end(1), found.get(1).start(1)) + toV2
        + yaml.substring(found.get(1).end(1));
  }

  private static final java.util.regex.Pattern WEIGHT = java.util.regex.Pattern.compile("\\bweight: (\\d+)");

  /** Flips a pricing instance's switch through its real admin endpoint. */
  static void mode(Shop shop, TrafficDriver driver, String instance, String mode) throws IOException {
    Request request =
        new Request.Builder()
            .url(shop.pricingAdmin(instance) + "?value=" + mode)
            .post(new FormBody.Builder().build())
            .build();
    try (Response response = driver.http().newCall(request).execute()) {
      if (response.code() != 200) {
        throw new IllegalStateException(
            "POST " + request.url() + " answered " + response.code() + ": " + response.body().string());
      }
    }
  }

  private static Map<String, Long> received(Shop shop) {
    Map<String, Long> out = new LinkedHashMap<>();
    shop.catalogs().forEach((name, c) -> out.put(name, c.served()));
    shop.pricing().forEach((name, p) -> out.put(name, p.served()));
    return out;
  }

  private static void near(PhaseResult p, String version, double expected, List<String> problems) {
    long n = p.users().ok();
    if (n < SPLIT_PAGES / 2) {
      problems.add("only " + n + " pages were served, too few to judge the split");
      return;
    }
    double tolerance = tolerance(expected, n);
    double share = p.share(version);
    if (Math.abs(share - expected) > tolerance) {
      problems.add(String.format(Locale.ROOT, "catalog %s served %.1f%% of %d pages, expected %.0f%% +- %.1f",
          version, share, n, expected, tolerance));
    }
  }

  /**
   * How far a share of {@code pages} may fall from {@code expected} (%): four standard deviations
   * of a binomial share, at least 3 points, so only a real fault (or 1 run in 15,000) misses it.
   */
  static double tolerance(double expected, long pages) {
    double sigma = 100 * Math.sqrt(expected / 100 * (1 - expected / 100) / pages);
    return Math.max(3, 4 * sigma);
  }

  private static void none(long count, String what, List<String> problems) {
    if (count != 0) {
      problems.add(count + " " + what + ", expected none");
    }
  }

  private static void some(long count, String what, List<String> problems) {
    if (count <= 0) {
      problems.add("no " + what + ", expected some");
    }
  }

  private void summary(Report report) {
    out.println();
    out.println("Summary (pages are user-facing calls to the frontend; retries, ejections and breakers are the frontend's mesh)");
    out.println(HEADER);
    report.phases().forEach(p -> out.println(row(p)));
    if (!report.refusal().isEmpty()) {
      out.println(report.refusal() + " (and kept serving the last good version)");
    }
    for (PhaseResult p : report.phases()) {
      p.problems().forEach(problem -> out.println("  phase " + p.title() + ": " + problem));
    }
    report.identities().forEach((name, id) -> out.println(String.format(Locale.ROOT, "certificate  %-10s %s",
        name, id == null ? "NONE" : id)));
    out.printf(Locale.ROOT, "traces       %d sampled traces, up to %d spans in one (frontend, catalog and pricing)%n",
        report.tracedPages(), report.widestTrace());
    Tally t = report.total();
    out.printf(Locale.ROOT, "%d pages in all, %d served without a price, %d failed; %s. Everything closed after %.1f s.%n",
        t.calls(), t.degraded(), t.failed(),
        report.allAsExpected() ? "every phase behaved as expected" : "SOME PHASE DID NOT BEHAVE AS EXPECTED",
        report.seconds());
    t.failures().forEach(f -> out.println("  a failed page: " + f));
  }

  private static final String HEADER = String.format(Locale.ROOT, "%-24s %6s %6s %6s %7s %8s %6s %7s %9s  %-34s %s",
      "phase", "pages", "v1 %", "v2 %", "ok %", "no price", "failed", "retries", "ejections", "breaker transitions", "as expected");

  private static String row(PhaseResult p) {
    Tally u = p.users();
    StringBuilder transitions = new StringBuilder();
    p.mesh().breakerTransitions().forEach((k, v) -> transitions.append(transitions.length() == 0 ? "" : ", ")
        .append(k.replace(" -> ", "->")).append(" x").append(v));
    return String.format(Locale.ROOT, "%-24s %6d %6.1f %6.1f %7.1f %8d %6d %7d %9d  %-34s %s",
        p.title(), u.calls(), u.share("v1"), u.share("v2"), LiveConsole.percent(u.ok(), u.calls()), u.degraded(),
        u.failed(), p.retries(), p.ejections(), transitions.length() == 0 ? "-" : transitions, p.asExpected() ? "yes" : "NO");
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** The once-per-second view: what users saw in the last second and what the mesh did. */
  private final class Ticks {
    private final Shop shop;
    private final TrafficDriver driver;
    private final long start;
    private MeshReadings last;
    private Map<String, Long> lastReceived;

    Ticks(Shop shop, TrafficDriver driver, long start) {
      this.shop = shop;
      this.driver = driver;
      this.start = start;
      this.last = MeshReadings.read(shop.frontendMeters());
      this.lastReceived = received(shop);
    }

    void tick() {
      try {
        Tally second = driver.nextSecond();
        MeshReadings now = MeshReadings.read(shop.frontendMeters());
        Map<String, Long> received = received(shop);
        Map<String, Long> delta = new LinkedHashMap<>();
        received.forEach((k, v) -> delta.put(k, v - lastReceived.getOrDefault(k, 0L)));
        Map<String, String> modes = new LinkedHashMap<>();
        shop.pricing().forEach((name, p) -> modes.put(name, p.mode().get("mode")));
        console.show(
            new LiveConsole.Second(seconds(start), phaseTitle, second, delta, modes, now.minus(last), now,
                shop.frontendMesh().appliedVersion(), shop.certificates(), shop.traces().traces(),
                shop.traces().recent(3)),
            footerLines());
        last = now;
        lastReceived = received;
      } catch (RuntimeException e) {
        // a view that cannot be drawn must not stop the demo; say why once per second
        out.println("(live view: " + e + ")");
      }
    }
  }

  private List<String> footerLines() {
    List<String> lines = new ArrayList<>();
    lines.add(HEADER);
    synchronized (footer) {
      lines.addAll(footer);
    }
    return lines;
  }

  /** Whether stdout is an interactive terminal (not a pipe, a file or a CI log). */
  @SuppressWarnings("SystemConsoleNull") // null on JDK 17-21; isTerminal() covers 22 and newer
  static boolean stdoutIsTerminal() {
    if (System.getenv("CI") != null || "dumb".equals(System.getenv("TERM"))) {
      return false;
    }
    java.io.Console c = System.console();
    if (c == null) {
      return false;
    }
    try {
      // Java 22+ returns a console even for redirected output; isTerminal tells them apart
      Method isTerminal = java.io.Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(c);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }
}
