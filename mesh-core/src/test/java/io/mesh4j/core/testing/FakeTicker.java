package io.mesh4j.core.testing;

import io.mesh4j.core.base.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link Ticker} that moves only when a test says so. Thread-safe. */
public final class FakeTicker implements Ticker {

  private final AtomicLong nanos;

  /** Starts at an arbitrary non-zero reading, so that no code may assume a zero origin. */
  public FakeTicker() {
    this(1_000_000_000_000L);
  }

  public FakeTicker(long start) {
    this.nanos = new AtomicLong(start);
  }

  @Override
  public long nanos() {
    return nanos.get();
  }

  public FakeTicker advance(Duration d) {
    nanos.addAndGet(d.toNanos());
    return this;
  }

  public FakeTicker advanceNanos(long n) {
    nanos.addAndGet(n);
    return this;
  }
}
