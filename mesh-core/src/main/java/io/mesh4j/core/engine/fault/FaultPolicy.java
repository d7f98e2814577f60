package io.mesh4j.core.engine.fault;

import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.policy.TrafficRoute;

/**
 * A rule's fault injection compiled to thresholds in parts per million.
 *
 * <p>Immutable.
 */
public final class FaultPolicy {

  /** One million: a threshold of this size always fires. */
  public static final long MILLION = 1_000_000L;

  public final long delayPpm;
  public final long delayNanos;
  public final long abortPpm;
  public final String grpcStatus;
  public final int httpStatus;

  public FaultPolicy(TrafficRoute.Fault fault) {
    TrafficRoute.Delay d = fault.delay();
    TrafficRoute.Abort a = fault.abort();
    this.delayPpm = d == null ? 0 : ppm(d.percent());
    this.delayNanos = d == null ? 0 : d.duration().toNanos();
    this.abortPpm = a == null ? 0 : ppm(a.percent());
    this.grpcStatus = a == null ? "UNAVAILABLE" : a.grpcStatus();
    this.httpStatus = a == null ? 503 : a.httpStatus();
  }

  /** A percentage (0-100) in parts per million. */
  public static long ppm(double percent) {
    return Math.round(percent * 10_000.0);
  }

  /** Whether an event of probability {@code ppm} happens, drawn for {@code purpose}. */
  public static boolean fires(long ppm, MeshRandom random, MeshRandom.Purpose purpose) {
    return ppm > 0 && (ppm >= MILLION || random.nextLong(purpose, MILLION) < ppm);
  }

  /** The delay for one call: {@link #delayNanos} or 0. */
  public long drawDelay(MeshRandom random) {
    return fires(delayPpm, random, MeshRandom.Purpose.FAULT) ? delayNanos : 0;
  }

  /** Whether one call is aborted. */
  public boolean drawAbort(MeshRandom random) {
    return fires(abortPpm, random, MeshRandom.Purpose.FAULT);
  }
}
