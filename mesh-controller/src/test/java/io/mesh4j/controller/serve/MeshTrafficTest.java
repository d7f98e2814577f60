package io.mesh4j.controller.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.wire.v1.CallReport;
import io.mesh4j.wire.v1.CallReports;
import io.mesh4j.wire.v1.CallStats;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The traffic view's arithmetic and bounds, on a fake clock. */
@Timeout(10)
class MeshTrafficTest {

  // At the start of a slot, so the window's arithmetic below is exact.
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-05T23:10:00Z"));
  private final InstantSource clock = () -> now.get();
  private final MeshTraffic traffic = new MeshTraffic(clock);

  @Test
  void aRowsRateIsItsCallsOverTheTimeItsReportsCover() {
    traffic.record("shop/frontend", "shop", "frontend", report(5_000, row("v1", 100, 0, 2, 100)));

    Map<String, Object> edge = onlyEdge();
    assertThat(edge).containsEntry("from", "frontend").containsEntry("fromNamespace", "shop").containsEntry("to", "catalog.shop");
    assertThat(edge.get("requestsPerSecond")).isEqualTo(20.0);

    advance(Duration.ofSeconds(5));
    traffic.record("shop/frontend", "shop", "frontend", report(5_000, row("v1", 50, 0, 2, 50)));

    assertThat(onlyEdge().get("requestsPerSecond")).isEqualTo(15.0);
  }

  @Test
  void countsLeaveTheWindowAndARowWithoutReportsIsForgotten() {
    traffic.record("shop/frontend", "shop", "frontend", report(5_000, row("v1", 100, 0, 2, 100)));
    for (int i = 0; i < 6; i++) {
      advance(Duration.ofSeconds(5));
      traffic.record("shop/frontend", "shop", "frontend", report(5_000, row("v1", 10, 0, 2, 10)));
    }

    // 30 s later the first report's 100 calls are out: six reports of 10 over the 30 s they cover
    assertThat(onlyEdge().get("requestsPerSecond")).isEqualTo(2.0);

    advance(MeshTraffic.WINDOW.plusSeconds(5));
    assertThat(edges()).isEmpty();
    assertThat(traffic.rowCount()).isZero();
  }

  @Test
  void subsetsOfOneDestinationMergeIntoOneEdgeWithTheirShares() {
    traffic.record("shop/frontend", "shop", "frontend", report(5_000, row("v1", 90, 0, 2, 90), row("v2", 10, 5, 10, 10)));
    // a second replica of the same application adds to the same rows
    traffic.record("shop/frontend", "shop", "frontend", report(5_000, row("v1", 90, 0, 2, 90)));

    Map<String, Object> edge = onlyEdge();
    assertThat(edge.get("requestsPerSecond")).isEqualTo(38.0);
    assertThat(edge.get("successRate")).isEqualTo(0.974);
    List<Map<String, Object>> routes = routes(edge);
    assertThat(routes).extracting(r -> r.get("subset")).containsExactly("v1", "v2");
    assertThat(routes.get(0)).containsEntry("route", "default").containsEntry("share", 0.947).containsEntry("successRate", 1.0);
    assertThat(routes.get(1)).containsEntry("share", 0.053).containsEntry("successRate", 0.5);
    // v1's calls all took (1, 2] ms: the median is interpolated halfway
    assertThat(routes.get(0)).containsEntry("p50Ms", 1.5).containsEntry("p99Ms", 1.99);
    // v2's in (30, 50] ms
    assertThat(routes.get(1)).containsEntry("p50Ms", 40.0);
  }

  @Test
  void percentilesComeFromTheFixedBuckets() {
    long[] buckets = new long[CallReports.BUCKETS];
    assertThat(MeshTraffic.percentile(buckets, 0.5)).isNull();
    buckets[0] = 50;
    buckets[4] = 40;
    buckets[CallReports.BUCKETS - 1] = 10;

    assertThat(MeshTraffic.percentile(buckets, 0.5)).isEqualTo(0.5);
    assertThat(MeshTraffic.percentile(buckets, 0.9)).isEqualTo(5.0);
    // beyond the last bound nothing is known but the bound
    assertThat(MeshTraffic.percentile(buckets, 0.99)).isEqualTo(10_000.0);
  }

  @Test
  void anotherIdentityNamingItselfAlikeNeverAddsToAnApplicationsRows() {
    traffic.record("shop/frontend", "shop", "frontend", report(5_000, row("v1", 100, 0, 2, 100)));
    traffic.record("shop/intruder", "shop", "frontend", report(5_000, row("v1", 900, 900, 2, 900)));

    List<Map<String, Object>> edges = edges();
    assertThat(edges).hasSize(2);
    assertThat(edges).extracting(e -> e.get("successRate")).containsExactlyInAnyOrder(1.0, 0.0);
  }

