package io.mesh4j.core.engine.resilience;

import static io.mesh4j.core.engine.resilience.OutcomeWindow.FAILED;
import static io.mesh4j.core.engine.resilience.OutcomeWindow.SLOW;
import static io.mesh4j.core.engine.resilience.OutcomeWindow.SUCCESS;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.testing.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class TimeWindowTest {

  private final FakeTicker ticker = new FakeTicker();

  @Test
  void ratesCountOnlyTheLastSeconds() {
    TimeWindow w = new TimeWindow(10, 4, 50, 100, ticker);
    w.record(SUCCESS | FAILED, ticker.nanos());
    w.record(SUCCESS | FAILED, ticker.nanos());
    w.record(SUCCESS, ticker.nanos());
    assertThat(w.failureRate()).isCloseTo(66.7f, org.assertj.core.data.Offset.offset(0.1f));

    // Ten seconds on, the failures have left the window.
    ticker.advance(Duration.ofSeconds(10));
    assertThat(w.failureRate()).isZero();
    assertThat(w.record(SUCCESS | FAILED, ticker.nanos())).isFalse();
  }

  @Test
  void opensOnceTheMinimumIsReachedEvenByASuccess() {
    TimeWindow w = new TimeWindow(10, 4, 50, 100, ticker);
    assertThat(w.record(SUCCESS | FAILED, ticker.nanos())).isFalse();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(w.record(SUCCESS | FAILED, ticker.nanos())).isFalse();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(w.record(SUCCESS | FAILED, ticker.nanos())).isFalse();

    assertThat(w.record(SUCCESS, ticker.nanos())).isTrue();
  }

  @Test
  void aBucketIsResetWhenItsSecondComesRoundAgain() {
    TimeWindow w = new TimeWindow(2, 1, 50, 100, ticker);
    w.record(SUCCESS | FAILED, ticker.nanos());
    ticker.advance(Duration.ofSeconds(2));

    // Same bucket, two seconds later: the old failure is gone.
    assertThat(w.record(SUCCESS, ticker.nanos())).isFalse();
    assertThat(w.failureRate()).isZero();
  }

  @Test
  void slowCallsHaveTheirOwnRate() {
    TimeWindow w = new TimeWindow(10, 2, 50, 50, ticker);

    assertThat(w.record(SUCCESS | SLOW, ticker.nanos())).isFalse();
    assertThat(w.record(SUCCESS | SLOW, ticker.nanos())).isTrue();
    assertThat(w.slowRate()).isEqualTo(100f);
  }
}
