package io.mesh4j.core.engine.resilience;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.limit.VegasLimit;
import io.mesh4j.core.policy.DestinationPolicy;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * An adaptive limit of one subset's concurrent attempts. The algorithm is Netflix
 * concurrency-limits' {@link VegasLimit}: the limit grows while the window's average latency stays
 * near the lowest seen and shrinks when it rises (requests queue) or attempts fail. The library's
 * own front ends ({@code SimpleLimiter}, {@code WindowedLimit}) allocate per call and take a lock
 * per sample, so the engine keeps its own: a counter of attempts in flight checked against the
 * current limit, and window sums in atomics. Once per window, the thread that ends it feeds the
 * algorithm one sample (the window's mean latency, its highest concurrency, whether anything
 * failed), so the algorithm's lock is taken once per window, not once per call.
 *
 * <p>Thread-safe; lock-free on the call path.
 */
public final class ConcurrencyLimiter {

  private final Limit limit;
  private final long windowNanos;
  private final int minSamples;
  private final IntConsumer onChange;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile int current;
  private final AtomicLong latencySum = new AtomicLong();
  private final AtomicInteger samples = new AtomicInteger();
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
    latencySum.addAndGet(latencyNanos);
    int n = samples.incrementAndGet();
    if (failed) {
      dropped = true;
    }
    if (now - windowStart >= windowNanos && n >= minSamples && gate.compareAndSet(false, true)) {
      try {
        closeWindow(now);
      } finally {
        gate.set(false);
      }
    }
  }

  private void closeWindow(long now) {
    long start = windowStart;
    windowStart = now;
    // a settle racing with these resets may land in either window; one sample does not matter
    int n = samples.getAndSet(0);
    long sum = latencySum.getAndSet(0);
    int highest = peak.getAndSet(inFlight.get());
    boolean drop = dropped;
    dropped = false;
    if (n == 0) {
      return;
    }
    limit.onSample(start, Math.max(1, sum / n), highest, drop);
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
