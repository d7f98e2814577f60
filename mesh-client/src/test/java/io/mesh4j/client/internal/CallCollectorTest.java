package io.mesh4j.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Protocol;
import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.telemetry.ClientCallInfo;
import io.mesh4j.core.telemetry.ClientCallObserver;
import io.mesh4j.wire.v1.CallReport;
import io.mesh4j.wire.v1.CallReports;
import io.mesh4j.wire.v1.CallStats;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class CallCollectorTest {

  private final CallCollector collector = new CallCollector(3);

  @Test
  void countsCallsPerDestinationRouteAndSubsetWithFailuresAndLatency() {
    call("catalog.shop", "v1", 0, 2);
    call("catalog.shop", "v1", 0, 40);
    call("catalog.shop", "v1", 14, 40);
    call("catalog.shop", "v2", 0, 2);

    CallReport report = collector.drain(5_000);

    assertThat(report.getIntervalMillis()).isEqualTo(5_000);
    assertThat(report.getCallsList()).hasSize(2);
    CallStats v1 = row(report, "v1");
    assertThat(v1.getDestination()).isEqualTo("catalog.shop");
    assertThat(v1.getRoute()).isEqualTo("default");
    assertThat(v1.getRequests()).isEqualTo(3);
    assertThat(v1.getFailures()).isEqualTo(1);
    // trailing empty buckets are left out; 2 ms is bucket 2 (1 to 2 ms], 40 ms bucket 10 (30 to 50 ms]
    assertThat(v1.getLatencyBucketsList()).hasSize(11);
    assertThat(v1.getLatencyBuckets(CallReports.bucket(TimeUnit.MILLISECONDS.toNanos(2)))).isEqualTo(1);
    assertThat(v1.getLatencyBuckets(10)).isEqualTo(2);
    assertThat(row(report, "v2").getRequests()).isEqualTo(1);
  }

  @Test
  void aDrainStartsTheNextReportFromZero() {
    call("catalog.shop", "v1", 0, 2);
    collector.drain(5_000);

    assertThat(collector.drain(5_000).getCallsList()).isEmpty();
    call("catalog.shop", "v1", 0, 2);
    assertThat(collector.drain(5_000).getCalls(0).getRequests()).isEqualTo(1);
  }

  @Test
  void callsBeyondTheBoundOnRowsAreDroppedAndCounted() {
    call("a.shop", null, 0, 1);
    call("b.shop", null, 0, 1);
    call("c.shop", null, 0, 1);
    call("d.shop", null, 0, 1);
    call("d.shop", null, 0, 1);

    assertThat(collector.drain(5_000).getCallsList()).hasSize(3);
    assertThat(collector.droppedCalls()).isEqualTo(2);
  }

  @Test
  void idleRowsAreRemovedAndFreeTheirPlace() {
    call("a.shop", null, 0, 1);
    call("b.shop", null, 0, 1);
    call("c.shop", null, 0, 1);
    for (int i = 0; i < CallCollector.IDLE_DRAINS + 1; i++) {
      collector.drain(5_000);
    }

    call("d.shop", null, 0, 1);

    assertThat(collector.drain(5_000).getCalls(0).getDestination()).isEqualTo("d.shop");
    assertThat(collector.droppedCalls()).isZero();
  }

  @Test
  void callsOutsideTheAppliedPolicyAreNotCounted() {
    ClientCallObserver o =
        collector.clientCall(new ClientCallInfo(Protocol.GRPC, "typo", "x.Y/Z", null, "default", null, false, null));

    assertThat(o).isSameAs(ClientCallObserver.NONE);
  }

  @Test
  void theIntervalIsKeptWithinWhatTheControllerAccepts() {
    assertThat(collector.drain(10).getIntervalMillis()).isEqualTo(1_000);
    assertThat(collector.drain(3_600_000).getIntervalMillis()).isEqualTo(60_000);
  }

  private void call(String destination, @Nullable String subset, int grpcCode, long millis) {
    ClientCallObserver o =
        collector.clientCall(
            new ClientCallInfo(Protocol.GRPC, destination, "shop.Catalog/GetItem", null, "default", subset, true, null));
    o.callEnded(new CallEnd(CallStatus.grpc(grpcCode), TimeUnit.MILLISECONDS.toNanos(millis), -1, -1, null));
  }

  private static CallStats row(CallReport report, String subset) {
    return report.getCallsList().stream().filter(c -> c.getSubset().equals(subset)).findFirst().orElseThrow();
  }
}
