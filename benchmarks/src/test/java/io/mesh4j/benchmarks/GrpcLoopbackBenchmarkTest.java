package io.mesh4j.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A seconds-long run of the loopback harness, so the build proves it still works end to end. The
 * figures of such a short run mean nothing; only that both rows ran and every call succeeded.
 */
class GrpcLoopbackBenchmarkTest {

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void shortRunMeasuresBothChannels() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    GrpcLoopbackBenchmark.Report report;
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      report = GrpcLoopbackBenchmark.run(
          GrpcLoopbackBenchmark.Options.parse(
              "--seconds", "1", "--warmup", "1", "--rounds", "1", "--concurrency", "2"),
          out);
    }

    assertThat(report.rows(GrpcLoopbackBenchmark.PLAIN)).hasSize(1);
    assertThat(report.rows(GrpcLoopbackBenchmark.MESH)).hasSize(1);
    for (GrpcLoopbackBenchmark.Row row : report.rows()) {
      assertThat(row.throughput()).as(row.channel() + " throughput").isPositive();
      assertThat(row.latencyNanos(50)).as(row.channel() + " p50").isPositive();
      assertThat(row.errors()).as(row.channel() + " errors").isZero();
    }
    assertThat(report.clean()).isTrue();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("| 1 | plain |", "| 1 | mesh |", "| all | mesh |");
  }
}
