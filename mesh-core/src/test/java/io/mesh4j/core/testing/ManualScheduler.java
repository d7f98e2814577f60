package io.mesh4j.core.testing;

import io.mesh4j.core.identity.CertificateRotator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A {@link CertificateRotator.Scheduler} driven by a {@link FakeClock}: tasks run on the test's
 * thread when {@link #advance} moves the clock past their time, in time order. Thread-safe.
 */
public final class ManualScheduler implements CertificateRotator.Scheduler {

  private final FakeClock clock;
  private final List<Task> tasks = new ArrayList<>();
  private long sequence;

  public ManualScheduler(FakeClock clock) {
    this.clock = clock;
  }

  private static final class Task {
    final Instant due;
    final long seq;
    final Runnable run;
    boolean cancelled;

    Task(Instant due, long seq, Runnable run) {
      this.due = due;
      this.seq = seq;
      this.run = run;
    }
  }

  @Override
  public synchronized CertificateRotator.Cancellable schedule(Runnable task, Duration delay) {
    Task t = new Task(clock.instant().plus(delay), sequence++, task);
    tasks.add(t);
    return () -> {
      synchronized (this) {
        t.cancelled = true;
        tasks.remove(t);
      }
    };
  }

  /** Runs the tasks due now. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /** Moves the clock forward by {@code d}, running every task that falls due on the way. */
  public void advance(Duration d) {
    Instant end = clock.instant().plus(d);
    while (true) {
      Task next;
      synchronized (this) {
        next =
            tasks.stream()
                .filter(t -> !t.due.isAfter(end))
                .min(Comparator.comparing((Task t) -> t.due).thenComparingLong(t -> t.seq))
                .orElse(null);
        if (next == null) {
          break;
        }
        tasks.remove(next);
      }
      if (next.due.isAfter(clock.instant())) {
        clock.set(next.due);
      }
      next.run.run();
    }
    clock.set(end);
  }

  /** How many tasks are waiting. */
  public synchronized int pending() {
    return tasks.size();
  }

  /** When the earliest waiting task is due, or null. */
  public synchronized Instant nextDue() {
    return tasks.stream().map(t -> t.due).min(Comparator.naturalOrder()).orElse(null);
  }
}
