package io.mesh4j.controller.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.mesh4j.core.base.JsonText;
import io.mesh4j.controller.ca.IssuanceMetrics;
import io.mesh4j.controller.resolve.ResourceCondition;
import io.mesh4j.wire.v1.Resource;
import io.mesh4j.wire.v1.Snapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The operator's view of the controller over plain HTTP:
 *
 * <ul>
 *   <li>{@code /mesh}: the live mesh page ({@link MeshPage}), an HTML page that polls {@code
 *       mesh.json} beside it; {@code /} redirects there;
 *   <li>{@code /status}: JSON with every connected application (the version it was sent and the
 *       resources in it, the version it applied, its last NACK with the reasons, when it last synced) and the {@code
 *       Accepted} condition of every resource;
 *   <li>{@code /status/APP} and {@code /status/NAMESPACE/APP}: the same, for one application's
 *       streams;
 *   <li>{@code /config/APP} and {@code /config/NAMESPACE/APP}: JSON with the content each stream of
 *       that application was last sent, as the controller resolved it (every resource as its
 *       canonical YAML), and the version it acknowledged;
 *   <li>{@code /mesh.json}: the live traffic view, JSON: every connected application's sync state
 *       and last NACK, and per edge (who calls whom) and route rule and subset the request rate,
 *       success rate and latency percentiles of the last 30 s, from the applications' call
 *       reports ({@link MeshTraffic});
 *   <li>{@code /metrics}: Prometheus text with NACKs (in total and per application), pushes,
 *       snapshot computations, connected applications and, with a certificate authority,
 *       certificates issued and refused by reason;
 *   <li>{@code /healthz}: liveness, always 200 while the process serves HTTP;
 *   <li>{@code /readyz}: 200 once a world is served, 503 before.
 * </ul>
 *
 * <p>On loopback it is open to the local machine. Anywhere else it needs {@link AdminTokens}:
 * every path but {@code /healthz} and {@code /readyz} (which kubelet probes without credentials,
 * and which tell nothing but up and ready) then requires {@code Authorization: Bearer <token>};
 * a request without one, or with a wrong one, gets 401 with a {@code mesh4j:} text and is
 * counted in {@code mesh4j_controller_admin_refusals_total{reason}}. Starting on a non-loopback
 * address without tokens is refused, since {@code /status} names every application and peer.
 *
 * <p>Requests are handled on one daemon thread, {@code mesh4j-controller-admin}; everything it
 * reads is published thread-safely by the {@link SnapshotDistributor}.
 */
