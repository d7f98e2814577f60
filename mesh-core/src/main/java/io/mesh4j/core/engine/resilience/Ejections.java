package io.mesh4j.core.engine.resilience;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * When the last running ejection of one destination's endpoints ends, so that picking can skip
 * counting ejected endpoints whenever none can be. Shared by a snapshot's sets and its outlier
 * detection; a stale reading only delays or skips panic mode for one ejection, it never ejects or
 * returns an endpoint.
 *
 * <p>Thread-safe and lock-free.
 */
public final class Ejections {

  private static final VarHandle UNTIL;

  static {
    try {
      UNTIL = MethodHandles.lookup().findVarHandle(Ejections.class, "until", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private volatile boolean any;
  private volatile long until;

  /** Notes an ejection that lasts until {@code end} (a ticker reading). */
  public void ejectedUntil(long end) {
    for (; ; ) {
      long u = until;
      if (any && end - u <= 0) {
        return;
      }
      if (UNTIL.compareAndSet(this, u, end)) {
        any = true;
        return;
      }
    }
  }

  /** Whether an ejection noted here may still run at {@code now}. */
  public boolean mayBeRunning(long now) {
    return any && now - until < 0;
  }
}
