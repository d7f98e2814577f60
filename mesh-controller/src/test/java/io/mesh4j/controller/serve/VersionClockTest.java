package io.mesh4j.controller.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

class VersionClockTest {

  @Test
  void numbersIncreaseEvenWhenTheClockStandsStillOrStepsBack() {
    Instant[] now = {Instant.parse("2026-12-01T00:00:00Z")};
    VersionClock versions = new VersionClock(() -> now[0]);

    long first = versions.next();
    long second = versions.next();
    now[0] = now[0].minusSeconds(60);
    long third = versions.next();

    assertThat(first).isEqualTo(1_796_083_200_000_000L);
    assertThat(second).isEqualTo(first + 1);
    assertThat(third).isEqualTo(first + 2);
  }

  @Test
  void aReplicaStartedLaterNumbersAboveEverythingAnEarlierOneIssued() {
    VersionClock earlier = new VersionClock(InstantSource.fixed(Instant.parse("2026-12-01T00:00:00Z")));
    long last = 0;
    for (int i = 0; i < 10_000; i++) {
      last = earlier.next();
    }

    VersionClock restarted = new VersionClock(InstantSource.fixed(Instant.parse("2026-12-01T00:00:01Z")));

    assertThat(restarted.next()).isGreaterThan(last);
  }
}
