package io.mesh4j.core.engine;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in the order they were handed over, on the thread that hands over a
 * task while no other thread is running one; it owns no thread, like grpc-java's {@code
 * SynchronizationContext}. Used for endpoint notifications, so that a watcher sees lists in the
 * order snapshots were published without the mesh holding a lock while it calls out.
 *
 * <p>Thread-safe and lock-free. A task that throws is logged and the next one runs.
 */
public final class SerialQueue {

  private static final Logger log = LoggerFactory.getLogger(SerialQueue.class);

  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();

  /** Runs {@code task} now, or after the tasks handed over before it if one is running. */
  public void execute(Runnable task) {
    tasks.add(task);
    if (pending.getAndIncrement() != 0) {
      // Another thread is draining and will run it.
      return;
    }
    do {
      Runnable next = tasks.poll();
      try {
        if (next != null) {
          next.run();
        }
      } catch (RuntimeException | LinkageError e) {
        log.warn("mesh4j: a notification task threw; the next one runs", e);
      }
    } while (pending.decrementAndGet() != 0);
  }
}
