package io.mesh4j.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mesh4j.benchmarks.load.Results.ModeResult;
import io.mesh4j.benchmarks.load.Results.Report;
import io.mesh4j.benchmarks.load.Results.RowResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seconds-long runs of the harness, so the build proves that every row still runs end to end:
 * real calls on 127.0.0.1 to a server in its own JVM, an xDS control plane in another. The figures
 * of such short runs mean nothing; only that every row ran and every call succeeded.
 */
class LoadHarnessTest {

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void shortRunMeasuresEveryRowInBothModesAndWritesTheTable(@TempDir Path results)
      throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Report report;
    try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
      report = LoadHarness.run(HarnessOptions.parse("--seconds", "0.3", "--warmup", "0.2",
          "--rounds", "1", "--concurrency", "2", "--rate", "200", "--no-sidecars",
          "--results", results.toString()), out);
    }
    String text = printed.toString(StandardCharsets.UTF_8);

    assertThat(report.modes()).extracting(ModeResult::mode)
        .containsExactly("closed loop, 2 calls outstanding", "open loop, 200 calls/s");
    for (ModeResult mode : report.modes()) {
      assertThat(mode.rows()).extracting(RowResult::name).containsExactly("grpc-plain",
          "mesh4j-all", "grpc-plain-direct", "mesh4j-all-direct", "mesh4j-bare", "mesh4j-routing", "mesh4j-retries", "mesh4j-breaker",
          "mesh4j-metrics", "mesh4j-tracing-1%", "grpc-xds", "mesh4j-xds", "grpc-mtls", "mesh4j-mtls",
          "okhttp-plain",
          "okhttp-mesh4j");
      for (RowResult row : mode.rows()) {
        assertThat(row.calls()).as(mode.mode() + " " + row.name() + " calls").isPositive();
        assertThat(row.anomalies()).as(mode.mode() + " " + row.name() + " failures/retries")
            .isZero();
        assertThat(row.latencyNanos(50)).as(row.name() + " p50").isPositive();
        assertThat(row.pooled().clientAllocatedBytes()).as(row.name() + " allocation").isPositive();
      }
      assertThat(mode.skipped()).extracting(s -> s[0])
          .containsExactly("sidecar-h2c", "sidecar-tls");
    }
    assertThat(report.clean()).isTrue();
    assertThat(text)
        .contains("| grpc-plain |", "| mesh4j-all |", "| grpc-xds |", "| okhttp-mesh4j |")
        .contains("| sidecar-h2c | not measured: switched off with --no-sidecars |")
        .contains("mesh4j-all / grpc-plain, p50", "mesh4j-all / grpc-xds, client CPU per call")
        .contains("mesh4j-all-direct / grpc-plain-direct, p50", "95% interval", "verdicts: ")
        .contains("mesh4j-mtls / grpc-mtls: p50", "mesh4j-xds / grpc-xds: p50");
    List<Path> files;
    try (var list = Files.list(results)) {
      files = list.toList();
    }
    assertThat(files).hasSize(1);
    assertThat(files.get(0).getFileName().toString()).matches("\\d{4}-\\d{2}-\\d{2}\\.md");
    assertThat(Files.readString(files.get(0))).startsWith("# mesh4j loopback comparison");
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void sidecarRowsRunThroughTwoHaProxiesWhenHaProxyIsInstalled() throws Exception {
    assumeTrue(HaProxySidecars.findExecutable().isPresent(), "HAProxy is not installed");
    Report report;
    try (PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
      report = LoadHarness.run(HarnessOptions.parse("--seconds", "0.6", "--warmup", "0.2",
          "--rounds", "1", "--concurrency", "2", "--rate", "none", "--rows",
          "sidecar-h2c,sidecar-tls", "--no-results"), out);
    }
    ModeResult mode = report.modes().get(0);
    assertThat(mode.rows()).extracting(RowResult::name)
        .containsExactly("grpc-plain", "sidecar-h2c", "sidecar-tls");
    for (RowResult row : mode.rows()) {
      assertThat(row.calls()).as(row.name() + " calls").isPositive();
      assertThat(row.anomalies()).as(row.name() + " failures").isZero();
    }
    // Both proxies do work on every call; a second of calls costs them well over one clock tick.
    assertThat(mode.row("sidecar-h2c").orElseThrow().pooled().proxyCpuNanos()).isPositive();
    assertThat(mode.row("sidecar-tls").orElseThrow().pooled().proxyCpuNanos()).isPositive();
    assertThat(mode.row("grpc-plain").orElseThrow().pooled().proxyCpuNanos()).isZero();
  }
}
