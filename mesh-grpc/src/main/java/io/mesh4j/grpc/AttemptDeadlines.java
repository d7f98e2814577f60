package io.mesh4j.grpc;

import io.grpc.ClientCall;
import io.mesh4j.core.base.Sleeper;
import io.mesh4j.core.base.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Per-try timeouts of attempts whose call has a later deadline of its own (the application's, in
 * its call options or its context, which the server is told): instead of a copy of the options
 * with the attempt's deadline (a {@code Deadline}, a builder and the options, 144 B), the
 * attempt's tracer joins this timer's list, which costs one compare-and-set and nothing
 * allocated. A sweep on the sleeper cancels the attempts whose time is up; it runs at the
 * earliest deadline it knows and, while any attempt is listed, at least every {@link
 * #SWEEP_NANOS}, which also drops the attempts that closed: a closed attempt stays listed (and
 * reachable) at most that long. An attempt's call cancelled here closes with {@link #CANCELLED},
 * which its listener turns into the per-try timeout it was.
 */
final class AttemptDeadlines {

  /** The description of a call this timer cancelled, as its listener receives it. */
  static final String CANCELLED = "mesh4j: per-try timeout";

  static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  /** The process's timer, on the system clock and the mesh's shared timer thread. */
  static final AttemptDeadlines SYSTEM = new AttemptDeadlines(Ticker.system(), Sleeper.system());

  private static final VarHandle ARRIVALS;

  static {
    try {
      ARRIVALS =
          MethodHandles.lookup()
              .findVarHandle(AttemptDeadlines.class, "arrivals", AttemptTracer.Timed.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Ticker ticker;
  private final Sleeper sleeper;
  // Armed since the last sweep, newest first; the sweep takes them all at once.
  private volatile AttemptTracer.@Nullable Timed arrivals;
  // When the next sweep runs; Long.MAX_VALUE when none is scheduled. Written under the lock.
  private volatile long wakeAt = Long.MAX_VALUE;
  // guarded by this: the attempts taken from arrivals and not yet fired or dropped
  private AttemptTracer.@Nullable Timed listed;
  // guarded by this: the sweep scheduled last; an earlier one that runs anyway does nothing
  private long generation;
  private Sleeper.@Nullable Scheduled pending;

  AttemptDeadlines(Ticker ticker, Sleeper sleeper) {
    this.ticker = ticker;
    this.sleeper = sleeper;
  }

  /**
   * Cancels {@code call} {@code timeoutNanos} from now unless its attempt closes first. Called
   * once per attempt, once its request is half-closed.
   */
  void arm(AttemptTracer.Timed attempt, ClientCall<?, ?> call, long timeoutNanos) {
    long now = ticker.nanos();
    long deadline = now + timeoutNanos;
    if (!attempt.arm(call, deadline)) {
      return;
    }
    AttemptTracer.Timed head;
    do {
      head = arrivals;
      attempt.next = head;
    } while (!ARRIVALS.compareAndSet(this, head, attempt));
    // A sweep due by the deadline takes this attempt with the other arrivals; one that has just
    // taken them reset wakeAt first, so this read sees no sweep and schedules one.
    if (later(wakeAt, deadline)) {
      synchronized (this) {
        if (later(wakeAt, deadline)) {
          long sweep = now + SWEEP_NANOS;
          scheduleAt(deadline - sweep < 0 ? deadline : sweep);
        }
      }
    }
  }

  /** Whether a sweep at {@code wake} (MAX_VALUE: none) comes after {@code deadline}. */
  private static boolean later(long wake, long deadline) {
    return wake == Long.MAX_VALUE || wake - deadline > 0;
  }

  // guarded by this
  private void scheduleAt(long at) {
    wakeAt = at;
    long g = ++generation;
    Sleeper.Scheduled previous = pending;
    if (previous != null) {
      previous.cancel();
    }
    pending = sleeper.schedule(() -> sweep(g), Math.max(0, at - ticker.nanos()));
  }

  /** Cancels the attempts whose deadline passed and drops the closed ones. */
  void sweep(long g) {
    AttemptTracer.Timed due = null;
    synchronized (this) {
      if (g != generation) {
        return;
      }
      pending = null;
      wakeAt = Long.MAX_VALUE;
      AttemptTracer.Timed t = (AttemptTracer.Timed) ARRIVALS.getAndSet(this, null);
      while (t != null) {
        AttemptTracer.Timed n = t.next;
        t.next = listed;
        listed = t;
        t = n;
      }
      long now = ticker.nanos();
      long earliest = now + SWEEP_NANOS;
      AttemptTracer.Timed kept = null;
      t = listed;
      while (t != null) {
        AttemptTracer.Timed n = t.next;
        if (!t.armed()) {
          t.next = null;
          t.call = null;
        } else if (t.deadline - now <= 0) {
          t.next = due;
          due = t;
        } else {
          t.next = kept;
          kept = t;
          if (t.deadline - earliest < 0) {
            earliest = t.deadline;
          }
        }
        t = n;
      }
      listed = kept;
      if (kept != null) {
        scheduleAt(earliest);
      }
    }
    // Outside the lock: a cancelled call may close on this thread and start the next attempt.
    RuntimeException failure = null;
    while (due != null) {
      AttemptTracer.Timed n = due.next;
      due.next = null;
      try {
        due.fire();
      } catch (RuntimeException e) {
        // A transport that throws on cancel must not keep the other attempts from their timeout.
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
      due = n;
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** How many attempts the timer still lists (closed ones until the next sweep); for tests. */
  synchronized int listed() {
    int n = 0;
    for (AttemptTracer.Timed t = listed; t != null; t = t.next) {
      n++;
    }
    return n;
  }
}
