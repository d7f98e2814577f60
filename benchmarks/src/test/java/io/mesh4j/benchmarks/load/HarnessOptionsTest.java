package io.mesh4j.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class HarnessOptionsTest {

  @Test
  void defaultsRunBothModesForAboutEightMinutes() {
    HarnessOptions o = HarnessOptions.defaults();
    assertThat(o.concurrency()).containsExactly(8);
    assertThat(o.rates()).containsExactly(2000);
    assertThat(o.results()).isEqualTo(Path.of("benchmarks", "results"));
    // 14 rows in two modes; the issue asks for at most 10 minutes with the defaults
    assertThat(o.expectedSeconds(14)).isLessThanOrEqualTo(600);
  }

  @Test
  void quickShortensEverythingAndOtherOptionsStillApply() {
    HarnessOptions o = HarnessOptions.parse("--quick", "--rate", "none", "--rows", "mesh4j-all, grpc-xds");
    assertThat(o.seconds()).isEqualTo(1);
    assertThat(o.rounds()).isEqualTo(1);
    assertThat(o.rates()).isEmpty();
    assertThat(o.rows()).containsExactly("mesh4j-all", "grpc-xds");
  }

  @Test
  void badValuesAreNamedWithWhatIsExpected() {
    assertThatThrownBy(() -> HarnessOptions.parse("--concurrency", "8,0"))
        .hasMessage("option --concurrency: got 0, expected integers in [1, 1024]");
    assertThatThrownBy(() -> HarnessOptions.parse("--seconds", "ten"))
        .hasMessage("option --seconds: got 'ten', expected a number");
    assertThatThrownBy(() -> HarnessOptions.parse("--concurrency", "none", "--rate", "none"))
        .hasMessageContaining("expected at least one closed- or open-loop mode");
    assertThatThrownBy(() -> HarnessOptions.parse("--speed", "3"))
        .hasMessageStartingWith("unknown option '--speed'; options: --seconds");
    assertThatThrownBy(() -> HarnessOptions.parse("--rate"))
        .hasMessageStartingWith("option --rate needs a value");
  }
}
