package io.mesh4j.core.engine.resilience;

import io.mesh4j.core.policy.DestinationPolicy;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Linkerd's retry budget: over a sliding window, retries may be at most {@code retryPercent}% of
 * the calls plus {@code minRetriesPerSecond x window} seconds. The window is ten time buckets;
 * each bucket is one {@code long} holding the bucket's epoch (high 32 bits) and its count (low 32
 * bits), so a stale bucket is recycled by the same compare-and-set that counts into it.
 *
 * <p>Every call is counted, so the call counter is striped by thread: each stripe has its own
 * buckets, 128 bytes apart, and only the (rarer) retry check adds the stripes up. Without the
 * stripes, every call of every thread would compare-and-set the same word.
 *
 * <p>Thread-safe and lock-free. The check and the increment of {@link #tryRetry} are two steps,
 * so threads racing at the very edge of the budget can overshoot it by at most one retry each.
 */
public final class RetryBudget {

  private static final int BUCKETS = 10;
  private static final int STRIPES = 4;
  // 16 longs per stripe: the 10 buckets plus padding, so stripes never share a cache line
  private static final int STRIDE = 16;
  private static final long COUNT_MASK = 0xffff_ffffL;

  private final long bucketNanos;
  private final double ratio;
  private final double minRetries;
  private final AtomicLongArray calls = new AtomicLongArray(STRIPES * STRIDE);
  private final AtomicLongArray retries = new AtomicLongArray(BUCKETS);

  public RetryBudget(DestinationPolicy.RetryBudget policy) {
    long window = Math.max(BUCKETS, policy.window().toNanos());
    this.bucketNanos = window / BUCKETS;
    this.ratio = policy.retryPercent() / 100.0;
    this.minRetries = policy.minRetriesPerSecond() * (window / 1e9);
  }

  /** Counts one call (its first attempt). */
  public void recordCall(long now) {
    int stripe = (int) (Thread.currentThread().getId() & (STRIPES - 1));
    add(calls, stripe * STRIDE, Math.floorDiv(now, bucketNanos));
  }

  /** Takes room for one retry if the budget has it. */
  public boolean tryRetry(long now) {
    long epoch = Math.floorDiv(now, bucketNanos);
    long c = 0;
    for (int stripe = 0; stripe < STRIPES; stripe++) {
      c += sum(calls, stripe * STRIDE, epoch);
    }
    long r = sum(retries, 0, epoch);
    if (r + 1 > ratio * c + minRetries) {
      return false;
    }
    add(retries, 0, epoch);
    return true;
  }

  private static void add(AtomicLongArray buckets, int base, long epoch) {
    int slot = base + (int) Math.floorMod(epoch, (long) BUCKETS);
    long tag = epoch & COUNT_MASK;
    for (; ; ) {
      long v = buckets.get(slot);
      long next = (v >>> 32) == tag ? v + 1 : (tag << 32) | 1;
      if (buckets.compareAndSet(slot, v, next)) {
        return;
      }
    }
  }

  private static long sum(AtomicLongArray buckets, int base, long epoch) {
    long total = 0;
    for (int i = base; i < base + BUCKETS; i++) {
      long v = buckets.get(i);
      long age = (epoch - (v >>> 32)) & COUNT_MASK;
      if (age < BUCKETS) {
        total += v & COUNT_MASK;
      }
    }
    return total;
  }
}