public final class AdminServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor;
  private final SnapshotDistributor distributor;
  private final Supplier<String> mode;
  private final @Nullable IssuanceMetrics issuance;
  private final @Nullable AdminTokens tokens;
  private final AtomicLong missingToken = new AtomicLong();
  private final AtomicLong wrongToken = new AtomicLong();

  private AdminServer(
      HttpServer server,
      ExecutorService executor,
      SnapshotDistributor distributor,
      Supplier<String> mode,
      @Nullable IssuanceMetrics issuance,
      @Nullable AdminTokens tokens) {
    this.server = server;
    this.executor = executor;
    this.distributor = distributor;
    this.mode = mode;
    this.issuance = issuance;
    this.tokens = tokens;
  }

  /**
   * Starts serving on {@code address} (port 0 picks a free one).
   *
   * @param mode describes where the world comes from, for {@code /status}
   * @throws IOException if the address cannot be bound
   */
  public static AdminServer start(InetSocketAddress address, SnapshotDistributor distributor, Supplier<String> mode)
      throws IOException {
    return start(address, distributor, mode, null);
  }

  /**
   * Starts serving on {@code address} (port 0 picks a free one), also publishing the certificate
   * authority's counters on {@code /metrics}.
   *
   * @param mode describes where the world comes from, for {@code /status}
   * @param issuance the certificate service's counters, or null when the controller runs no CA
   * @throws IOException if the address cannot be bound
   */
  public static AdminServer start(
      InetSocketAddress address,
      SnapshotDistributor distributor,
      Supplier<String> mode,
      @Nullable IssuanceMetrics issuance)
      throws IOException {
    return start(address, distributor, mode, issuance, null);
  }

  /**
   * Starts serving on {@code address} (port 0 picks a free one).
   *
   * @param mode describes where the world comes from, for {@code /status}
   * @param issuance the certificate service's counters, or null when the controller runs no CA
   * @param tokens when not null, every path but {@code /healthz} and {@code /readyz} requires one
   *     of these bearer tokens; required when {@code address} is not loopback
   * @throws IllegalArgumentException when {@code address} is not loopback and {@code tokens} is null
   * @throws IOException if the address cannot be bound
   */
  public static AdminServer start(
      InetSocketAddress address,
      SnapshotDistributor distributor,
      Supplier<String> mode,
      @Nullable IssuanceMetrics issuance,
      @Nullable AdminTokens tokens)
      throws IOException {
    if (tokens == null && (address.getAddress() == null || !address.getAddress().isLoopbackAddress())) {
      throw new IllegalArgumentException(
          "mesh4j: the admin endpoint would listen on " + address.getHostString() + ", which is not a loopback"
              + " address, without authentication; give it a token file (--admin-token-file) or bind it to"
              + " 127.0.0.1 (--admin-address)");
    }
    HttpServer server = HttpServer.create(address, 0);
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "mesh4j-controller-admin");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    AdminServer admin = new AdminServer(server, executor, distributor, mode, issuance, tokens);
    HttpHandler notFound = ex -> respond(ex, 404, "text/plain", "mesh4j: no such path; try /mesh, /mesh.json, /status, /config/APP, /metrics, /healthz or /readyz\n");
    server.createContext("/", admin.guarded(MeshPage.redirectingRoot(notFound)));
    server.createContext(MeshPage.PATH, admin.guarded(MeshPage.serving(notFound)));
    server.createContext("/status", admin.guarded(admin::status));
    server.createContext("/config/", admin.guarded(admin::config));
    server.createContext("/metrics", admin.guarded(admin::metrics));
    server.createContext("/mesh.json", admin.guarded(MeshTraffic.handler(distributor.traffic(), distributor::applications)));
    server.createContext("/healthz", ex -> respond(ex, 200, "text/plain", "ok\n"));
    server.createContext(
        "/readyz",
        ex -> {
          boolean ready = distributor.isReady();
          respond(ex, ready ? 200 : 503, "text/plain", ready ? "ready\n" : "no policy served yet\n");
        });
    server.start();
    return admin;
  }

  /** {@code handler} behind the bearer-token check, when tokens are required. */
  private HttpHandler guarded(HttpHandler handler) {
    AdminTokens t = tokens;
    if (t == null) {
      return handler;
    }
    return ex -> {
      String header = ex.getRequestHeaders().getFirst("Authorization");
      String problem = null;
      if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
        missingToken.incrementAndGet();
        problem = "mesh4j: " + ex.getRequestURI().getPath() + " needs 'Authorization: Bearer <token>' with a token"
            + " from the controller's admin token file; only /healthz and /readyz are open";
      } else if (!t.accepts(header.substring(7).strip())) {
        wrongToken.incrementAndGet();
        problem = "mesh4j: " + ex.getRequestURI().getPath() + " refused: the bearer token is not in the controller's"
            + " admin token file";
      }
      if (problem != null) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"mesh4j-controller\"");
        respond(ex, 401, "text/plain", problem + "\n");
        return;
      }
      handler.handle(ex);
    };
  }

  /** Requests refused for a missing bearer token. */
  public long missingTokenCount() {
    return missingToken.get();
  }

  /** Requests refused for a bearer token not in the file. */
  public long wrongTokenCount() {
    return wrongToken.get();
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  private void status(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    List<ApplicationStatus> selected = distributor.applications();
    if (!path.equals("/status") && !path.equals("/status/")) {
      selected = select(path.substring("/status/".length()));
      if (selected.isEmpty()) {
        notConnected(ex, path.substring("/status/".length()));
        return;
      }
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("mode", mode.get());
    List<Object> apps = new ArrayList<>();
    for (ApplicationStatus a : selected) {
      Map<String, Object> app = new LinkedHashMap<>();
      app.put("application", a.application());
      app.put("namespace", a.namespace());
      app.put("kind", a.kind());
      app.put("identity", a.identity());
      app.put("peer", a.peer());
      if (a.kind().equals(ApplicationStatus.XDS)) {
        app.put("node", a.node());
        app.put("ackedByType", new TreeMap<>(a.ackedByType()));
      }
      app.put("scope", a.scope());
      app.put("connectedSince", a.connectedSince().toString());
      app.put("adminUrl", a.adminUrl().isEmpty() ? null : a.adminUrl());
      app.put("sentVersion", a.sentVersion());
      app.put("resources", a.resources());
      app.put("ackedVersion", a.ackedVersion());
      app.put("ackedHash", a.ackedHash());
      app.put("inSync", a.inSync());
      app.put("lastSync", a.lastSync() == null ? null : a.lastSync().toString());
      ApplicationStatus.Nack nack = a.lastNack();
      if (nack != null) {
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("version", nack.version());
        n.put("hash", nack.hash());
        n.put("reasons", nack.reasons());
        n.put("at", nack.at().toString());
        if (!nack.type().isEmpty()) {
          n.put("type", nack.type());
          n.put("names", nack.names());
        }
        app.put("lastNack", n);
      } else {
        app.put("lastNack", null);
      }
      apps.add(app);
    }
    doc.put("applications", apps);
    List<Object> resources = new ArrayList<>();
    for (ResourceCondition c : distributor.conditions()) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("resource", c.resource());
      r.put("type", ResourceCondition.TYPE);
      r.put("status", c.accepted() ? "True" : "False");
      r.put("reason", c.reason());
      r.put("message", c.message());
      resources.add(r);
    }
    doc.put("resources", resources);
    respond(ex, 200, "application/json", JsonText.write(doc) + "\n");
  }

  private void config(HttpExchange ex) throws IOException {
    String name = ex.getRequestURI().getPath().substring("/config/".length());
    List<ApplicationStatus> selected = select(name);
    if (selected.isEmpty()) {
      notConnected(ex, name);
      return;
    }
    List<Object> streams = new ArrayList<>();
    for (ApplicationStatus a : selected) {
      Snapshot content = distributor.content(a.session());
      Map<String, Object> stream = new LinkedHashMap<>();
      stream.put("application", a.application());
      stream.put("namespace", a.namespace());
      stream.put("peer", a.peer());
      stream.put("adminUrl", a.adminUrl().isEmpty() ? null : a.adminUrl());
      stream.put("sentVersion", content == null ? 0 : content.getVersion().getNumber());
      stream.put("sentHash", content == null ? "" : content.getVersion().getHash());
      stream.put("ackedVersion", a.ackedVersion());
      stream.put("ackedHash", a.ackedHash());
      List<Object> resources = new ArrayList<>();
      if (content != null) {
        for (Resource r : content.getResourcesList()) {
          Map<String, Object> resource = new LinkedHashMap<>();
          resource.put("ref", r.getRef());
          resource.put("yaml", r.getYaml());
          resources.add(resource);
        }
      }
      stream.put("resources", resources);
      streams.add(stream);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("streams", streams);
    respond(ex, 200, "application/json", JsonText.write(doc) + "\n");
  }

  /** The streams of {@code name}: {@code app} (in any namespace) or {@code namespace/app}. */
  private List<ApplicationStatus> select(String name) {
    int slash = name.indexOf('/');
    String namespace = slash < 0 ? null : name.substring(0, slash);
    String application = slash < 0 ? name : name.substring(slash + 1);
    List<ApplicationStatus> out = new ArrayList<>();
    for (ApplicationStatus a : distributor.applications()) {
      if (a.application().equals(application) && (namespace == null || a.namespace().equals(namespace))) {
        out.add(a);
      }
    }
    return out;
  }

  private static void notConnected(HttpExchange ex, String name) throws IOException {
    respond(ex, 404, "text/plain",
        "mesh4j: no application '" + name + "' is connected; /status lists those that are\n");
  }

  private void metrics(HttpExchange ex) throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("# HELP mesh4j_controller_nacks_total Snapshots refused by applications.\n");
    sb.append("# TYPE mesh4j_controller_nacks_total counter\n");
    sb.append("mesh4j_controller_nacks_total ").append(distributor.nackCount()).append('\n');
    sb.append("# HELP mesh4j_controller_application_nacks_total Snapshots refused, per proven identity.\n");
    sb.append("# TYPE mesh4j_controller_application_nacks_total counter\n");
    distributor.nacksByApplication().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e -> {
              String[] key = e.getKey().split("/", 2);
              sb.append("mesh4j_controller_application_nacks_total{namespace=\"")
                  .append(label(key[0]))
                  .append("\",service_account=\"")
                  .append(label(key.length > 1 ? key[1] : ""))
                  .append("\"} ")
                  .append(e.getValue())
                  .append('\n');
            });
    sb.append("# HELP mesh4j_controller_pushes_total Snapshots sent to applications.\n");
    sb.append("# TYPE mesh4j_controller_pushes_total counter\n");
    sb.append("mesh4j_controller_pushes_total ").append(distributor.pushCount()).append('\n');
    sb.append("# HELP mesh4j_controller_snapshot_computations_total Snapshots computed, one per scope and change.\n");
    sb.append("# TYPE mesh4j_controller_snapshot_computations_total counter\n");
    sb.append("mesh4j_controller_snapshot_computations_total ").append(distributor.computeCount()).append('\n');
    sb.append("# HELP mesh4j_controller_connected_applications Applications with an open stream.\n");
    sb.append("# TYPE mesh4j_controller_connected_applications gauge\n");
    sb.append("mesh4j_controller_connected_applications ").append(distributor.applications().size()).append('\n');
    sb.append("# HELP mesh4j_controller_stream_refusals_total Policy streams and stream messages refused, by reason.\n");
    sb.append("# TYPE mesh4j_controller_stream_refusals_total counter\n");
    distributor.refusals().forEach(
        (reason, count) ->
            sb.append("mesh4j_controller_stream_refusals_total{reason=\"").append(reason.label()).append("\"} ").append(count).append('\n'));
    sb.append("# HELP mesh4j_controller_traffic_rows_dropped_total Call report rows not kept: a traffic bound was reached.\n");
    sb.append("# TYPE mesh4j_controller_traffic_rows_dropped_total counter\n");
    sb.append("mesh4j_controller_traffic_rows_dropped_total ").append(distributor.traffic().droppedRows()).append('\n');
    if (issuance != null) {
      issuance.writePrometheus(sb);
    }
    if (tokens != null) {
      sb.append("# HELP mesh4j_controller_admin_refusals_total Admin requests refused, by reason.\n");
      sb.append("# TYPE mesh4j_controller_admin_refusals_total counter\n");
      sb.append("mesh4j_controller_admin_refusals_total{reason=\"missing_token\"} ").append(missingToken.get()).append('\n');
      sb.append("mesh4j_controller_admin_refusals_total{reason=\"wrong_token\"} ").append(wrongToken.get()).append('\n');
    }
    respond(ex, 200, "text/plain; version=0.0.4", sb.toString());
  }

  private static String label(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static void respond(HttpExchange ex, int code, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Stops serving. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
