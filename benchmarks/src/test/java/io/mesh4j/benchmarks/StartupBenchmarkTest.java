package io.mesh4j.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One run of {@link StartupBenchmark} per kind, so the benchmark cannot rot unnoticed. */
class StartupBenchmarkTest {

  @Test
  @Timeout(120)
  void everyProbeReachesItsFirstCallAndTheMeshLoadsMore() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();

    List<StartupBenchmark.Probe.Result> medians =
        StartupBenchmark.compare(1, List.of(), null, new PrintStream(log, true, StandardCharsets.UTF_8));

    StartupBenchmark.Probe.Result plain = medians.get(0);
    StartupBenchmark.Probe.Result mesh = medians.get(1);
    StartupBenchmark.Probe.Result observed = medians.get(2);
    StartupBenchmark.Probe.Result mtls = medians.get(3);
    StartupBenchmark.Probe.Result plainMtls = medians.get(4);
    assertThat(plain.firstCallMillis()).isPositive();
    assertThat(mesh.firstCallMillis()).isPositive();
    assertThat(observed.firstCallMillis()).isPositive();
    assertThat(mtls.firstCallMillis()).isPositive();
    assertThat(plainMtls.firstCallMillis()).isPositive();
    assertThat(plainMtls.classes()).isGreaterThan(plain.classes());
    // the certificate's request and the TLS handshakes load more still
    assertThat(mtls.classes()).isGreaterThan(mesh.classes());
    assertThat(mesh.classes()).isGreaterThan(plain.classes());
    assertThat(observed.classes()).isGreaterThan(plain.classes());
    assertThat(log.toString(StandardCharsets.UTF_8))
        .contains(
            "mesh probe: span processor and MeshTracing",
            "mesh4j - plain: ",
            "mesh4j - plain with Micrometer and OpenTelemetry: ",
            "mtls probe: span processor and MeshTracing",
            ", certificate requested ",
            "mesh4j with mTLS issued at start - mesh4j: ",
            "mesh4j with mTLS issued at start - plain grpc-java with mTLS from files: ");
  }
}
