package io.mesh4j.core.engine.resilience;

/**
 * Where a closed breaker records its outcomes without allocating or locking: the last N calls
 * ({@link CountWindow}) or the last N seconds ({@link TimeWindow}). The guard opens the breaker
 * when {@link #record} says a rate reached its threshold; from then on Resilience4j's state
 * machine runs the breaker, until it closes again with a fresh window. Thread-safe.
 */
abstract class OutcomeWindow {

  static final int SUCCESS = 1;
  static final int FAILED = 2;
  static final int SLOW = 4;

  final int minimumCalls;
  private final float failureRateThreshold;
  private final float slowRateThreshold;

  OutcomeWindow(int minimumCalls, float failureRateThreshold, float slowRateThreshold) {
    this.minimumCalls = minimumCalls;
    this.failureRateThreshold = failureRateThreshold;
    this.slowRateThreshold = slowRateThreshold;
  }

  /**
   * Records one outcome ({@link #SUCCESS}, optionally with {@link #FAILED} and {@link #SLOW}) of
   * an attempt that ended at {@code nowNanos} (ticker time).
   *
   * @return whether a rate now reaches its threshold, so the breaker must open
   */
  abstract boolean record(int outcome, long nowNanos);

  /** The failure rate in percent over the window's outcomes (0 when there are none). */
  abstract float failureRate();

  /** The slow-call rate in percent over the window's outcomes (0 when there are none). */
  abstract float slowRate();

  /** Whether {@code failed} and {@code slow} out of {@code total} outcomes open the breaker. */
  final boolean exceeded(long total, long failed, long slow) {
    if (total < minimumCalls || total == 0) {
      return false;
    }
    return failed * 100.0f / total >= failureRateThreshold
        || slow * 100.0f / total >= slowRateThreshold;
  }
}
