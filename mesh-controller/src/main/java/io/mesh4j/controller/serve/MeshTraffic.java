package io.mesh4j.controller.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.mesh4j.core.base.JsonText;
import io.mesh4j.wire.v1.CallReport;
import io.mesh4j.wire.v1.CallReports;
import io.mesh4j.wire.v1.CallStats;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The live traffic of the mesh, from the call reports applications send on their policy streams
 * (rule 9 of the stream contract): who calls whom, and per route rule and subset the request
 * rate, success rate and latency percentiles over the last {@link #WINDOW}. Served as {@code
 * /mesh.json} by {@link #handler}.
 *
 * <p>A report counts for the application its stream introduced itself as, in the namespace the
 * stream proved, never for anything the report says. Counts are kept in {@link #SLOT} slots, so a
 * row holds a fixed number of counters whatever its applications' report intervals; a row whose
 * last report left the window is forgotten, so an application's traffic disappears one window
 * after it stopped reporting (or disconnected).
 *
 * <p>What clients can make it hold is bounded by {@link Limits}: rows per application, per proven
 * identity and in all, and applications in all. Rows beyond a bound are dropped and counted
 * ({@link #droppedRows}); the report's other rows still count.
 *
 * <p>Thread-safe: reports arrive on the distributor's update thread, views are made on the admin
 * thread; both hold this object's lock, for work bounded by the limits.
 */
public final class MeshTraffic {

  /** How far back the view looks. */
  public static final Duration WINDOW = Duration.ofSeconds(30);

  /** The width of one slot of counts. */
  static final Duration SLOT = Duration.ofSeconds(5);

  private static final long SLOT_MILLIS = SLOT.toMillis();
  private static final int SLOTS = (int) (WINDOW.toMillis() / SLOT_MILLIS);
  private static final int MAX_NAME_CHARS = 253;
  private static final int MAX_SUBSET_CHARS = 63;
  /**
   * More calls than this in one row of one report is no real application (10 million a second for
   * a second); bounded so that no sum over the window can overflow.
   */
  private static final long MAX_REQUESTS = 10_000_000_000L;
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
  private static final Pattern SUBSET = Pattern.compile("[a-z0-9]([-a-z0-9_.]*[a-z0-9])?", Pattern.CASE_INSENSITIVE);

  /**
   * Bounds on what reports can make the controller hold.
   *
   * @param rowsPerApplication rows (destination, route, subset) of one application
   * @param rowsPerIdentity rows of all the applications one proven identity reports for
   * @param rows rows in all
   * @param applications applications with rows, in all
   */
  public record Limits(int rowsPerApplication, int rowsPerIdentity, int rows, int applications) {
    /** 512 rows per application, 1024 per identity, 8192 in all, 1024 applications. */
    public static final Limits DEFAULT = new Limits(512, 1_024, 8_192, 1_024);

    public Limits {
      if (rowsPerApplication < 1 || rowsPerIdentity < 1 || rows < 1 || applications < 1) {
        throw new IllegalArgumentException("limits must be positive");
      }
    }
  }

  /** Why a report was refused, for the stream's refusal count. */
  record Refusal(StreamRefusal reason, String message) {}

  private final InstantSource clock;
  private final Limits limits;
  private final AtomicLong droppedRows = new AtomicLong();

  // Guarded by this.
  private final Map<Source, Map<RowKey, Row>> sources = new HashMap<>();
  private final Map<String, Integer> rowsByOwner = new HashMap<>();
  private int rowCount;

  /**
   * Who the calls came from: the application and namespace of the stream that reported them, and
   * the identity it proved, so that another identity naming itself alike never adds to its edges.
   */
  private record Source(String namespace, String application, String owner) {}

  private record RowKey(String destination, String route, String subset) {}

  public MeshTraffic(InstantSource clock) {
    this(clock, Limits.DEFAULT);
  }

  public MeshTraffic(InstantSource clock, Limits limits) {
    this.clock = clock;
    this.limits = limits;
  }

  /** Rows of accepted reports dropped since start because a {@link Limits} bound was reached. */
  public long droppedRows() {
    return droppedRows.get();
  }

  /**
   * What is wrong with {@code report}, or null when it may be recorded. Checks everything a row
   * could make the view compute or hold, so a hostile report is refused whole.
   */
  static @Nullable Refusal check(CallReport report) {
    if (report.getCallsCount() > CallReports.MAX_ROWS) {
      return new Refusal(StreamRefusal.OVERSIZE_REPORT,
          "report.calls: at most " + CallReports.MAX_ROWS + " rows, got " + report.getCallsCount());
    }
    long interval = report.getIntervalMillis();
    if (interval < CallReports.MIN_INTERVAL.toMillis() || interval > CallReports.MAX_INTERVAL.toMillis()) {
      return invalid("report.interval_millis: must be 1000 to 60000, got " + Long.toUnsignedString(interval));
    }
    Set<RowKey> seen = new HashSet<>();
    for (int i = 0; i < report.getCallsCount(); i++) {
      CallStats row = report.getCalls(i);
      String at = "report.calls[" + i + "].";
      if (row.getDestination().length() > MAX_NAME_CHARS || !NAME.matcher(row.getDestination()).matches()) {
        return invalid(at + "destination: must be a service name.namespace");
      }
      if (row.getRoute().isEmpty() || row.getRoute().length() > MAX_NAME_CHARS || !printable(row.getRoute())) {
        return invalid(at + "route: must be 1 to " + MAX_NAME_CHARS + " printable characters");
      }
      if (row.getSubset().length() > MAX_SUBSET_CHARS
          || (!row.getSubset().isEmpty() && !SUBSET.matcher(row.getSubset()).matches())) {
        return invalid(at + "subset: must be empty or a subset name");
      }
      long requests = row.getRequests();
      // uint64 on the wire: a negative long is a number above 2^63.
      if (requests < 0 || requests > MAX_REQUESTS) {
        return invalid(at + "requests: must be at most " + MAX_REQUESTS);
      }
      if (row.getFailures() < 0 || row.getFailures() > requests) {
        return invalid(at + "failures: must be at most requests");
      }
      if (row.getLatencyBucketsCount() > CallReports.BUCKETS) {
        return invalid(at + "latency_buckets: at most " + CallReports.BUCKETS + " buckets");
      }
      if (row.getLatencyBucketsCount() > 0) {
        long sum = 0;
        for (long b : row.getLatencyBucketsList()) {
          if (b < 0 || b > requests) {
            return invalid(at + "latency_buckets: every bucket must be at most requests");
          }
          sum += b;
        }
        if (sum != requests) {
          return invalid(at + "latency_buckets: must add up to requests");
        }
      }
      if (!seen.add(new RowKey(row.getDestination(), row.getRoute(), row.getSubset()))) {
        return invalid(at + ": a second row for the same destination, route and subset");
      }
    }
    return null;
  }

  private static Refusal invalid(String message) {
    return new Refusal(StreamRefusal.INVALID_REPORT, message);
  }

  private static boolean printable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  /**
   * Adds a {@linkplain #check checked} report from a stream.
   *
   * @param owner the identity the stream proved, for the per-identity bound
   * @param namespace the namespace the stream proved
   * @param application the name the stream's Hello gave
   */
  synchronized void record(String owner, String namespace, String application, CallReport report) {
    long now = clock.millis();
    long slot = Math.floorDiv(now, SLOT_MILLIS);
    Source source = new Source(namespace, application, owner);
    Map<RowKey, Row> rows = sources.get(source);
    if (rows == null) {
      if (sources.size() >= limits.applications()) {
        expire(slot);
      }
      if (sources.size() >= limits.applications()) {
        droppedRows.addAndGet(report.getCallsCount());
        return;
      }
      rows = new HashMap<>();
      sources.put(source, rows);
    }
    boolean expired = false;
    for (CallStats stats : report.getCallsList()) {
      if (stats.getRequests() == 0) {
        continue;
      }
      RowKey key = new RowKey(stats.getDestination(), stats.getRoute(), stats.getSubset());
      Row row = rows.get(key);
      if (row == null) {
        if (!expired && !roomFor(owner, rows)) {
          expire(slot);
          expired = true;
        }
        if (!roomFor(owner, rows)) {
          droppedRows.incrementAndGet();
          continue;
        }
        row = new Row(owner);
        rows.put(key, row);
        rowCount++;
        rowsByOwner.merge(owner, 1, Integer::sum);
      }
      row.add(slot, now - report.getIntervalMillis(), stats);
    }
    if (rows.isEmpty()) {
      sources.remove(source);
    }
  }

  private boolean roomFor(String owner, Map<RowKey, Row> rows) {
    return rows.size() < limits.rowsPerApplication()
        && rowCount < limits.rows()
        && rowsByOwner.getOrDefault(owner, 0) < limits.rowsPerIdentity();
  }

  /** Forgets rows whose last report left the window, and applications left without rows. */
  private void expire(long slot) {
    for (Iterator<Map<RowKey, Row>> s = sources.values().iterator(); s.hasNext(); ) {
      Map<RowKey, Row> rows = s.next();
      for (Iterator<Row> r = rows.values().iterator(); r.hasNext(); ) {
        Row row = r.next();
        if (row.lastSlot <= slot - SLOTS) {
          r.remove();
          rowCount--;
          rowsByOwner.computeIfPresent(row.owner, (k, v) -> v <= 1 ? null : v - 1);
        }
      }
      if (rows.isEmpty()) {
        s.remove();
      }
    }
  }

  /** Forgets what left the window; the distributor calls it now and then. */
  synchronized void sweep() {
    expire(Math.floorDiv(clock.millis(), SLOT_MILLIS));
  }

  /** Rows held now, for tests of the bounds. */
  synchronized int rowCount() {
    return rowCount;
  }

  /**
   * The traffic view as {@code /mesh.json} serves it: {@code generatedAt}, {@code
   * windowSeconds}, {@code applications} (the connected ones in {@code connected}, the streams of
   * one application and namespace merged) and {@code edges}.
   */
  public Map<String, Object> view(List<ApplicationStatus> connected) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("generatedAt", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    doc.put("windowSeconds", WINDOW.toSeconds());
    doc.put("applications", applications(connected));
    doc.put("edges", edges());
    return doc;
  }

  private static List<Object> applications(List<ApplicationStatus> connected) {
    Map<Source, List<ApplicationStatus>> byApplication = new TreeMap<>(
        Comparator.comparing(Source::namespace).thenComparing(Source::application));
    for (ApplicationStatus a : connected) {
      byApplication.computeIfAbsent(new Source(a.namespace(), a.application(), ""), k -> new ArrayList<>()).add(a);
    }
    List<Object> out = new ArrayList<>();
    byApplication.forEach(
        (source, streams) -> {
          // One line per application: in sync only when every replica is, its laggard's version.
          String identity = "";
          boolean inSync = true;
          long sent = 0;
          long acked = Long.MAX_VALUE;
          ApplicationStatus.Nack nack = null;
          for (ApplicationStatus s : streams) {
            if (identity.isEmpty()) {
              identity = s.identity();
            }
            inSync &= s.inSync();
            sent = Math.max(sent, s.sentVersion());
            acked = Math.min(acked, s.ackedVersion());
            ApplicationStatus.Nack n = s.lastNack();
            if (n != null && (nack == null || n.at().isAfter(nack.at()))) {
              nack = n;
            }
          }
          Map<String, Object> app = new LinkedHashMap<>();
          app.put("application", source.application());
          app.put("namespace", source.namespace());
          app.put("identity", identity);
          app.put("inSync", inSync);
          app.put("sentVersion", sent);
          app.put("ackedVersion", acked);
          if (nack == null) {
            app.put("lastNack", null);
          } else {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("version", nack.version());
            n.put("reasons", nack.reasons());
            n.put("at", nack.at().toString());
            app.put("lastNack", n);
          }
          out.add(app);
        });
    return out;
  }

  private synchronized List<Object> edges() {
    long now = clock.millis();
    long slot = Math.floorDiv(now, SLOT_MILLIS);
    expire(slot);
    Comparator<Source> bySource =
        Comparator.comparing(Source::application).thenComparing(Source::namespace).thenComparing(Source::owner);
    Map<Source, Map<RowKey, Row>> sorted = new TreeMap<>(bySource);
    sorted.putAll(sources);
    List<Object> out = new ArrayList<>();
    for (Map.Entry<Source, Map<RowKey, Row>> s : sorted.entrySet()) {
      Map<String, List<Map.Entry<RowKey, Row>>> byDestination = new TreeMap<>();
      for (Map.Entry<RowKey, Row> r : s.getValue().entrySet()) {
        byDestination.computeIfAbsent(r.getKey().destination(), k -> new ArrayList<>()).add(r);
      }
      for (Map.Entry<String, List<Map.Entry<RowKey, Row>>> d : byDestination.entrySet()) {
        Totals edge = new Totals();
        List<Map.Entry<RowKey, Totals>> routes = new ArrayList<>();
        for (Map.Entry<RowKey, Row> r : d.getValue()) {
          Totals t = r.getValue().totals(slot, now);
          if (t.requests == 0) {
            continue;
          }
          edge.add(t);
          routes.add(Map.entry(r.getKey(), t));
        }
        if (edge.requests == 0) {
          continue;
        }
        routes.sort(Comparator.comparing((Map.Entry<RowKey, Totals> e) -> e.getKey().route())
            .thenComparing(e -> e.getKey().subset()));
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("from", s.getKey().application());
        e.put("fromNamespace", s.getKey().namespace());
        e.put("to", d.getKey());
        edge.write(e);
        List<Object> rs = new ArrayList<>();
        for (Map.Entry<RowKey, Totals> r : routes) {
          Map<String, Object> route = new LinkedHashMap<>();
          route.put("route", r.getKey().route());
          route.put("subset", r.getKey().subset().isEmpty() ? null : r.getKey().subset());
          route.put("requestsPerSecond", round(r.getValue().perSecond));
          route.put("share", round((double) r.getValue().requests / edge.requests));
          r.getValue().writeOutcomes(route);
          rs.add(route);
        }
        e.put("routes", rs);
        out.add(e);
      }
    }
    return out;
  }

  /**
   * Serves {@link #view} of {@code traffic} and the {@code connected} applications as JSON. One
   * line in {@link AdminServer} registers it, behind the admin token check.
   */
  static HttpHandler handler(MeshTraffic traffic, Supplier<List<ApplicationStatus>> connected) {
    return ex -> respond(ex, JsonText.write(traffic.view(connected.get())) + "\n");
  }

  private static void respond(HttpExchange ex, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Rounded to thousandths: more digits would only be noise on a page. */
  private static double round(double v) {
    return Math.round(v * 1_000) / 1_000.0;
  }

  /** The window's sums of one row, or of several merged. */
  private static final class Totals {
    long requests;
    long failures;
    double perSecond;
    final long[] latency = new long[CallReports.BUCKETS];

    void add(Totals t) {
      requests += t.requests;
      failures += t.failures;
      perSecond += t.perSecond;
      for (int i = 0; i < latency.length; i++) {
        latency[i] += t.latency[i];
      }
    }

    void write(Map<String, Object> into) {
      into.put("requestsPerSecond", round(perSecond));
      writeOutcomes(into);
    }

    void writeOutcomes(Map<String, Object> into) {
      into.put("successRate", round(1 - (double) failures / requests));
      into.put("p50Ms", percentile(latency, 0.50));
      into.put("p90Ms", percentile(latency, 0.90));
      into.put("p99Ms", percentile(latency, 0.99));
    }
  }

  /**
   * The {@code q} quantile of bucketed latencies in milliseconds, interpolated linearly inside
   * its bucket (the usual estimate, as Prometheus' {@code histogram_quantile}); the last bucket
   * has no upper bound, so a quantile there is its lower bound. Null without latencies.
   */
  static @Nullable Double percentile(long[] buckets, double q) {
    long total = 0;
    for (long b : buckets) {
      total += b;
    }
    if (total == 0) {
      return null;
    }
    double rank = q * total;
    long below = 0;
    for (int i = 0; i < buckets.length; i++) {
      if (buckets[i] > 0 && below + buckets[i] >= rank) {
        double lower = CallReports.lowerBoundMillis(i);
        double upper = CallReports.upperBoundMillis(i);
        if (Double.isInfinite(upper)) {
          return round(lower);
        }
        return round(lower + (upper - lower) * ((rank - below) / buckets[i]));
      }
      below += buckets[i];
    }
    return round(CallReports.lowerBoundMillis(buckets.length - 1));
  }

  /** One (destination, route, subset) of one application: counts in a ring of slots. */
  private static final class Row {
    final String owner;
    final long[] slotOf = new long[SLOTS];
    /** From when each slot's counts cover time: its earliest report's arrival minus its interval. */
    final long[] coveredFrom = new long[SLOTS];
    final long[] requests = new long[SLOTS];
    final long[] failures = new long[SLOTS];
    final long[][] latency = new long[SLOTS][CallReports.BUCKETS];
    long lastSlot = Long.MIN_VALUE;

    Row(String owner) {
      this.owner = owner;
      Arrays.fill(slotOf, Long.MIN_VALUE);
    }

    void add(long slot, long from, CallStats stats) {
      int i = (int) Math.floorMod(slot, (long) SLOTS);
      if (slotOf[i] != slot) {
        slotOf[i] = slot;
        coveredFrom[i] = from;
        requests[i] = 0;
        failures[i] = 0;
        Arrays.fill(latency[i], 0);
      }
      coveredFrom[i] = Math.min(coveredFrom[i], from);
      // Checked reports keep every count far below overflow over a window.
      requests[i] += stats.getRequests();
      failures[i] += stats.getFailures();
      for (int b = 0; b < stats.getLatencyBucketsCount(); b++) {
        latency[i][b] += stats.getLatencyBuckets(b);
      }
      lastSlot = Math.max(lastSlot, slot);
    }

    Totals totals(long slot, long now) {
      Totals t = new Totals();
      long from = now;
      for (int i = 0; i < SLOTS; i++) {
        if (slotOf[i] > slot - SLOTS && slotOf[i] <= slot) {
          from = Math.min(from, coveredFrom[i]);
          t.requests += requests[i];
          t.failures += failures[i];
          for (int b = 0; b < CallReports.BUCKETS; b++) {
            t.latency[b] += latency[i][b];
          }
        }
      }
      // The time the counted reports cover, whatever their intervals: the window for an old row,
      // less for a young one; never less than a second.
      long covered = Math.max(1_000, now - from);
      t.perSecond = t.requests * 1_000.0 / covered;
      return t;
    }
  }
}
