package io.mesh4j.core.base;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Delays between reconnection attempts: exponential from {@code initial}, capped at {@code max},
 * with "equal jitter" (half the delay fixed, half drawn at random) so that many applications that
 * lost the same controller do not come back in one wave, yet none retries in a tight loop.
 *
 * <p>Immutable; thread-safe if its random generator is (the stream client uses it from one thread).
 */
public final class Backoff {

  private final Duration initial;
  private final Duration max;
  private final RandomGenerator random;

  /**
   * @param initial the delay before the first reconnection, before jitter; positive
   * @param max the upper bound of any delay, at least {@code initial}
   * @param random the source of the jitter draw
   */
  public Backoff(Duration initial, Duration max, RandomGenerator random) {
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial backoff must be positive, got " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "max backoff must be at least the initial backoff " + initial + ", got " + max);
    }
    this.initial = initial;
    this.max = max;
    this.random = random;
  }

  /** The delay before reconnection attempt {@code attempt} (0 for the first after a loss). */
  public Duration delay(int attempt) {
    long ceiling = max.toNanos();
    long base = initial.toNanos();
    for (int i = 0; i < attempt && base < ceiling; i++) {
      base = base > ceiling / 2 ? ceiling : base * 2;
    }
    base = Math.min(base, ceiling);
    long half = base / 2;
    return Duration.ofNanos(half + (long) (random.nextDouble() * (base - half)));
  }
}
