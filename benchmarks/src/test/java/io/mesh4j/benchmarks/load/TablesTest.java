package io.mesh4j.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.benchmarks.load.Results.ModeResult;
import io.mesh4j.benchmarks.load.Results.RowResult;
import io.mesh4j.benchmarks.load.Results.Sample;
import io.mesh4j.benchmarks.load.Verdicts.Check;
import io.mesh4j.benchmarks.load.Verdicts.Verdict;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class TablesTest {

  /**
   * A row of three identical rounds, each of {@code calls} calls all at {@code micros} in one
   * second with the CPU given: a zero-width interval, so verdicts follow the ratio.
   */
  private static RowResult row(String name, long micros, int calls, long clientCpuMicros) {
    Histogram h = new Histogram(3);
    h.recordValueWithCount(micros * 1000, calls);
    Sample round = new Sample(h, 0, null, 1.0, clientCpuMicros * 1000, 1000L * calls, 0, 0, 0, 0,
        0);
    return RowResult.pool(name, name, null, List.of(round, round, round));
  }

  private static Map<String, Check> checks(RowResult... rows) {
    return Tables.checks(new ModeResult("m", List.of(rows), List.of())).stream()
        .collect(Collectors.toMap(Check::what, Function.identity()));
  }

  @Test
  void meshAgainstTheFloorIsJudgedOnTheIssuesFourRatios() {
    Map<String, Check> checks = checks(row("grpc-plain", 100, 1000, 100_000),
        row("mesh4j-all", 104, 960, 105_600));
    assertThat(checks.get("mesh4j-all / grpc-plain, p50").ratio()).isCloseTo(1.04, within());
    assertThat(checks.get("mesh4j-all / grpc-plain, p50").verdict()).isEqualTo(Verdict.MET);
    assertThat(checks.get("mesh4j-all / grpc-plain, calls/s").ratio()).isCloseTo(0.96, within());
    assertThat(checks.get("mesh4j-all / grpc-plain, calls/s").verdict()).isEqualTo(Verdict.MET);
    // 105.6 ms over 960 calls is 1.10 per call against 1.00
    assertThat(checks.get("mesh4j-all / grpc-plain, client CPU per call").ratio())
        .isCloseTo(1.10, within());
    assertThat(checks).doesNotContainKey("mesh4j-all / grpc-xds, p50");
  }

  @Test
  void aSlowerMeshMissesAndTheAddedLatencyIsAShareOfTheSidecars() {
    Map<String, Check> checks = checks(row("grpc-plain", 100, 1000, 100_000),
        row("mesh4j-all", 120, 1000, 100_000), row("grpc-xds", 110, 1000, 90_000),
        row("sidecar-h2c", 300, 1000, 100_000));
    assertThat(checks.get("mesh4j-all / grpc-plain, p50").verdict()).isNotEqualTo(Verdict.MET);
    assertThat(checks.get("mesh4j-all / grpc-xds, p50").verdict()).isNotEqualTo(Verdict.MET);
    assertThat(checks.get("mesh4j-all / grpc-xds, client CPU per call").verdict()).isNotEqualTo(Verdict.MET);
    Check share = checks.get("mesh4j-all's added p50 / sidecar-h2c's added p50");
    assertThat(share.ratio()).isCloseTo(0.10, within()); // 20 us of 200 us
    assertThat(share.verdict()).isEqualTo(Verdict.MET);
  }

  @Test
  void aSidecarNoSlowerThanTheFloorMakesTheShareUnmeasurableNotMet() {
    Map<String, Check> checks = checks(row("grpc-plain", 100, 1000, 1000),
        row("mesh4j-all", 101, 1000, 1000), row("sidecar-tls", 99, 1000, 1000));
    Check share = checks.get("mesh4j-all's added p50 / sidecar-tls's added p50");
    assertThat(share.ratio()).isNaN();
    assertThat(share.verdict()).isNotEqualTo(Verdict.MET);
    String md = Tables.markdown(new Results.Report(List.of(new ModeResult("m",
            List.of(row("grpc-plain", 100, 1000, 1000), row("mesh4j-all", 101, 1000, 1000),
                row("sidecar-tls", 99, 1000, 1000)), List.of()))),
        HarnessOptions.defaults(), new Results.Machine(2, "cpu", "1 GB", "java", "2.6",
            "1, 1, 1", "1, 1, 1", "now"));
    assertThat(md).contains("| n/a | | | <= 0.20 | not measurable in this run |");
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(0.005);
  }
}
