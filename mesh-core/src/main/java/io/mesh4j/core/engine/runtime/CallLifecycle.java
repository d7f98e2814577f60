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
  private static final int CANCELLED = 1;
  private static final int ENDED = 2;
  /** How often a blocked pause looks at the application's own cancellation flag. */
  private static final long CANCEL_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(CallLifecycle.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final EngineContext ctx;
  final long startNanos;
  /** NONE for calls nobody observes; then no observer work is done at all. */
  ClientCallObserver observer = ClientCallObserver.NONE;
  // The refusal of the last attempt taken; null once an attempt was admitted after it.
  private @Nullable MeshFailure lastRefusal;
  private volatile int state;
  // What cancel() must stop: the thread blocked in pause, or the last step resumeAfter scheduled.
  private volatile @Nullable Object waiting;

  CallLifecycle(EngineContext ctx, long startNanos) {
    this.ctx = ctx;
    this.startNanos = startNanos;
  }

  final boolean isCancelled() {
    return (state & CANCELLED) != 0;
  }

  /** A refused attempt; listeners hear of it unless the application itself stopped the call. */
  final Attempt refuse(MeshFailure failure, int number) {
    lastRefusal = failure;
    Events events = ctx.events();
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
    lastRefusal = null;
    ClientCallObserver o = observer;
    if (o != ClientCallObserver.NONE) {
      o.attemptStarted(attempt, headers);
    }
    return attempt;
  }

  /** Tells observers how a settled attempt ended. */
  final void ended(Attempt attempt, Outcome outcome) {
    ClientCallObserver o = observer;
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
    waiting = self;
    Sleeper.Scheduled scheduled = ctx.sleeper().schedule(wake, nanos);
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
      waiting = null;
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
    waiting = resume;
    resume.scheduled = ctx.sleeper().schedule(resume, Math.max(0, nanos));
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
    int s;
    do {
      s = state;
      if ((s & CANCELLED) != 0) {
        return;
      }
    } while (!STATE.compareAndSet(this, s, s | CANCELLED));
    Object w = waiting;
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
    int s;
    do {
      s = state;
      if ((s & ENDED) != 0) {
        return;
      }
    } while (!STATE.compareAndSet(this, s, s | ENDED));
    ClientCallObserver o = observer;
    if (o != ClientCallObserver.NONE) {
      long duration = ctx.ticker().nanos() - startNanos;
      o.callEnded(new CallEnd(status, duration, requestBytes, responseBytes, lastRefusal));
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
