package io.mesh4j.grpc;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The one timer thread of the gRPC adapter: it starts attempts after a retry backoff or an
 * injected delay. Tasks only plan and start calls, never block, so one daemon thread serves every
 * channel; it is created on first use and lives as long as the class loader.
 */
final class MeshTimer {

  private MeshTimer() {}

  /** The shared scheduler. Thread-safe. */
  static ScheduledExecutorService get() {
    return Holder.INSTANCE;
  }

  private static final class Holder {
    static final ScheduledExecutorService INSTANCE = create();

    private static ScheduledExecutorService create() {
      ScheduledThreadPoolExecutor executor =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "mesh4j-grpc-timer");
                t.setDaemon(true);
                return t;
              });
      // Cancelled backoffs (calls cancelled while waiting) must not pile up in the queue.
      executor.setRemoveOnCancelPolicy(true);
      return executor;
    }
  }
}
