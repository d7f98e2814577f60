package io.mesh4j.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.benchmarks.load.Results.RowResult;
import io.mesh4j.benchmarks.load.Results.Sample;
import io.mesh4j.benchmarks.load.Verdicts.Check;
import io.mesh4j.benchmarks.load.Verdicts.Figure;
import io.mesh4j.benchmarks.load.Verdicts.Verdict;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class VerdictsTest {

  /** A row whose round i has every call at {@code micros[i]}: 1,000 calls in one second. */
  private static RowResult row(String name, long... micros) {
    List<Sample> rounds = new ArrayList<>();
    for (long m : micros) {
      Histogram h = new Histogram(3);
      h.recordValueWithCount(m * 1000, 1000);
      rounds.add(new Sample(h, 0, null, 1.0, m * 1_000_000, 0, 0, 0, 0, 0, 0));
    }
    return RowResult.pool(name, name, null, rounds);
  }

  @Test
  void identicalRoundsGiveAZeroWidthInterval() {
    Check c = Verdicts.check("p50", row("a", 104, 104, 104, 104, 104),
        row("b", 100, 100, 100, 100, 100), Figure.P50, 1.05, true);

    assertThat(c.ratio()).isEqualTo(1.04, org.assertj.core.data.Offset.offset(0.001));
    assertThat(c.low()).isEqualTo(c.high());
    assertThat(c.verdict()).isEqualTo(Verdict.MET);
  }

  @Test
  void aClearlySlowerRowMissesAndAClearlyFasterOneMeetsEvenWithNoise() {
    RowResult floor = row("floor", 100, 110, 95, 105, 100);

    assertThat(Verdicts.check("p50", row("slow", 130, 140, 125, 138, 131), floor, Figure.P50,
        1.05, true).verdict()).isEqualTo(Verdict.MISSED);
    assertThat(Verdicts.check("p50", row("fast", 80, 90, 77, 84, 82), floor, Figure.P50,
        1.05, true).verdict()).isEqualTo(Verdict.MET);
  }

  @Test
  void noisyRoundsAroundTheLimitAreInconclusiveAndSaySoWhenTooWide() {
    Check c = Verdicts.check("p50", row("mesh", 150, 70, 140, 60, 110),
        row("floor", 100, 100, 100, 100, 100), Figure.P50, 1.05, true);

    assertThat(c.verdict()).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(c.halfWidth()).isGreaterThan(Verdicts.MAX_HALF_WIDTH);
    assertThat(c.describe()).startsWith("**inconclusive, too noisy (±");
  }

  @Test
  void pairedRoundsCancelLoadThatHitBothRowsAlike() {
    // Round 2 was slow for both rows: paired resampling keeps the ratio steady at 1.02.
    Check c = Verdicts.check("p50", row("mesh", 102, 204, 102, 102, 102),
        row("floor", 100, 200, 100, 100, 100), Figure.P50, 1.05, true);

    assertThat(c.high()).isLessThanOrEqualTo(1.05);
    assertThat(c.verdict()).isEqualTo(Verdict.MET);
  }

  @Test
  void aLowerLimitIsMetOnlyAboveIt() {
    Check c = Verdicts.check("calls/s", row("mesh", 100, 100, 100), row("floor", 100, 100, 100),
        Figure.THROUGHPUT, 0.95, false);

    assertThat(c.ratio()).isEqualTo(1.0, org.assertj.core.data.Offset.offset(0.001));
    assertThat(c.verdict()).isEqualTo(Verdict.MET);
  }

  @Test
  void oneRoundGivesNoIntervalAndSoNoFirmVerdict() {
    Check c = Verdicts.check("p50", row("mesh", 200), row("floor", 100), Figure.P50, 1.05, true);

    assertThat(c.ratio()).isEqualTo(2.0, org.assertj.core.data.Offset.offset(0.001));
    assertThat(c.low()).isNaN();
    assertThat(c.verdict()).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(c.describe()).isEqualTo("inconclusive: no interval from fewer than two rounds");
  }

  @Test
  void aDenominatorWithoutTheFigureIsNotMeasurableRatherThanAHugeRatio() {
    // The floor's rounds report no client CPU (as when /proc cannot be read).
    Check c = Verdicts.check("client CPU", row("mesh", 100, 100, 100), row("floor", 0, 0, 0),
        Figure.CLIENT_CPU, 1.10, true);

    assertThat(c.ratio()).isNaN();
    assertThat(c.verdict()).isEqualTo(Verdict.INCONCLUSIVE);
  }

  @Test
  void aSmallShareIsJudgedAgainstItsLimitNotAgainstItself() {
    // A share around 0.05 that moves by ±0.01 between rounds is clearly under a 0.20 limit; its
    // width, taken relative to the limit, is small.
    Check c = Verdicts.check("share", 5, chosen -> {
      double sum = 0;
      for (int i : chosen) {
        sum += 0.04 + 0.005 * i;
      }
      return sum / chosen.length;
    }, 0.20, true);

    assertThat(c.verdict()).isEqualTo(Verdict.MET);
    assertThat(c.halfWidth()).isLessThan(Verdicts.MAX_HALF_WIDTH);
  }

  @Test
  void theSameDataGiveTheSameInterval() {
    RowResult a = row("a", 150, 70, 140, 60, 110);
    RowResult b = row("b", 100, 90, 120, 100, 95);

    Check first = Verdicts.check("p50", a, b, Figure.P50, 1.05, true);
    Check second = Verdicts.check("p50", a, b, Figure.P50, 1.05, true);

    assertThat(second).isEqualTo(first);
  }
}
