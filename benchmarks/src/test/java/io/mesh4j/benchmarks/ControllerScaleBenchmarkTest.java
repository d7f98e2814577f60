package io.mesh4j.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A seconds-long run of {@link ControllerScaleBenchmark}, so the benchmark cannot rot unnoticed. */
class ControllerScaleBenchmarkTest {

  @Test
  @Timeout(60)
  void everyApplicationAppliesTheEditAndTheControllerSeesEveryAck() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    ControllerScaleBenchmark.Result r =
        ControllerScaleBenchmark.run(
            new ControllerScaleBenchmark.Options(20, 0, 0, 1, "128m"), new PrintStream(log, true, StandardCharsets.UTF_8));

    assertThat(r.missedApplies()).as("applications that did not apply the edit").isZero();
    assertThat(r.applyLatency().getTotalCount()).isEqualTo(20);
    // The controller received every application's ACK of the edit.
    assertThat(r.ackLatency().getTotalCount()).isEqualTo(20);
    assertThat(r.lastAckMillis()).hasSize(1).allSatisfy(ms -> assertThat(ms).isNotNegative());
    assertThat(r.heapBefore()).isPositive();
    assertThat(r.heapAfter()).isPositive();
    ControllerScaleBenchmark.report(r, new PrintStream(log, true, StandardCharsets.UTF_8));
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("| ACK received | 20 | 1 | 20 |");
  }
}
