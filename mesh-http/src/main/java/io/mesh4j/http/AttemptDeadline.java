package io.mesh4j.http;

import io.mesh4j.core.base.Sleeper;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A blocking attempt's per-try timeout, for clients that take no per-request timeout (Spring's
 * {@code ClientHttpRequestExecution}): when it passes, the thread sending the attempt is
 * interrupted, which aborts the exchange of the request factories that block interruptibly (Java's
 * HttpClient, Reactor Netty). {@code HttpURLConnection} answers no interrupt: the mesh's {@link
 * MeshSimpleRequestFactory} reads the attempt's timeout ({@link #current()}) when it opens the
 * connection instead. It is timed in real time on the mesh's shared timer thread, as the other
 * transports time theirs; a finished attempt takes its timer off the queue.
 */
@SuppressWarnings("serial") // never serialized: the state of one attempt
final class AttemptDeadline extends AtomicInteger implements Runnable {

  private static final int RUNNING = 0;
  private static final int FIRING = 1;
  private static final int FIRED = 2;
  private static final int FINISHED = 3;

  private static final ThreadLocal<@Nullable AttemptDeadline> CURRENT = new ThreadLocal<>();

  private final Thread thread;
  private final long timeoutNanos;
  private Sleeper.@Nullable Scheduled timer;

  private AttemptDeadline(Thread thread, long timeoutNanos) {
    this.thread = thread;
    this.timeoutNanos = timeoutNanos;
  }

  /** The deadline of the attempt the calling thread is sending, or null. */
  static @Nullable AttemptDeadline current() {
    return CURRENT.get();
  }

  /** The attempt's per-try timeout. */
  long timeoutNanos() {
    return timeoutNanos;
  }

  /** Watches the calling thread's attempt; null when {@code timeoutNanos} bounds nothing. */
  static @Nullable AttemptDeadline start(long timeoutNanos) {
    if (timeoutNanos == Long.MAX_VALUE) {
      return null;
    }
    AttemptDeadline d = new AttemptDeadline(Thread.currentThread(), Math.max(1, timeoutNanos));
    CURRENT.set(d);
    d.timer = Sleeper.system().schedule(d, d.timeoutNanos);
    return d;
  }

  @Override
  public void run() {
    if (compareAndSet(RUNNING, FIRING)) {
      thread.interrupt();
      set(FIRED);
    }
  }

  /**
   * Ends the watch, on the attempt's thread; returns whether the timeout passed first. Then its
   * interrupt is taken back, so that only the application's own interrupts remain.
   */
  boolean finish() {
    CURRENT.remove();
    if (compareAndSet(RUNNING, FINISHED)) {
      Sleeper.Scheduled t = timer;
      if (t != null) {
        t.cancel();
      }
      return false;
    }
    while (get() == FIRING) {
      Thread.onSpinWait();
    }
    Thread.interrupted();
    return true;
  }
}
