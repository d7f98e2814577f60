package io.mesh4j.samples.shop;

import io.mesh4j.controller.MeshController;
import io.mesh4j.controller.ca.DirectoryRootStore;
import io.mesh4j.controller.ca.TokenFileAuthenticator;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.opentelemetry.MeshSampler;
import io.mesh4j.samples.shop.catalog.CatalogApplication;
import io.mesh4j.samples.shop.catalog.CatalogService;
import io.mesh4j.samples.shop.frontend.FrontendApplication;
import io.mesh4j.samples.shop.frontend.ProductController;
import io.mesh4j.samples.shop.pricing.PricingApplication;
import io.mesh4j.samples.shop.pricing.PricingController;
import io.mesh4j.spring.MeshGrpcServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole shop in this JVM: the controller in local mode on a directory of YAML, two catalogs
 * (v1, v2), two pricing instances and the frontend, each a Spring application context of its own
 * on a free loopback port, connected to the controller as separate applications would be.
 * {@link #close} closes every context and the controller, so nothing outlives it.
 */
final class Shop implements AutoCloseable {

  /** How long the shop waits for a start-up step or an edit to take effect. */
  private static final long WAIT_SECONDS = 30;

  /** How long the shop waits for its applications to start (a busy machine takes long). */
  private static final long START_SECONDS = 120;

  /** The shop's applications and the service accounts the controller's token file gives them. */
  private static final List<String> ACCOUNTS = List.of("frontend", "catalog", "pricing");

  private final Path configDir;
  private final Path identityDir;
  private final MeshController controller;
  private final RecentTraces traces;
  private final OpenTelemetrySdk telemetry;
  private final Map<String, Mesh> meshes = new LinkedHashMap<>();
  private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();
  private final Map<String, CatalogService> catalogs = new LinkedHashMap<>();
  private final Map<String, PricingController> pricing = new LinkedHashMap<>();
  private final Map<String, Integer> pricingPorts = new LinkedHashMap<>();
  private final List<Integer> ports = new ArrayList<>();
  private ConfigurableApplicationContext frontend;

  private Shop(Path configDir, Path identityDir, MeshController controller, RecentTraces traces, OpenTelemetrySdk telemetry) {
    this.configDir = configDir;
    this.identityDir = identityDir;
    this.controller = controller;
    this.traces = traces;
    this.telemetry = telemetry;
  }

  /**
   * Starts the controller on {@code configDir} (whose {@code endpoints.yaml} is rewritten with
   * the ports the applications get), then catalog v1 and v2 and pricing a and b side by side,
   * then the frontend; returns once the frontend's mesh knows every endpoint.
   */
  static Shop start(Path configDir) throws Exception {
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    // the CA root and the bootstrap tokens live beside the YAML, never in the watched directory
    Path identityDir = Files.createTempDirectory("mesh4j-shop-identity");
    MeshController controller;
    try {
      Path tokens = writeTokens(identityDir);
      // as the command line does by default: TLS from the controller's CA, every stream authenticated
      controller = MeshController.startLocal(new MeshController.LocalOptions(configDir, loopback, loopback,
          MeshController.Security.tls(
                  new DirectoryRootStore(identityDir.resolve("ca"), Duration.ofDays(1), InstantSource.system()),
                  TokenFileAuthenticator.load(tokens),
                  List.of("127.0.0.1"))
              .withRootFile(identityDir.resolve(MeshController.ROOT_FILE))));
    } catch (IOException | RuntimeException e) {
      deleteTree(identityDir);
      throw e;
    }
    RecentTraces traces = new RecentTraces();
    Shop[] self = new Shop[1];
    // one SDK for the whole shop, sampling new traces with the share the frontend's MeshConfig names
    OpenTelemetrySdk telemetry = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .setSampler(MeshSampler.fromSettings(() -> self[0] != null && self[0].frontend != null
                ? self[0].frontendMesh().settings() : MeshConfig.defaults()))
            .addSpanProcessor(traces)
            .build())
        .build();
    Shop shop = new Shop(configDir, identityDir, controller, traces, telemetry);
    self[0] = shop;
    try {
      shop.ports.add(controller.grpcPort());
      shop.ports.add(controller.adminPort());
      shop.startApplications();
      return shop;
    } catch (Exception | Error e) {
      shop.close();
      throw e;
    }
  }

  /** One random bootstrap token per service account, each in its own file, and the controller's list. */
  private static Path writeTokens(Path dir) throws IOException {
    SecureRandom random = new SecureRandom();
    StringBuilder list = new StringBuilder("# the demo's bootstrap tokens: token, then namespace/service-account\n");
    for (String account : ACCOUNTS) {
      byte[] bytes = new byte[16];
      random.nextBytes(bytes);
      String token = account + "-" + HexFormat.of().formatHex(bytes);
      Files.writeString(dir.resolve(account + ".token"), token + "\n");
      list.append(token).append("  shop/").append(account).append('\n');
    }
    return Files.writeString(dir.resolve("tokens"), list);
  }

  private String identity(String account) {
    return "--mesh4j.identity.token-file=" + tokenFile(account);
  }

  private String trustedRoots() {
    return "--mesh4j.identity.trusted-roots=" + trustedRootsFile();
  }

  /** The bootstrap token of service account {@code account} in namespace {@code shop}. */
  Path tokenFile(String account) {
    return identityDir.resolve(account + ".token");
  }

  /** The controller CA's trust bundle, which verifies its TLS port. */
  Path trustedRootsFile() {
    return identityDir.resolve(MeshController.ROOT_FILE);
  }

  /** The controller's policy stream, {@code host:port}. */
  String controllerTarget() {
    return "127.0.0.1:" + controller.grpcPort();
  }

  private void startApplications() throws Exception {
    TomcatHome.pin();
    List<String> common =
        List.of(
            "--mesh4j.controller.address=127.0.0.1:" + controller.grpcPort(),
            trustedRoots(),
            "--spring.main.banner-mode=off",
            // the demo stops its users before the shop, so there is nothing to drain
            "--server.shutdown=immediate",
            "--spring.main.log-startup-info=false");
    ExecutorService starter = Executors.newFixedThreadPool(5);
    List<Future<ConfigurableApplicationContext>> starting = new ArrayList<>();
    try {
      starting.add(starter.submit(() -> run(CatalogApplication.builder(), common, identity("catalog"), "--catalog.version=v1", "--mesh4j.grpc.port=0")));
      starting.add(starter.submit(() -> run(CatalogApplication.builder(), common, identity("catalog"), "--catalog.version=v2", "--mesh4j.grpc.port=0")));
      starting.add(starter.submit(() -> run(PricingApplication.builder(), common, identity("pricing"), "--pricing.instance=pricing-a", "--server.port=0")));
      starting.add(starter.submit(() -> run(PricingApplication.builder(), common, identity("pricing"), "--pricing.instance=pricing-b", "--server.port=0")));
      // the frontend starts alongside; it has no endpoints until endpoints.yaml is written below
      starting.add(starter.submit(() -> run(FrontendApplication.builder(), common, identity("frontend"), "--server.port=0")));
      // collect every context that started, so close() stops them even when another one failed
      Throwable failure = null;
      for (Future<ConfigurableApplicationContext> f : starting) {
        try {
          contexts.add(f.get(START_SECONDS, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          failure = failure == null ? e.getCause() : failure;
        } catch (TimeoutException e) {
          failure = failure == null ? e : failure;
        }
      }
      if (failure != null) {
        throw new IllegalStateException("a shop application failed to start: " + failure, failure);
      }
    } finally {
      starter.shutdown();
    }
    StringBuilder catalogEndpoints = new StringBuilder();
    StringBuilder pricingEndpoints = new StringBuilder();
    for (ConfigurableApplicationContext c : contexts) {
      if (c.getBeanNamesForType(ProductController.class).length > 0) {
        frontend = c;
        meshes.put("frontend", c.getBean(Mesh.class));
      } else if (c.getBeanNamesForType(CatalogService.class).length > 0) {
        CatalogService service = c.getBean(CatalogService.class);
        int port = c.getEnvironment().getRequiredProperty(MeshGrpcServer.LOCAL_PORT_PROPERTY, Integer.class);
        catalogs.put(service.instance(), service);
        meshes.put(service.instance(), c.getBean(Mesh.class));
        ports.add(port);
        // the frontend's channel checks that the catalog it reached is the catalog
        catalogEndpoints.append("    - {address: 127.0.0.1, port: ").append(port)
            .append(", labels: {version: ").append(service.version()).append("}, identity: ")
            .append(c.getBean(Mesh.class).identity().require().spiffeId()).append("}\n");
      } else {
        PricingController pricingController = c.getBean(PricingController.class);
        int port = webPort(c);
        pricing.put(pricingController.instance(), pricingController);
        meshes.put(pricingController.instance(), c.getBean(Mesh.class));
        pricingPorts.put(pricingController.instance(), port);
        ports.add(port);
        pricingEndpoints.append("    - {address: 127.0.0.1, port: ").append(port).append("}\n");
      }
    }
    write("endpoints.yaml", endpoints(catalogEndpoints, pricingEndpoints));
    ports.add(webPort(frontend));
    Mesh mesh = frontendMesh();
    // the ports this run got, not the template's: the frontend may have seen those first
    Set<Integer> catalogPorts = ports(catalogEndpoints);
    Set<Integer> pricingPorts = ports(pricingEndpoints);
    await("the frontend's mesh to know both catalogs and both pricing instances on their ports",
        () -> endpointPorts(mesh, "catalog.shop").equals(catalogPorts)
            && endpointPorts(mesh, "pricing.shop").equals(pricingPorts));
  }

  private static Set<Integer> ports(CharSequence endpointLines) {
    Set<Integer> out = new HashSet<>();
    Matcher m = Pattern.compile("port: (\\d+)").matcher(endpointLines);
    while (m.find()) {
      out.add(Integer.parseInt(m.group(1)));
    }
    return out;
  }

  private static Set<Integer> endpointPorts(Mesh mesh, String destination) {
    Set<Integer> out = new HashSet<>();
    mesh.endpoints(destination).forEach(e -> out.add(e.port()));
    return out;
  }

  private ConfigurableApplicationContext run(SpringApplicationBuilder app, List<String> common, String... args) {
    List<String> all = new ArrayList<>(common);
    all.addAll(List.of(args));
    // the starter traces with an application's OpenTelemetry bean; here every application shares the demo's
    return app.initializers(c -> c.getBeanFactory().registerSingleton("openTelemetry", telemetry))
        .run(all.toArray(String[]::new));
  }

  /** Each application's certificate (null until it has one), by instance name. */
  Map<String, IdentityMaterial> certificates() {
    Map<String, IdentityMaterial> out = new LinkedHashMap<>();
    meshes.forEach((name, mesh) -> out.put(name, mesh.identity().current()));
    return out;
  }

  /** The traces the shop's applications recorded. */
  RecentTraces traces() {
    return traces;
  }

  private static int webPort(ConfigurableApplicationContext c) {
    return ((WebServerApplicationContext) c).getWebServer().getPort();
  }

  /**
   * The shop's endpoints, and one Service per catalog version (catalog-v1, catalog-v2) as a
   * cluster would have for a Gateway API canary; routes that do not name them leave them unused.
   */
  private static String endpoints(CharSequence catalog, CharSequence pricing) {
    StringBuilder out = new StringBuilder("# written by the demo with the ports its applications got\n");
    service(out, "catalog", catalog.toString());
    for (String version : List.of("v1", "v2")) {
      StringBuilder lines = new StringBuilder();
      catalog.toString().lines().filter(l -> l.contains("version: " + version + "}")).forEach(l -> lines.append(l).append('\n'));
      service(out.append("---\n"), "catalog-" + version, lines.toString());
    }
    service(out.append("---\n"), "pricing", pricing.toString());
    return out.toString();
  }

  private static void service(StringBuilder out, String name, String endpoints) {
    out.append("apiVersion: mesh4j.io/v1alpha1\nkind: ServiceEndpoints\nmetadata: {name: ").append(name)
        .append(", namespace: shop}\nspec:\n  service: ").append(name).append("\n  endpoints:\n").append(endpoints);
  }

  /** The frontend's mesh, to see which policy version it applied. */
  Mesh frontendMesh() {
    return frontend.getBean(Mesh.class);
  }

  /** The frontend's meter registry, where its {@code mesh4j.*} meters are. */
  MeterRegistry frontendMeters() {
    return frontend.getBean(MeterRegistry.class);
  }

  int frontendPort() {
    return webPort(frontend);
  }

  /** The catalogs by instance name. */
  Map<String, CatalogService> catalogs() {
    return catalogs;
  }

  /** The pricing instances by name. */
  Map<String, PricingController> pricing() {
    return pricing;
  }

  /** The admin URL of pricing instance {@code instance}. */
  String pricingAdmin(String instance) {
    Integer port = pricingPorts.get(instance);
    if (port == null) {
      throw new IllegalArgumentException("no pricing instance named '" + instance + "'; there are " + pricingPorts.keySet());
    }
    return "http://127.0.0.1:" + port + "/admin/mode";
  }

  /** The controller's admin endpoint, which the {@code mesh4j} command asks. */
  String controllerAdmin() {
    return "http://127.0.0.1:" + controller.adminPort();
  }

  /** Every port the shop listens on. */
  List<Integer> ports() {
    return List.copyOf(ports);
  }

  /**
   * Edits {@code file} in the controller's directory and waits until the frontend applied the
   * policy version that followed.
   */
  void edit(String file, UnaryOperator<String> change) throws IOException, InterruptedException {
    String before = Files.readString(configDir.resolve(file));
    String after = change.apply(before);
    if (after.equals(before)) {
      throw new IllegalStateException("the demo's edit of " + file + " changed nothing; is " + configDir + " the shop's YAML?");
    }
    Mesh mesh = frontendMesh();
    long applied = mesh.appliedVersion();
    write(file, after);
    await("the frontend to apply the edit of " + file, () -> mesh.appliedVersion() > applied);
  }

  /**
   * Writes {@code content} as {@code file} into the controller's directory, waits until the
   * controller's admin endpoint ({@code /status}) reports {@code expectedProblem}, then removes
   * the file again. Returns the status text that carried the problem.
   */
  String refusedEdit(String file, String content, String expectedProblem, OkHttpClient http)
      throws IOException, InterruptedException {
    write(file, content);
    try {
      Request status = new Request.Builder().url("http://127.0.0.1:" + controller.adminPort() + "/status").build();
      String[] seen = {""};
      await("the controller to refuse " + file + " with \"" + expectedProblem + "\"", () -> {
        try (Response response = http.newCall(status).execute()) {
          seen[0] = response.body().string();
          return seen[0].contains(expectedProblem);
        } catch (IOException e) {
          return false;
        }
      });
      return seen[0];
    } finally {
      Files.deleteIfExists(configDir.resolve(file));
    }
  }

  /** Replaces a file in one step, so the watcher never reads half of it. */
  private void write(String file, String content) throws IOException {
    Path tmp = configDir.resolve("." + file + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, configDir.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the demo timed out after " + WAIT_SECONDS + " s waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  /** Closes the frontend first (no more calls), then the services, then the controller. */
  @Override
  public void close() {
    for (int i = contexts.size() - 1; i >= 0; i--) {
      try {
        contexts.get(i).close();
      } catch (RuntimeException e) {
        System.err.println("closing a shop application failed: " + e);
      }
    }
    controller.close();
    telemetry.close();
    deleteTree(identityDir);
  }

  /**
   * Tomcat keeps its home directory in a JVM-wide system property: the first embedded Tomcat sets
   * it to its own temporary base directory, which Spring Boot deletes when that Tomcat stops.
   * Every later Tomcat then finds the home missing and creates it again, and two starting at once
   * race for it: one fails with "Unable to create the directory [...] to use as the home
   * directory". The shop starts its applications side by side, and tests start shops several
   * times in one JVM, so it gives Tomcat a home that lasts as long as the JVM.
   */
  private static final class TomcatHome {
    private static final Path DIR = create();

    private TomcatHome() {}

    private static Path create() {
      try {
        Path dir = Files.createTempDirectory("mesh4j-shop-tomcat-home");
        dir.toFile().deleteOnExit();
        return dir;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    static void pin() {
      System.setProperty("catalina.home", DIR.toString());
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e);
    }
  }
}
