package io.mesh4j.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ProcessCpuTest {

  @Test
  void utimeAndStimeAreReadAfterACommandNameWithSpacesAndParentheses() {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 30";
    assertThat(ProcessCpu.parseStat(stat)).isEqualTo((250 + 37) * 10_000_000L);
  }

  @Test
  void aLineThatIsNotAStatLineIsRefusedWithWhatWasExpected() {
    assertThatThrownBy(() -> ProcessCpu.parseStat("garbage"))
        .hasMessageContaining("no ')'");
    assertThatThrownBy(() -> ProcessCpu.parseStat("1 (a) S 1 2"))
        .hasMessageContaining("expected at least 13");
  }

  @Test
  void thisJvmsCpuTimeGrowsWithWork() {
    assumeTrue(ProcessCpu.available(), "no /proc here");
    long pid = ProcessHandle.current().pid();
    long before = ProcessCpu.nanos(pid);
    long spin = System.nanoTime() + 300_000_000L;
    long x = 0;
    while (System.nanoTime() < spin) {
      x += Long.numberOfTrailingZeros(x + System.nanoTime());
    }
    assertThat(x).isNotNegative();
    assertThat(ProcessCpu.nanos(pid)).isGreaterThan(before);
    assertThat(ProcessCpu.nanos(Long.MAX_VALUE)).isEqualTo(-1);
  }
}
