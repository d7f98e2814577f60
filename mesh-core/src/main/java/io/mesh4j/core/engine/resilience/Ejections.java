package io.mesh4j.core.engine.resilience;

/**
 * When the last running ejection of one destination's endpoints ends, so that picking can skip
 * counting ejected endpoints whenever none can be. Shared by a snapshot's sets and its outlier
 * detection; a stale reading only delays or skips panic mode for one ejection, it never ejects or
 * returns an endpoint.
 *
 * <p>Thread-safe: picks read two volatile fields; ejections, which are rare, write under the
 * monitor.
 */
public final class Ejections {

  private volatile boolean any;
  private volatile long until;

  /** Notes an ejection that lasts until {@code end} (a ticker reading). */
  public synchronized void ejectedUntil(long end) {
    if (!any || end - until > 0) {
      until = end;
      any = true;
    }
  }

  /** Whether an ejection noted here may still run at {@code now}. */
  public boolean mayBeRunning(long now) {
    return any && now - until < 0;
  }
}
