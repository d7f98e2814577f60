package io.mesh4j.core.base;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * How the mesh waits: a fault's injected delay, a retry's backoff. The engine asks for every wait
 * it needs through this one interface, so that every transport waits the same way and tests
 * replace time with a fake that runs due tasks as they advance a fake ticker.
 *
 * <p>Implementations are thread-safe.
 */
public interface Sleeper {

  /** A scheduled task that has not run yet. */
  @FunctionalInterface
  interface Scheduled {
    /** Keeps the task from running; no effect once it has run. */
    void cancel();
  }

  /**
   * Runs {@code task} once, {@code delayNanos} from now, on a thread of the sleeper's. Tasks must
   * be short and must not block: one thread may serve every task of the process.
   */
  Scheduled schedule(Runnable task, long delayNanos);

  /** Waits on the system clock, with one shared daemon thread created on first use. */
  static Sleeper system() {
    return SystemSleeper.INSTANCE;
  }
}

/** The default sleeper. */
enum SystemSleeper implements Sleeper {
  INSTANCE;

  @Override
  public Scheduled schedule(Runnable task, long delayNanos) {
    var future = Timer.EXECUTOR.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    return () -> future.cancel(false);
  }

  /** Lazily created, so that a mesh that never waits starts no thread. */
  private static final class Timer {
    static final ScheduledThreadPoolExecutor EXECUTOR = create();

    private static ScheduledThreadPoolExecutor create() {
      ScheduledThreadPoolExecutor executor =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "mesh4j-timer");
                t.setDaemon(true);
                return t;
              });
      // Cancelled waits (calls cancelled while waiting) must not pile up in the queue.
      executor.setRemoveOnCancelPolicy(true);
      return executor;
    }
  }
}
