package io.mesh4j.core.engine.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.mesh4j.core.base.Ticker;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.engine.Events;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.telemetry.MeshListener.BreakerState;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Admission for one destination subset: a Resilience4j circuit breaker driven through its
 * low-level API ({@code tryAcquirePermission} / {@code onSuccess} / {@code onError} / {@code
 * releasePermission}) plus a counter of concurrent requests.
 *
 * <p>The breaker's clock is the mesh's {@link Ticker}. While the breaker is closed, outcomes go to
 * the guard's own {@link OutcomeWindow} (count- or time-based), which records without allocating
 * or locking, and the guard opens the Resilience4j breaker itself when a rate reaches its
 * threshold; from then on Resilience4j's state machine runs the breaker (the wait, the half-open
 * trial calls and their verdict) until it closes again with a fresh window. Resilience4j's own
 * window (which only sees the half-open state's calls) is {@code SYNCHRONIZED}: its lock-free
 * windows allocate per recorded call, and its lock-free time window ignores the configured clock.
 *
 * <p>Breaker transitions are found by comparing states after each operation rather than through
 * Resilience4j's event publisher, because one registered consumer makes it create an event object
 * for every recorded call.
 *
 * <p>Thread-safe. A closed breaker takes no lock per call; opening it does.
 */
public final class SubsetGuard {

  /** The result of {@link #tryAcquire()}. */
  public static final int ADMITTED = 0;

  public static final int CIRCUIT_OPEN = 1;
  public static final int MAX_CONCURRENCY = 2;
  public static final int CONCURRENCY_LIMITED = 3;

  // A stackless marker handed to Resilience4j as "this call failed"; never thrown.
  @SuppressWarnings("StaticAssignmentOfThrowable")
  private static final RuntimeException RECORDED_FAILURE = new RecordedFailure();

  private final String destination;
  private final @Nullable String subset;
  private final Events events;
  // Made at the first opening: Resilience4j costs tens of milliseconds of start-up that the first
  // call should not wait for.
  private volatile @Nullable CircuitBreaker breaker;
  private final Ticker ticker;
  private final DestinationPolicy.@Nullable CircuitBreaker policy;
  private final int maxConcurrent;
  private final AtomicInteger active = new AtomicInteger();
  private final @Nullable ConcurrencyLimiter limiter;
  private final AtomicReference<CircuitBreaker.State> lastState =
      new AtomicReference<>(CircuitBreaker.State.CLOSED);
  private final long slowCallNanos;
  // The closed breaker's window; null while the breaker is not closed.
  private volatile @Nullable OutcomeWindow window;
  // Why the guard opened the breaker from its window; null once Resilience4j took over.
  private volatile @Nullable String openedBecause;

  /**
   * @param policy the destination's circuit breaker policy, or null when there is none
   * @param adaptive the destination's adaptive concurrency policy, or null when there is none
   */
  public SubsetGuard(
      String destination,
      @Nullable String subset,
      DestinationPolicy.@Nullable CircuitBreaker policy,
      DestinationPolicy.@Nullable AdaptiveConcurrency adaptive,
      Ticker ticker,
      Events events) {
    this.destination = destination;
    this.subset = subset;
    this.events = events;
    this.policy = policy;
    this.ticker = ticker;
    if (adaptive == null) {
      this.limiter = null;
    } else {
      ConcurrencyLimiter l =
          new ConcurrencyLimiter(
              adaptive,
              limit -> {
                if (events.enabled()) {
                  events.concurrencyLimitChanged(destination, subset, limit);
                }
              },
              ticker.nanos());
      this.limiter = l;
      if (events.enabled()) {
        events.concurrencyLimitChanged(destination, subset, l.limit());
      }
    }
    if (policy == null) {
      this.maxConcurrent = Integer.MAX_VALUE;
      this.slowCallNanos = Long.MAX_VALUE;
      return;
    }
    this.slowCallNanos = policy.slowCallDuration().toNanos();
    Integer max = policy.maxConcurrentRequests();
    this.maxConcurrent = max == null ? Integer.MAX_VALUE : max;
    this.window = newWindow(policy);
  }

  private CircuitBreaker newBreaker(DestinationPolicy.CircuitBreaker policy) {
    SlidingWindowType type =
        policy.slidingWindowType() == DestinationPolicy.SlidingWindowType.TIME
            ? SlidingWindowType.TIME_BASED
            : SlidingWindowType.COUNT_BASED;
    CircuitBreakerConfig config =
        CircuitBreakerConfig.custom()
            .failureRateThreshold(policy.failureRateThreshold().floatValue())
            .slowCallRateThreshold(policy.slowCallRateThreshold().floatValue())
            .slowCallDurationThreshold(policy.slowCallDuration())
            .slidingWindow(
                policy.slidingWindowSize(),
                policy.minimumCalls(),
                type,
                SlidingWindowSynchronizationStrategy.SYNCHRONIZED)
            .waitDurationInOpenState(policy.waitInOpenState())
            .permittedNumberOfCallsInHalfOpenState(policy.permittedCallsInHalfOpen())
            .clock(new TickerClock(ticker))
            .build();
    return CircuitBreaker.of(subset == null ? destination : destination + "/" + subset, config);
  }

  /**
   * Asks for one attempt's permits: the breaker's permission, then a concurrency slot, then a slot
   * under the adaptive limit.
   *
   * @return {@link #ADMITTED}, {@link #CIRCUIT_OPEN}, {@link #MAX_CONCURRENCY} or {@link
   *     #CONCURRENCY_LIMITED}
   */
  public int tryAcquire() {
    CircuitBreaker b = breaker;
    if (b != null) {
      boolean permitted = b.tryAcquirePermission();
      noticeTransition(b);
      if (!permitted) {
        return CIRCUIT_OPEN;
      }
    }
    if (maxConcurrent != Integer.MAX_VALUE) {
      if (active.incrementAndGet() > maxConcurrent) {
        active.decrementAndGet();
        if (b != null) {
          b.releasePermission();
        }
        return MAX_CONCURRENCY;
      }
    }
    ConcurrencyLimiter l = limiter;
    if (l != null && !l.tryAcquire()) {
      if (maxConcurrent != Integer.MAX_VALUE) {
        active.decrementAndGet();
      }
      if (b != null) {
        b.releasePermission();
      }
      return CONCURRENCY_LIMITED;
    }
    return ADMITTED;
  }

  /** Gives back permits taken by {@link #tryAcquire()} for an attempt that never went out. */
  public void release() {
    if (maxConcurrent != Integer.MAX_VALUE) {
      active.decrementAndGet();
    }
    ConcurrencyLimiter l = limiter;
    if (l != null) {
      l.release();
    }
    CircuitBreaker b = breaker;
    if (b != null) {
      b.releasePermission();
    }
  }

  /**
   * Records how an admitted attempt ended, at {@code nowNanos} (ticker time), {@code latencyNanos}
   * after it started, and gives back its concurrency slot.
   */
  public void settle(Outcome outcome, long latencyNanos, long nowNanos) {
    if (maxConcurrent != Integer.MAX_VALUE) {
      active.decrementAndGet();
    }
    ConcurrencyLimiter l = limiter;
    if (l != null) {
      if (!outcome.charged()) {
        l.release();
      } else {
        l.settle(latencyNanos, outcome.isServerFailure(), nowNanos);
      }
    }
    CircuitBreaker b = breaker;
    if (!outcome.charged()) {
      if (b != null) {
        b.releasePermission();
      }
      return;
    }
    OutcomeWindow w = window;
    if (w != null && (b == null || b.getState() == CircuitBreaker.State.CLOSED)) {
      int recorded =
          OutcomeWindow.SUCCESS
              | (outcome.isServerFailure() ? OutcomeWindow.FAILED : 0)
              | (latencyNanos >= slowCallNanos ? OutcomeWindow.SLOW : 0);
      if (w.record(recorded, nowNanos)) {
        open(w);
      }
      return;
    }
    if (b == null) {
      return;
    }
    if (outcome.isServerFailure()) {
      b.onError(latencyNanos, TimeUnit.NANOSECONDS, RECORDED_FAILURE);
    } else {
      b.onSuccess(latencyNanos, TimeUnit.NANOSECONDS);
    }
    noticeTransition(b);
  }

  private OutcomeWindow newWindow(DestinationPolicy.CircuitBreaker p) {
    float failures = p.failureRateThreshold().floatValue();
    float slow = p.slowCallRateThreshold().floatValue();
    return p.slidingWindowType() == DestinationPolicy.SlidingWindowType.TIME
        ? new TimeWindow(p.slidingWindowSize(), p.minimumCalls(), failures, slow, ticker)
        : new CountWindow(p.slidingWindowSize(), p.minimumCalls(), failures, slow);
  }

  /** Opens the breaker because {@code w}'s rates reached a threshold; once, whoever sees it first. */
  @SuppressWarnings("ReferenceEquality") // identity: is w still the window in place?
  private synchronized void open(OutcomeWindow w) {
    DestinationPolicy.CircuitBreaker p = policy;
    if (window != w || p == null) {
      return;
    }
    window = null;
    openedBecause = rates(w.failureRate(), w.slowRate(), p);
    CircuitBreaker b = breaker;
    if (b == null) {
      b = newBreaker(p);
      breaker = b;
    }
    b.transitionToOpenState();
    noticeTransition(b);
  }

  /** The breaker's state as listeners see it; CLOSED when there is no breaker. */
  public BreakerState state() {
    CircuitBreaker b = breaker;
    return b == null ? BreakerState.CLOSED : map(b.getState());
  }

  /** The destination whose subset this guards, {@code name.namespace}. */
  public String destination() {
    return destination;
  }

  /** Requests currently holding a concurrency slot. */
  public int active() {
    return active.get();
  }

  /** The adaptive concurrency limit, or -1 when there is none. */
  public int concurrencyLimit() {
    ConcurrencyLimiter l = limiter;
    return l == null ? -1 : l.limit();
  }

  /** The failure for an attempt that {@link #tryAcquire()} refused with {@code code}. */
  public MeshFailure refusal(int code) {
    ConcurrencyLimiter l = limiter;
    if (code == CONCURRENCY_LIMITED && l != null) {
      return MeshFailure.of(
          MeshFailure.Reason.CONCURRENCY_LIMITED,
          destination,
          subset,
          l.inFlight() + " requests in flight, adaptive limit " + l.limit());
    }
    if (code == MAX_CONCURRENCY) {
      return MeshFailure.of(
          MeshFailure.Reason.MAX_CONCURRENCY,
          destination,
          subset,
          maxConcurrent + " requests in flight");
    }
    return MeshFailure.of(MeshFailure.Reason.CIRCUIT_OPEN, destination, subset, openDetail());
  }

  private String openDetail() {
    CircuitBreaker b = breaker;
    DestinationPolicy.CircuitBreaker p = policy;
    if (b == null || p == null) {
      return "";
    }
    if (b.getState() == CircuitBreaker.State.HALF_OPEN) {
      return "half-open, " + p.permittedCallsInHalfOpen() + " trial calls in flight";
    }
    String because = openedBecause;
    if (because != null) {
      return because;
    }
    CircuitBreaker.Metrics m = b.getMetrics();
    return rates(m.getFailureRate(), m.getSlowCallRate(), p);
  }

  private static String rates(float failureRate, float slowRate, DestinationPolicy.CircuitBreaker p) {
    if (failureRate >= p.failureRateThreshold()) {
      return "failure rate " + Math.round(failureRate) + "% >= " + percent(p.failureRateThreshold());
    }
    if (slowRate >= p.slowCallRateThreshold()) {
      return "slow-call rate "
          + Math.round(slowRate)
          + "% >= "
          + percent(p.slowCallRateThreshold())
          + " (slower than "
          + p.slowCallDuration().toMillis()
          + " ms)";
    }
    return "open";
  }

  private static String percent(double v) {
    return v == Math.rint(v) ? (long) v + "%" : v + "%";
  }

  private void noticeTransition(CircuitBreaker b) {
    CircuitBreaker.State now = b.getState();
    CircuitBreaker.State before = Objects.requireNonNull(lastState.get());
    if (now == before || !lastState.compareAndSet(before, now)) {
      return;
    }
    if (now != CircuitBreaker.State.OPEN) {
      // Resilience4j's own metrics explain any later opening (from half-open).
      openedBecause = null;
    }
    DestinationPolicy.CircuitBreaker p = policy;
    if (now == CircuitBreaker.State.CLOSED && p != null) {
      window = newWindow(p);
    }
    BreakerState from = map(before);
    BreakerState to = map(now);
    if (from != to && events.enabled()) {
      events.breakerStateChanged(destination, subset, from, to);
    }
  }

  private static BreakerState map(CircuitBreaker.State s) {
    return switch (s) {
      case OPEN, FORCED_OPEN -> BreakerState.OPEN;
      case HALF_OPEN -> BreakerState.HALF_OPEN;
      default -> BreakerState.CLOSED;
    };
  }

  /** What the breaker is told about a failed attempt; carries no stack. */
  private static final class RecordedFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RecordedFailure() {
      super("attempt failed", null, false, false);
    }
  }
}
