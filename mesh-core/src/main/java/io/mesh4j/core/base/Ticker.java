package io.mesh4j.core.base;

/**
 * A monotonic clock in nanoseconds, injected so that every time-based decision (deadlines,
 * ejections, breaker waits, budgets, rate limits) can be driven by a fake clock in tests. Only
 * differences between two readings are meaningful.
 *
 * <p>Implementations must be thread-safe and cheap: the engine reads the ticker on every call.
 */
@FunctionalInterface
public interface Ticker {

  /** The current reading in nanoseconds; never goes backwards. */
  long nanos();

  /** The ticker backed by {@link System#nanoTime()}. */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }
}

/** The only place that reads the system's monotonic clock. */
enum SystemTicker implements Ticker {
  INSTANCE;

  @Override
  public long nanos() {
    return System.nanoTime();
  }
}
