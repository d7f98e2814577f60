package io.mesh4j.core.engine.resilience;

import io.mesh4j.core.policy.DestinationPolicy;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Linkerd's retry budget: over a sliding window, retries may be at most {@code retryPercent}% of
 * the calls plus {@code minRetriesPerSecond x window} seconds. The window is ten time buckets;
 * each bucket is one {@code long} holding the bucket's epoch (high 32 bits) and its count (low 32
 * bits), so a stale bucket is recycled by the same compare-and-set that counts into it.
 *
 * <p>Thread-safe and lock-free. The check and the increment of {@link #tryRetry} are two steps,
 * so threads racing at the very edge of the budget can overshoot it by at most one retry each.
 */
public final class RetryBudget {

  private static final int BUCKETS = 10;
  private static final long COUNT_MASK = 0xffff_ffffL;

  private final long bucketNanos;
  private final double ratio;
  private final double minRetries;
  private final AtomicLongArray calls = new AtomicLongArray(BUCKETS);
  private final AtomicLongArray retries = new AtomicLongArray(BUCKETS);

  public RetryBudget(DestinationPolicy.RetryBudget policy) {
    long window = Math.max(BUCKETS, policy.window().toNanos());
    this.bucketNanos = window / BUCKETS;
    this.ratio = policy.retryPercent() / 100.0;
    this.minRetries = policy.minRetriesPerSecond() * (window / 1e9);
  }

  /** Counts one call (its first attempt). */
  public void recordCall(long now) {
    add(calls, Math.floorDiv(now, bucketNanos));
  }

  /** Takes room for one retry if the budget has it. */
  public boolean tryRetry(long now) {
    long epoch = Math.floorDiv(now, bucketNanos);
    long c = sum(calls, epoch);
    long r = sum(retries, epoch);
    if (r + 1 > ratio * c + minRetries) {
      return false;
    }
    add(retries, epoch);
    return true;
  }

  private static void add(AtomicLongArray buckets, long epoch) {
    int slot = (int) Math.floorMod(epoch, (long) BUCKETS);
    long tag = epoch & COUNT_MASK;
    for (; ; ) {
      long v = buckets.get(slot);
      long next = (v >>> 32) == tag ? v + 1 : (tag << 32) | 1;
      if (buckets.compareAndSet(slot, v, next)) {
        return;
      }
    }
  }

  private static long sum(AtomicLongArray buckets, long epoch) {
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      long v = buckets.get(i);
      long age = (epoch - (v >>> 32)) & COUNT_MASK;
      if (age < BUCKETS) {
        total += v & COUNT_MASK;
      }
    }
    return total;
  }
}