  @Test
  void rowsBeyondTheBoundsAreDroppedAndCounted() {
    MeshTraffic small = new MeshTraffic(clock, new MeshTraffic.Limits(2, 3, 4, 2));
    small.record("shop/a", "shop", "a", report(5_000, row("v1", 1, 0, 2, 1), row("v2", 1, 0, 2, 1), row("v3", 1, 0, 2, 1)));
    assertThat(small.droppedRows()).as("per application").isEqualTo(1);
    small.record("shop/a", "shop", "a2", report(5_000, row("v1", 1, 0, 2, 1), row("v2", 1, 0, 2, 1)));
    assertThat(small.droppedRows()).as("per identity").isEqualTo(2);
    small.record("shop/b", "shop", "b", report(5_000, row("v1", 1, 0, 2, 1)));
    assertThat(small.droppedRows()).as("applications").isEqualTo(3);
    assertThat(small.rowCount()).isEqualTo(3);

    advance(MeshTraffic.WINDOW.plusSeconds(5));
    small.record("shop/b", "shop", "b", report(5_000, row("v1", 1, 0, 2, 1)));
    assertThat(small.rowCount()).as("expired rows make room").isEqualTo(1);
  }

  @Test
  void hostileReportsAreRefusedWhole() {
    assertThat(MeshTraffic.check(report(5_000, row("v1", 1, 0, 2, 1)))).isNull();
    assertThat(reason(report(0, row("v1", 1, 0, 2, 1)))).isEqualTo(StreamRefusal.INVALID_REPORT);
    assertThat(reason(report(5_000, row("v1", 1, 2, 2, 1)))).as("failures > requests").isEqualTo(StreamRefusal.INVALID_REPORT);
    assertThat(reason(report(5_000, row("v1", 2, 0, 2, 1)))).as("buckets do not add up").isEqualTo(StreamRefusal.INVALID_REPORT);
    assertThat(reason(report(5_000, row("v1", -1, 0, 2, 1)))).as("above 2^63").isEqualTo(StreamRefusal.INVALID_REPORT);
    assertThat(reason(report(5_000, row("v1", 1, 0, 2, 1), row("v1", 1, 0, 2, 1)))).as("twice").isEqualTo(StreamRefusal.INVALID_REPORT);
    assertThat(reason(report(5_000, row("v1", 1, 0, 2, 1).toBuilder().setDestination("Catalog Shop").build())))
        .isEqualTo(StreamRefusal.INVALID_REPORT);
    assertThat(reason(report(5_000, row("v1", 1, 0, 2, 1).toBuilder().setRoute("a\nb").build())))
        .isEqualTo(StreamRefusal.INVALID_REPORT);
    CallReport.Builder big = CallReport.newBuilder().setIntervalMillis(5_000);
    for (int i = 0; i <= CallReports.MAX_ROWS; i++) {
      big.addCalls(row("s" + i, 1, 0, 2, 1));
    }
    assertThat(reason(big.build())).isEqualTo(StreamRefusal.OVERSIZE_REPORT);
  }

  private static StreamRefusal reason(CallReport report) {
    MeshTraffic.Refusal refusal = MeshTraffic.check(report);
    assertThat(refusal).isNotNull();
    return refusal.reason();
  }

  private void advance(Duration d) {
    now.updateAndGet(t -> t.plus(d));
  }

  private Map<String, Object> onlyEdge() {
    List<Map<String, Object>> edges = edges();
    assertThat(edges).hasSize(1);
    return edges.get(0);
  }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> edges() {
    return (List<Map<String, Object>>) traffic.view(List.of()).get("edges");
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> routes(Map<String, Object> edge) {
    return (List<Map<String, Object>>) edge.get("routes");
  }

  private static CallReport report(long intervalMillis, CallStats... rows) {
    return CallReport.newBuilder().setIntervalMillis(intervalMillis).addAllCalls(List.of(rows)).build();
  }

  /** A row whose {@code inBucket} calls all took as long as latency bucket {@code bucket}. */
  private static CallStats row(String subset, long requests, long failures, int bucket, long inBucket) {
    CallStats.Builder b =
        CallStats.newBuilder()
            .setDestination("catalog.shop")
            .setRoute("default")
            .setSubset(subset)
            .setRequests(requests)
            .setFailures(failures);
    for (int i = 0; i < bucket; i++) {
      b.addLatencyBuckets(0);
    }
    return b.addLatencyBuckets(inBucket).build();
  }
}
