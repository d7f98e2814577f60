package io.mesh4j.core.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/** Wall-clock time ({@link InstantSource}) that moves only when a test says so. Thread-safe. */
public final class FakeClock implements InstantSource {

  private final AtomicReference<Instant> now;

  public FakeClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  /** Starts at the real current time, so certificates it dates are accepted by real TLS code. */
  public static FakeClock startingNow() {
    return new FakeClock(Instant.now());
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  public FakeClock advance(Duration d) {
    now.updateAndGet(t -> t.plus(d));
    return this;
  }

  public FakeClock set(Instant t) {
    now.set(t);
    return this;
  }
}
