package io.mesh4j.client.internal;

import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.telemetry.ClientCallInfo;
import io.mesh4j.core.telemetry.ClientCallObserver;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.wire.v1.CallReport;
import io.mesh4j.wire.v1.CallReports;
import io.mesh4j.wire.v1.CallStats;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Counts the application's outgoing calls per destination, route rule and subset, for the call
 * reports sent on the control stream (rule 9 of the stream contract). A {@link MeshListener}, so
 * it sees calls through the same public observer API as metrics and tracing do.
 *
 * <p>The per-call path takes no lock and allocates nothing: three map lookups find the row of the
 * call's (destination, route, subset), made once and reused, and that row is the call's observer;
 * the call's end adds to its atomic cells. Making a row, and removing one, take the destination's
 * map bin lock, off the per-call path. {@link #drain} swaps every cell to zero with {@code
 * getAndSet}, so a call ending meanwhile counts in this report or the next, never in none. Rows
 * are bounded by {@link CallReports#MAX_ROWS}; calls that would need another row are dropped and
 * counted. A row idle for {@link #IDLE_DRAINS} reports is removed, so routes that went away free
 * their place; a call that started before and ends after that (a minute at the default interval)
 * is not counted.
 *
 * <p>Thread-safe; {@link #drain} is called from one thread at a time.
 */
public final class CallCollector extends MeshListener {

  /** Reports a row may stay idle before it is removed. */
  static final int IDLE_DRAINS = 12;

  private final int maxRows;
  // destination -> route -> subset ("" for none) -> row; read without locks on every call.
  private final Map<String, Map<String, Map<String, Row>>> rows = new ConcurrentHashMap<>();
  private final AtomicInteger rowCount = new AtomicInteger();
  private final LongAdder dropped = new LongAdder();
  private final ClientCallObserver overflow =
      new ClientCallObserver() {
        @Override
        public void callEnded(CallEnd end) {
          dropped.increment();
        }
      };

  public CallCollector() {
    this(CallReports.MAX_ROWS);
  }

  CallCollector(int maxRows) {
    this.maxRows = maxRows;
  }

  /** The controller's call reports carry no trace ids. */
  @Override
  public boolean readsTraceIds() {
    return false;
  }

  @Override
  public ClientCallObserver clientCall(ClientCallInfo call) {
    if (!call.known()) {
      // Outside the applied policy the name is whatever the caller typed: not a mesh edge.
      return ClientCallObserver.NONE;
    }
    String subset = call.subset();
    Row row = row(call.destination(), call.route(), subset == null ? "" : subset);
    return row == null ? overflow : row;
  }

  private @Nullable Row row(String destination, String route, String subset) {
    Map<String, Map<String, Row>> byRoute = rows.get(destination);
    if (byRoute != null) {
      Map<String, Row> bySubset = byRoute.get(route);
      if (bySubset != null) {
        Row row = bySubset.get(subset);
        if (row != null) {
          return row;
        }
      }
    }
    if (rowCount.get() >= maxRows) {
      return null;
    }
    Row[] made = new Row[1];
    // Under the destination's bin lock, as drain's removals are, so no row lands in a map that
    // drain is removing.
    rows.compute(
        destination,
        (d, existing) -> {
          Map<String, Map<String, Row>> routes = existing == null ? new ConcurrentHashMap<>() : existing;
          made[0] =
              routes.computeIfAbsent(route, r -> new ConcurrentHashMap<>())
                  .computeIfAbsent(
                      subset,
                      s -> {
                        // May overshoot by the number of racing destinations; the report is cut at MAX_ROWS.
                        rowCount.incrementAndGet();
                        return new Row(destination, route, s);
                      });
          return routes;
        });
    return made[0];
  }

  /** Calls not counted because every row was taken, since start. */
  public long droppedCalls() {
    return dropped.sum();
  }

  /**
   * What the calls did since the last drain, as a report covering {@code intervalMillis}; rows
   * without calls are left out, so an idle application sends an empty report.
   */
  public CallReport drain(long intervalMillis) {
    CallReport.Builder report =
        CallReport.newBuilder()
            .setIntervalMillis(
                Math.max(CallReports.MIN_INTERVAL.toMillis(), Math.min(CallReports.MAX_INTERVAL.toMillis(), intervalMillis)));
    long[] buckets = new long[CallReports.BUCKETS];
    for (String destination : rows.keySet()) {
      rows.computeIfPresent(
          destination,
          (d, byRoute) -> {
            for (Iterator<Map<String, Row>> r = byRoute.values().iterator(); r.hasNext(); ) {
              Map<String, Row> bySubset = r.next();
              for (Iterator<Row> s = bySubset.values().iterator(); s.hasNext(); ) {
                Row row = s.next();
                if (!add(report, row, buckets) && ++row.idle >= IDLE_DRAINS) {
                  s.remove();
                  rowCount.decrementAndGet();
                }
              }
              if (bySubset.isEmpty()) {
                r.remove();
              }
            }
            return byRoute.isEmpty() ? null : byRoute;
          });
    }
    return report.build();
  }

  /** Drains {@code row} into {@code report}; false when it had no calls. */
  private boolean add(CallReport.Builder report, Row row, long[] buckets) {
    long requests = row.drain(buckets);
    if (requests == 0) {
      return false;
    }
    row.idle = 0;
    long failures = row.failures.sumThenReset();
    if (failures > requests) {
      // A failure counted before its latency: it belongs to the next report.
      row.failures.add(failures - requests);
      failures = requests;
    }
    if (report.getCallsCount() == CallReports.MAX_ROWS) {
      dropped.add(requests);
      return true;
    }
    CallStats.Builder stats =
        CallStats.newBuilder()
            .setDestination(row.destination)
            .setRoute(row.route)
            .setSubset(row.subset)
            .setRequests(requests)
            .setFailures(failures);
    int last = buckets.length - 1;
    while (last >= 0 && buckets[last] == 0) {
      last--;
    }
    for (int i = 0; i <= last; i++) {
      stats.addLatencyBuckets(buckets[i]);
    }
    report.addCalls(stats);
    return true;
  }

  /** The cells of one (destination, route, subset), and the observer of every call to it. */
  private static final class Row implements ClientCallObserver {
    final String destination;
    final String route;
    final String subset;
    final AtomicLongArray latency = new AtomicLongArray(CallReports.BUCKETS);
    final LongAdder failures = new LongAdder();
    // Only the draining thread touches it.
    int idle;

    Row(String destination, String route, String subset) {
      this.destination = destination;
      this.route = route;
      this.subset = subset;
    }

    @Override
    public void callEnded(CallEnd end) {
      latency.incrementAndGet(CallReports.bucket(end.durationNanos()));
      if (!end.status().isOk()) {
        failures.increment();
      }
    }

    /** Moves the latency counts into {@code into} and returns their sum: the calls that ended. */
    long drain(long[] into) {
      long sum = 0;
      for (int i = 0; i < into.length; i++) {
        into[i] = latency.getAndSet(i, 0);
        sum += into[i];
      }
      return sum;
    }
  }
}
