package io.mesh4j.core.engine.resilience;

import io.mesh4j.core.policy.DestinationPolicy;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket implemented as GCRA (the generic cell rate algorithm) on one {@link AtomicLong}:
 * the theoretical arrival time of the next call. Starting full, it admits exactly {@code burst}
 * calls at once plus {@code rate x elapsed} over time. The emission interval is {@code 1/rate}
 * rounded down to the nanosecond, so that the count over any whole second is never short.
 *
 * <p>Thread-safe and lock-free.
 */
public final class TokenBucket {

  private final long intervalNanos;
  private final long toleranceNanos;
  private final AtomicLong tat;
  private final AtomicLong fixedPermits;
  private final boolean refills;

  /**
   * A full bucket.
   *
   * @param now the ticker reading at creation
   */
  public TokenBucket(double ratePerSecond, long burst, long now) {
    if (burst < 1) {
      throw new IllegalArgumentException("burst must be >= 1, got " + burst);
    }
    this.refills = ratePerSecond > 0;
    this.intervalNanos = refills ? Math.max(1, (long) Math.floor(1e9 / ratePerSecond)) : 1;
    long tol;
    try {
      tol = Math.multiplyExact(intervalNanos, burst);
    } catch (ArithmeticException e) {
      tol = Long.MAX_VALUE / 2;
    }
    this.toleranceNanos = tol;
    this.tat = new AtomicLong(now);
    this.fixedPermits = new AtomicLong(burst);
  }

  /**
   * The bucket a {@link DestinationPolicy.RateLimit} describes. An absent burst means one
   * second's worth of calls (the rate rounded down), at least 1.
   */
  public static TokenBucket of(DestinationPolicy.RateLimit limit, long now) {
    double rate = limit.requestsPerSecond();
    Integer burst = limit.burst();
    long b = burst != null ? burst : Math.max(1, (long) Math.floor(rate));
    return new TokenBucket(rate, b, now);
  }

  /** Takes one token if there is one. */
  public boolean tryAcquire(long now) {
    if (!refills) {
      // A rate of zero never refills, so the bucket is a plain countdown of its burst.
      for (; ; ) {
        long p = fixedPermits.get();
        if (p <= 0) {
          return false;
        }
        if (fixedPermits.compareAndSet(p, p - 1)) {
          return true;
        }
      }
    }
    for (; ; ) {
      long current = tat.get();
      long base = now - current > 0 ? now : current;
      long next = base + intervalNanos;
      if (next - now > toleranceNanos) {
        return false;
      }
      if (tat.compareAndSet(current, next)) {
        return true;
      }
    }
  }
}
