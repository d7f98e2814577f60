package io.mesh4j.core.testing;

import io.mesh4j.core.base.Sleeper;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Sleeper} on a {@link FakeTicker}, in one of two modes. Automatic (the default): every
 * wait passes at once, on the waiting thread, by moving the ticker forward by the wait, so a call
 * with a 3 s fault delay finishes immediately with 3 s on the clock. Manual: waits are held until
 * {@link #advance} moves the ticker past them. Every wait asked for is recorded. Thread-safe.
 */
public final class FakeSleeper implements Sleeper {

  private final FakeTicker ticker;
  private final boolean automatic;
  private final List<Long> waits = new ArrayList<>();
  private final List<Task> pending = new ArrayList<>();

  private FakeSleeper(FakeTicker ticker, boolean automatic) {
    this.ticker = ticker;
    this.automatic = automatic;
  }

  /** Every wait passes at once, moving {@code ticker} forward by it. */
  public static FakeSleeper automatic(FakeTicker ticker) {
    return new FakeSleeper(ticker, true);
  }

  /** Waits pass only when {@link #advance} moves {@code ticker} past them. */
  public static FakeSleeper manual(FakeTicker ticker) {
    return new FakeSleeper(ticker, false);
  }

  private static final class Task {
    final long due;
    final Runnable run;
    boolean cancelled;

    Task(long due, Runnable run) {
      this.due = due;
      this.run = run;
    }
  }

  @Override
  public Scheduled schedule(Runnable task, long delayNanos) {
    synchronized (this) {
      waits.add(delayNanos);
    }
    if (automatic) {
      ticker.advanceNanos(Math.max(0, delayNanos));
      task.run();
      return () -> {};
    }
    Task t = new Task(ticker.nanos() + Math.max(0, delayNanos), task);
    synchronized (this) {
      pending.add(t);
    }
    return () -> {
      synchronized (this) {
        t.cancelled = true;
        pending.remove(t);
      }
    };
  }

  /** Moves the ticker forward and runs, on this thread and in time order, every wait now over. */
  public void advance(long nanos) {
    ticker.advanceNanos(nanos);
    while (true) {
      Task next = null;
      synchronized (this) {
        for (Task t : pending) {
          if (t.due - ticker.nanos() <= 0 && (next == null || t.due - next.due < 0)) {
            next = t;
          }
        }
        if (next == null) {
          return;
        }
        pending.remove(next);
      }
      next.run.run();
    }
  }

  /** Every wait asked for so far, in nanoseconds, in order. */
  public synchronized List<Long> waits() {
    return List.copyOf(waits);
  }

  /** How many waits are still pending (manual mode). */
  public synchronized int pending() {
    return pending.size();
  }
}
