package io.mesh4j.core.engine.resilience;

import io.mesh4j.core.base.Ticker;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The closed breaker's time window: outcomes of the last {@code seconds} seconds in one bucket per
 * second, each bucket split into stripes that threads take round robin, so that threads recording
 * in the same second do not fight over one counter. A bucket is claimed for a new second by
 * whichever thread gets there first, which resets its counts; an outcome recorded by another
 * thread in that instant may be lost, which a rate estimate tolerates. Recording allocates
 * nothing and takes no lock. Thread-safe.
 */
final class TimeWindow extends OutcomeWindow {

  private static final long SECOND = 1_000_000_000L;
  // Longs per (bucket, stripe): epoch second, total, failed, slow, then padding to 64 bytes so
  // that stripes do not share cache lines.
  private static final int SLOT = 8;
  private static final int MAX_SLOTS = 4096;
  private static final AtomicInteger THREADS = new AtomicInteger();
  // Threads take stripes round robin, the first time they record in any time window.
  private static final ThreadLocal<Integer> STRIPE =
      ThreadLocal.withInitial(THREADS::getAndIncrement);

  private final Ticker ticker;
  private final int seconds;
  private final int stripes;
  private final AtomicLongArray slots;

  TimeWindow(
      int seconds,
      int minimumCalls,
      float failureRateThreshold,
      float slowRateThreshold,
      Ticker ticker) {
    super(minimumCalls, failureRateThreshold, slowRateThreshold);
    this.ticker = ticker;
    this.seconds = seconds;
    // Long windows get fewer stripes, so a window never takes more than 256 KiB.
    this.stripes = Math.max(1, Math.min(4, Integer.highestOneBit(MAX_SLOTS / seconds)));
    this.slots = new AtomicLongArray(seconds * stripes * SLOT);
    for (int i = 0; i < seconds * stripes; i++) {
      slots.set(i * SLOT, Long.MIN_VALUE);
    }
  }

  @Override
  boolean record(int outcome, long nowNanos) {
    long second = Math.floorDiv(nowNanos, SECOND);
    int stripe = STRIPE.get() & (stripes - 1);
    int base = ((int) Math.floorMod(second, (long) seconds) * stripes + stripe) * SLOT;
    long epoch = slots.get(base);
    if (epoch != second && slots.compareAndSet(base, epoch, second)) {
      slots.set(base + 1, 0);
      slots.set(base + 2, 0);
      slots.set(base + 3, 0);
    }
    long total = slots.incrementAndGet(base + 1);
    boolean bad = (outcome & (FAILED | SLOW)) != 0;
    if ((outcome & FAILED) != 0) {
      slots.incrementAndGet(base + 2);
    }
    if ((outcome & SLOW) != 0) {
      slots.incrementAndGet(base + 3);
    }
    // A success can only open the breaker by bringing the window up to its minimum number of
    // calls, which happens while buckets are still small.
    return (bad || total <= minimumCalls) && exceeded(second);
  }

  private boolean exceeded(long second) {
    long[] sums = sums(second);
    return exceeded(sums[0], sums[1], sums[2]);
  }

  /** Total, failed and slow outcomes of the window ending at {@code second}. */
  private long[] sums(long second) {
    long total = 0;
    long failed = 0;
    long slow = 0;
    for (int i = 0, n = seconds * stripes; i < n; i++) {
      int base = i * SLOT;
      long epoch = slots.get(base);
      if (epoch != Long.MIN_VALUE && second - epoch < seconds && epoch <= second) {
        total += slots.get(base + 1);
        failed += slots.get(base + 2);
        slow += slots.get(base + 3);
      }
    }
    return new long[] {total, failed, slow};
  }

  @Override
  float failureRate() {
    long[] sums = sums(Math.floorDiv(ticker.nanos(), SECOND));
    return sums[1] * 100.0f / Math.max(1, sums[0]);
  }

  @Override
  float slowRate() {
    long[] sums = sums(Math.floorDiv(ticker.nanos(), SECOND));
    return sums[2] * 100.0f / Math.max(1, sums[0]);
  }
}
