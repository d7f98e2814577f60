package io.mesh4j.samples.shop;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What users saw over some stretch of time: page calls, how they ended, and which catalog version
 * served each. Many driver threads add to it at once without locks.
 */
public final class Tally {

  private static final int KEPT_FAILURES = 5;

  private final long startNanos;
  private final LongAdder calls = new LongAdder();
  private final LongAdder degraded = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder latencyNanos = new LongAdder();
  private final ConcurrentMap<String, LongAdder> byVersion = new ConcurrentHashMap<>();
  private final List<String> failures = new ArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();

  Tally(long startNanos) {
    this.startNanos = startNanos;
  }

  /** A call starts; it ends with {@link #served}, {@link #degraded} or {@link #failed}. */
  void begin() {
    inFlight.incrementAndGet();
  }

  /** A page served with everything on it, by the catalog {@code version}. */
  void served(String version, long nanos) {
    count(version, nanos);
    inFlight.decrementAndGet();
  }

  private void count(String version, long nanos) {
    calls.increment();
    latencyNanos.add(nanos);
    byVersion.computeIfAbsent(version, v -> new LongAdder()).increment();
  }

  /** A page served without its price, because pricing failed. */
  void degraded(String version, long nanos) {
    count(version, nanos);
    degraded.increment();
    inFlight.decrementAndGet();
  }

  /** A page the user did not get, with why. */
  void failed(String why, long nanos) {
    calls.increment();
    latencyNanos.add(nanos);
    failed.increment();
    synchronized (failures) {
      if (failures.size() < KEPT_FAILURES) {
        failures.add(why);
      }
    }
    inFlight.decrementAndGet();
  }

  /**
   * Waits (at most {@code maxMillis}) until every call begun on this tally has ended, so that
   * calls started in a phase are counted in it even when they end after it.
   */
  void settle(long maxMillis) throws InterruptedException {
    long deadline = System.nanoTime() + maxMillis * 1_000_000;
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  /** When this tally started, on {@link System#nanoTime()}. */
  public long startNanos() {
    return startNanos;
  }

  /** Page calls made. */
  public long calls() {
    return calls.sum();
  }

  /** Pages served without their price. */
  public long degraded() {
    return degraded.sum();
  }

  /** Pages that failed. */
  public long failed() {
    return failed.sum();
  }

  /** Pages served, degraded ones included. */
  public long ok() {
    return calls() - failed();
  }

  /** Mean page latency in milliseconds, 0 without calls. */
  public double meanMillis() {
    long n = calls();
    return n == 0 ? 0 : latencyNanos.sum() / 1e6 / n;
  }

  /** Pages served per catalog version, sorted by version. */
  public Map<String, Long> byVersion() {
    Map<String, Long> out = new TreeMap<>();
    byVersion.forEach((v, n) -> out.put(v, n.sum()));
    return out;
  }

  /** Share (%) of served pages that {@code version} answered; 0 without pages. */
  public double share(String version) {
    long ok = ok();
    LongAdder n = byVersion.get(version);
    return ok == 0 || n == null ? 0 : 100.0 * n.sum() / ok;
  }

  /** The first few failures, as the user saw them. */
  public List<String> failures() {
    synchronized (failures) {
      return List.copyOf(failures);
    }
  }
}
