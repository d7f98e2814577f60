package io.mesh4j.controller.serve;

import java.time.InstantSource;
import java.time.temporal.ChronoUnit;

/**
 * Numbers the versions a controller hands out: the larger of the previous number plus one and
 * the wall clock in microseconds since the epoch. A restarted or replacement replica thus starts
 * above every number any replica issued before it (clocks in a cluster agree far better than to
 * the microsecond-per-change this spends), without state on disk and without believing the
 * numbers applications report, which an attacker can choose.
 *
 * <p>Confined to the distributor's update thread.
 */
final class VersionClock {

  private final InstantSource clock;
  private long last;

  VersionClock(InstantSource clock) {
    this.clock = clock;
  }

  long next() {
    long now = ChronoUnit.MICROS.between(java.time.Instant.EPOCH, clock.instant());
    last = Math.max(last + 1, now);
    return last;
  }
}
