package io.mesh4j.core.engine.resilience;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The closed breaker's count window: the last {@code size} outcomes in a pre-allocated ring, with
 * running counts of failed and slow ones. Recording allocates nothing and takes no lock: one
 * increment of the sequence, and a swap of the slot and a count update only when the outcome
 * replaced differs from the new one (so a success replacing a success, the common case, writes
 * nothing else). Concurrent records may see the counts a moment apart; the window is a rate
 * estimate, as Resilience4j's lock-free window is.
 *
 * <p>Replaced whole, never reset, when the breaker closes again. Thread-safe.
 */
final class CountWindow extends OutcomeWindow {

  private final int size;
  /**
   * Sequence numbers a thread takes at once, so threads rarely meet on the shared counter: up to
   * 8, and small enough beside the window that 16 threads' blocks fit in it (a block as large as
   * a small window would let threads overwrite each other's outcomes in the same slots).
   */
  private final int block;

  private final AtomicLong next = new AtomicLong();
  // Per thread: the next sequence number it owns and the end of its block.
  private final ThreadLocal<long[]> blocks = ThreadLocal.withInitial(() -> new long[2]);
  // 0 = empty slot, else SUCCESS | FAILED? | SLOW?
  private final AtomicIntegerArray ring;
  private final AtomicInteger recorded = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger slow = new AtomicInteger();

  /**
   * @param minimumCalls outcomes needed before a rate can open the breaker (at most {@code size})
   */
  CountWindow(int size, int minimumCalls, float failureRateThreshold, float slowRateThreshold) {
    super(Math.min(minimumCalls, size), failureRateThreshold, slowRateThreshold);
    this.size = size;
    this.block = Math.max(1, Math.min(8, size / 16));
    this.ring = new AtomicIntegerArray(size);
  }

  @Override
  boolean record(int outcome, long nowNanos) {
    int slot = (int) Long.remainderUnsigned(nextSequence(), size);
    // Read first: a slot that already holds this outcome (nearly always, for a healthy subset)
    // is left alone, so threads do not fight over the ring's cache lines.
    if (ring.get(slot) == outcome) {
      return false;
    }
    int previous = ring.getAndSet(slot, outcome);
    if (previous == 0) {
      recorded.incrementAndGet();
    }
    int failedDelta = (outcome & FAILED) - (previous & FAILED);
    if (failedDelta != 0) {
      failed.addAndGet(failedDelta / FAILED);
    }
    int slowDelta = (outcome & SLOW) - (previous & SLOW);
    if (slowDelta != 0) {
      slow.addAndGet(slowDelta / SLOW);
    }
    // Only a bad outcome, or one that fills the window further, can push a rate over.
    return ((outcome & (FAILED | SLOW)) != 0 || previous == 0) && exceeded();
  }

  /**
   * The next slot's sequence number. Threads take blocks of {@link #block} numbers, so with
   * several threads the window holds the last {@code size} outcomes give or take a block per
   * thread; a single thread's outcomes stay in exact order.
   */
  private long nextSequence() {
    long[] b = blocks.get();
    if (b[0] == b[1]) {
      long start = next.getAndAdd(block);
      b[0] = start;
      b[1] = start + block;
    }
    return b[0]++;
  }

  private boolean exceeded() {
    return exceeded(Math.min(recorded.get(), size), failed.get(), slow.get());
  }

  @Override
  float failureRate() {
    return failed.get() * 100.0f / Math.max(1, Math.min(recorded.get(), size));
  }

  @Override
  float slowRate() {
    return slow.get() * 100.0f / Math.max(1, Math.min(recorded.get(), size));
  }
}
