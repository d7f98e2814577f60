package io.mesh4j.core.engine.resilience;

import io.mesh4j.core.base.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A {@link Clock} whose instants are ticker readings counted from the epoch. Resilience4j's
 * breaker compares instants only with each other (when the open state ends), so monotonic time
 * serves it better than wall time, and a fake ticker drives it in tests.
 *
 * <p>Thread-safe if the ticker is.
 */
public final class TickerClock extends Clock {

  private final Ticker ticker;

  public TickerClock(Ticker ticker) {
    this.ticker = ticker;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochSecond(0, ticker.nanos());
  }

  @Override
  public long millis() {
    return Math.floorDiv(ticker.nanos(), 1_000_000L);
  }
}
