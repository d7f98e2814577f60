package io.mesh4j.core.engine.resilience;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.limit.VegasLimit;
import io.mesh4j.core.policy.DestinationPolicy;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;

/**
 * An adaptive limit of one subset's concurrent attempts. The algorithm is Netflix
 * concurrency-limits' {@link VegasLimit}: the limit grows while the window's average latency stays
 * near the lowest seen and shrinks when it rises (requests queue) or attempts fail. The library's
 * own front ends ({@code SimpleLimiter}, {@code WindowedLimit}) allocate per call and take a lock
 * per sample, so the engine keeps its own: a counter of attempts in flight checked against the
 * current limit, and window sums in a striped adder. Once per window, the thread that ends it
 * feeds the algorithm one sample (the window's mean latency, its highest concurrency, whether
 * anything failed), so the algorithm's lock is taken once per window, not once per call.
 *
 * <p>Thread-safe; lock-free on the call path.
 */
public final class ConcurrencyLimiter {

  private static final int COUNT_BITS = 24;
  private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;

  private final Limit limit;
  private final long windowNanos;
  private final int minSamples;
  private final IntConsumer onChange;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile int current;
  // the window's latency sum in microseconds (high 40 bits) and attempt count (low 24 bits), so
  // that settling adds both at once; striped, because every attempt of the subset adds to it
  private final LongAdder window = new LongAdder();
  private final AtomicInteger peak = new AtomicInteger();
  private volatile boolean dropped;
  private volatile long windowStart;
  private final AtomicBoolean gate = new AtomicBoolean();

  /**
   * @param onChange told the new limit whenever a window changes it
   * @param now the ticker reading at creation
   */
  public ConcurrencyLimiter(
      DestinationPolicy.AdaptiveConcurrency policy, IntConsumer onChange, long now) {
    int max = policy.maxLimit();
    int initial = Math.min(policy.initialLimit(), max);
    this.limit = VegasLimit.newBuilder().initialLimit(initial).maxConcurrency(max).build();
    this.windowNanos = Math.max(1, policy.window().toNanos());
    this.minSamples = policy.minSamples();
    this.onChange = onChange;
    this.current = limit.getLimit();
    this.windowStart = now;
  }

  /** Takes a slot unless the limit is reached. */
  public boolean tryAcquire() {
    for (; ; ) {
      int n = inFlight.get();
      if (n >= current) {
        return false;
      }
      if (inFlight.compareAndSet(n, n + 1)) {
        if (n + 1 > peak.get()) {
          peak.accumulateAndGet(n + 1, Math::max);
        }
        return true;
      }
    }
  }

  /** Gives back a slot whose attempt never went out. */
  public void release() {
    inFlight.decrementAndGet();
  }

  /**
   * Gives back a slot whose attempt ended {@code latencyNanos} after it started, and closes the
   * window when its time is up.
   *
   * @param failed whether the attempt failed in a way that means the subset is overloaded
   */
  public void settle(long latencyNanos, boolean failed, long now) {
    inFlight.decrementAndGet();
    window.add(((Math.max(0, latencyNanos) / 1000) << COUNT_BITS) + 1);
    if (failed) {
      dropped = true;
    }
    if (now - windowStart >= windowNanos && gate.compareAndSet(false, true)) {
      try {
        closeWindow(now);
      } finally {
        gate.set(false);
      }
    }
  }

  private void closeWindow(long now) {
    if ((window.sum() & COUNT_MASK) < minSamples) {
      return; // too few attempts yet: the window goes on
    }
    long start = windowStart;
    windowStart = now;
    // a settle racing with these resets may land in either window; one sample does not matter.
    // 2^24 attempts or 2^40 us of summed latency in one window would wrap; a window is a second
    long sums = window.sumThenReset();
    int n = (int) (sums & COUNT_MASK);
    long sumNanos = (sums >>> COUNT_BITS) * 1000;
    int highest = peak.getAndSet(inFlight.get());
    boolean drop = dropped;
    dropped = false;
    if (n == 0) {
      return;
    }
    limit.onSample(start, Math.max(1, sumNanos / n), highest, drop);
    int next = limit.getLimit();
    if (next != current) {
      current = next;
      onChange.accept(next);
    }
  }

  /** The current limit. */
  public int limit() {
    return current;
  }

  /** Attempts holding a slot now. */
  public int inFlight() {
    return inFlight.get();
  }
}
