package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.base.Sleeper;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.engine.Events;
import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.telemetry.ClientCallObserver;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The life of a call that every plan shares, whatever its destination: observers paired by the
 * engine (attempt started and ended, one call end), waits on the mesh's sleeper, cancellation.
 * Transports only move bytes; this is where every adapter's call behaves the same.
 *
 * <p>{@link #cancel} may run on any thread; everything else follows the logical call.
 */
@SuppressWarnings("ReferenceEquality") // NONE is a marker: only that instance means "not observed"
abstract class CallLifecycle implements CallPlan {

  private static final VarHandle STATE;
  private static final VarHandle EXTRAS;
  private static final int CANCELLED = 1;
  private static final int ENDED = 2;
  /** The plan's first attempt was settled (plans that are their own first attempt). */
  static final int FIRST_SETTLED = 4;
  /** The plan's mirror copy was taken. */
  static final int MIRROR_TAKEN = 8;
  /** How often a blocked pause looks at the application's own cancellation flag. */
  private static final long CANCEL_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      STATE = l.findVarHandle(CallLifecycle.class, "state", int.class);
      EXTRAS = l.findVarHandle(CallLifecycle.class, "extras", Extras.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private volatile int state;
  // Null for the common call: not observed, never refused, never waiting, never retried. Plans
  // are allocated for every call, so what only some calls need lives here.
  private volatile @Nullable Extras extras;

  /** What only some calls need. */
  static final class Extras {
    ClientCallObserver observer = ClientCallObserver.NONE;
    long startNanos;
    // Whether startNanos is set: a call ended before its clock started lasted no time.
    boolean timed;
    // The refusal of the last attempt taken; null once an attempt was admitted after it.
    @Nullable MeshFailure lastRefusal;
    // What cancel() must stop: the thread blocked in pause, or the last step resumeAfter scheduled.
    volatile @Nullable Object waiting;
    // The newest retry, for plans that have them.
    @Nullable Attempt retries;
  }

  abstract EngineContext ctx();

  final Extras extras() {
    Extras e = extras;
    if (e != null) {
      return e;
    }
    Extras fresh = new Extras();
    Extras won = (Extras) EXTRAS.compareAndExchange(this, (Extras) null, fresh);
    return won == null ? fresh : won;
  }

  final @Nullable Extras extrasOrNull() {
    return extras;
  }

  /** Makes {@code observer} hear this call, which started at {@code startNanos}. */
  final void observe(ClientCallObserver observer, long startNanos) {
    Extras e = extras();
    e.startNanos = startNanos;
    e.timed = true;
    e.observer = observer;
  }

  /** Makes {@code observer} hear this call, whose clock {@link #startClock starts} later. */
  final void observe(ClientCallObserver observer) {
    extras().observer = observer;
  }

  /** Observers time the call from {@code nowNanos}. */
  final void startClock(long nowNanos) {
    Extras e = extras;
    if (e != null && !e.timed) {
      e.startNanos = nowNanos;
      e.timed = true;
    }
  }

  private ClientCallObserver observer() {
    Extras e = extras;
    return e == null ? ClientCallObserver.NONE : e.observer;
  }

  final boolean isCancelled() {
    return (state & CANCELLED) != 0;
  }

  /** Sets {@code bit} of the state; true if this call set it, false if it was already set. */
  final boolean setOnce(int bit) {
    int s;
    do {
      s = state;
      if ((s & bit) != 0) {
        return false;
      }
    } while (!STATE.compareAndSet(this, s, s | bit));
    return true;
  }

  /** A refused attempt; listeners hear of it unless the application itself stopped the call. */
  final Attempt refuse(MeshFailure failure, int number) {
    extras().lastRefusal = failure;
    Events events = ctx().events();
    if (failure.reason() != MeshFailure.Reason.CANCELLED && events.enabled()) {
      events.callRefused(failure);
    }
    return new Refused(failure, number);
  }

  final Attempt refuseCancelled(int number) {
    return refuse(
        MeshFailure.of(
            MeshFailure.Reason.CANCELLED,
            destination(),
            subset(),
            "by the application before attempt " + number),
        number);
  }

  /** Tells observers an admitted attempt is going out; they may write its headers. */
  final Attempt started(Attempt attempt, HeaderSetter headers) {
    Extras e = extras;
    if (e != null) {
      e.lastRefusal = null;
      ClientCallObserver o = e.observer;
      if (o != ClientCallObserver.NONE) {
        o.attemptStarted(attempt, headers);
      }
    }
    return attempt;
  }

  /** Tells observers how a settled attempt ended. */
  final void ended(Attempt attempt, Outcome outcome) {
    ClientCallObserver o = observer();
    if (o != ClientCallObserver.NONE) {
      o.attemptEnded(attempt, outcome);
    }
  }

  @Override
  public final boolean pause(long nanos, BooleanSupplier cancelled) throws InterruptedException {
    if (isCancelled()) {
      return false;
    }
    if (nanos <= 0) {
      return true;
    }
    Thread self = Thread.currentThread();
    Wake wake = new Wake(self);
    Extras e = extras();
    e.waiting = self;
    Sleeper.Scheduled scheduled = ctx().sleeper().schedule(wake, nanos);
    try {
      while (!wake.fired) {
        if (isCancelled() || cancelled.getAsBoolean()) {
          scheduled.cancel();
          cancel();
          return false;
        }
        if (Thread.interrupted()) {
          scheduled.cancel();
          throw new InterruptedException("interrupted while the mesh waited " + nanos + " ns");
        }
        LockSupport.parkNanos(this, CANCEL_POLL_NANOS);
      }
      return !isCancelled();
    } finally {
      e.waiting = null;
    }
  }

  /** Wakes a paused thread when its wait is over. */
  private static final class Wake implements Runnable {
    private final Thread thread;
    volatile boolean fired;

    Wake(Thread thread) {
      this.thread = thread;
    }

    @Override
    public void run() {
      fired = true;
      LockSupport.unpark(thread);
    }
  }

  @Override
  public final void resumeAfter(long nanos, Runnable next) {
    if (isCancelled()) {
      return;
    }
    // Published before it is scheduled, so that a cancel() racing the schedule finds it, and a
    // resume that schedules the next one (a retry) leaves the newest one here.
    Resume resume = new Resume(next);
    extras().waiting = resume;
    resume.scheduled = ctx().sleeper().schedule(resume, Math.max(0, nanos));
  }

  /** A step waiting on the sleeper; it does nothing once the call is cancelled. */
  private final class Resume implements Runnable {
    private final Runnable next;
    volatile Sleeper.@Nullable Scheduled scheduled;

    Resume(Runnable next) {
      this.next = next;
    }

    @Override
    public void run() {
      if (!isCancelled()) {
        next.run();
      }
    }
  }

  @Override
  public final void cancel() {
    if (!setOnce(CANCELLED)) {
      return;
    }
    Extras e = extras;
    Object w = e == null ? null : e.waiting;
    if (w instanceof Resume resume) {
      Sleeper.Scheduled scheduled = resume.scheduled;
      if (scheduled != null) {
        // Only tidies the sleeper's queue: the resume itself sees the cancellation.
        scheduled.cancel();
      }
    } else if (w instanceof Thread thread) {
      LockSupport.unpark(thread);
    }
  }

  @Override
  public final void end(CallStatus status, long requestBytes, long responseBytes) {
    if (!setOnce(ENDED)) {
      return;
    }
    Extras e = extras;
    if (e != null && e.observer != ClientCallObserver.NONE) {
      long duration = e.timed ? ctx().ticker().nanos() - e.startNanos : 0;
      e.observer.callEnded(new CallEnd(status, duration, requestBytes, responseBytes, e.lastRefusal));
    }
  }

  /** An attempt the mesh refused: it holds nothing, and settling it records nothing. */
  static final class Refused implements Attempt {
    private final MeshFailure refusal;
    private final int number;

    Refused(MeshFailure refusal, int number) {
      this.refusal = refusal;
      this.number = number;
    }

    @Override
    public boolean admitted() {
      return false;
    }

    @Override
    public Endpoint endpoint() {
      throw new IllegalStateException("refused attempt has no endpoint: " + refusal);
    }

    @Override
    public @Nullable String subset() {
      return refusal.subset();
    }

    @Override
    public MeshFailure refusal() {
      return refusal;
    }

    @Override
    public int number() {
      return number;
    }

    @Override
    public long timeoutNanos() {
      return 0;
    }

    @Override
    public boolean timeoutIsCallDeadline() {
      return false;
    }

    @Override
    public RetryDecision settle(Outcome outcome) {
      return RetryDecision.stop(RetryDecision.Reason.REFUSED);
    }

    @Override
    public RetryDecision settleFinal(Outcome outcome) {
      return RetryDecision.stop(RetryDecision.Reason.REFUSED);
    }

    @Override
    public String toString() {
      return "Attempt#" + number + " refused: " + refusal.getMessage();
    }
  }
}
