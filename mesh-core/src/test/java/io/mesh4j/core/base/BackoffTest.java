package io.mesh4j.core.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {

  /** Always draws the same fraction, so each delay is exact. */
  private static RandomGenerator fixed(double fraction) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException("only nextDouble is drawn");
      }

      @Override
      public double nextDouble() {
        return fraction;
      }
    };
  }

  @Test
  void delaysDoubleFromTheInitialDelayUpToTheCap() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), fixed(0.999_999_999));

    assertThat(backoff.delay(0)).isBetween(Duration.ofMillis(99), Duration.ofMillis(100));
    assertThat(backoff.delay(1)).isBetween(Duration.ofMillis(199), Duration.ofMillis(200));
    assertThat(backoff.delay(3)).isBetween(Duration.ofMillis(799), Duration.ofMillis(800));
    assertThat(backoff.delay(4)).isBetween(Duration.ofMillis(999), Duration.ofMillis(1000));
    assertThat(backoff.delay(60)).isBetween(Duration.ofMillis(999), Duration.ofMillis(1000));
  }

  @Test
  void jitterNeverTakesMoreThanHalfOfTheDelayAway() {
    Backoff lowest = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), fixed(0));
    Backoff middle = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), fixed(0.5));

    assertThat(lowest.delay(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(middle.delay(2)).isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void seededDrawsStayInTheUpperHalfOfEachCappedDelayAndSpreadOverIt() {
    Backoff backoff = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(1), new SplittableRandom(17));
    Backoff again = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(1), new SplittableRandom(17));
    List<Duration> atCap = new ArrayList<>();

    for (int attempt = 0; attempt < 200; attempt++) {
      Duration base = Duration.ofMillis(Math.min(250L << Math.min(attempt, 10), 1000));
      Duration delay = backoff.delay(attempt);
      assertThat(delay).as("attempt %d", attempt).isBetween(base.dividedBy(2), base);
      assertThat(again.delay(attempt)).as("the same seed, the same delays").isEqualTo(delay);
      if (attempt >= 2) {
        atCap.add(delay);
      }
    }
    // Jitter, not a constant: the draws at the cap cover most of its upper half.
    assertThat(Collections.min(atCap)).isLessThan(Duration.ofMillis(550));
    assertThat(Collections.max(atCap)).isGreaterThan(Duration.ofMillis(950));
  }

  @Test
  void boundsMustBePositiveAndOrdered() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), fixed(0)))
        .hasMessage("initial backoff must be positive, got PT0S");
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), fixed(0)))
        .hasMessage("max backoff must be at least the initial backoff PT2S, got PT1S");
  }
}
