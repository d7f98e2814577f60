package io.mesh4j.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A seconds-long run of {@link FootprintBenchmark}, so the benchmark cannot rot unnoticed. */
class FootprintBenchmarkTest {

  @Test
  @Timeout(120)
  void bothProbesCallAtTheRateWithoutFailuresAndReportTheirFootprint() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();

    List<FootprintBenchmark.Probe.Result> medians =
        FootprintBenchmark.compare(
            1, 1, 1, 200, new PrintStream(log, true, StandardCharsets.UTF_8));

    for (FootprintBenchmark.Probe.Result r : medians) {
      assertThat(r.failed()).isZero();
      assertThat(r.heapBytes()).isPositive();
      assertThat(r.threads()).isPositive();
      assertThat(r.cpuPerSecond()).isPositive();
    }
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("mesh4j - plain: ");
  }
}
