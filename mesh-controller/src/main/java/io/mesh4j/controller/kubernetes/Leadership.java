package io.mesh4j.controller.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which replica writes status: fabric8's {@code LeaderElector} on a Lease. Every replica serves
 * streams whatever the outcome; losing the lease only stops status writes, it never stops the
 * process. The lease is released on {@link #close}, so a replica that shuts down hands over at
 * once rather than after the lease expires.
 *
 * <p>Thread-safe: {@link #isLeader} may be read from any thread.
 */
public final class Leadership implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Leadership.class);

  private final AtomicBoolean leader = new AtomicBoolean();
  private @Nullable CompletableFuture<?> election;

  /** Whether this replica holds the lease now. */
  public boolean isLeader() {
    return leader.get();
  }

  /**
   * Starts competing for the Lease {@code namespace/name} as {@code identity}.
   *
   * @param onLeading called (on the elector's thread) each time this replica becomes the leader
   */
  public synchronized void start(
      KubernetesClient client, String namespace, String name, String identity, Duration leaseDuration, Runnable onLeading) {
    Duration renew = leaseDuration.multipliedBy(2).dividedBy(3);
    Duration retry = leaseDuration.dividedBy(5);
    election =
        client
            .leaderElector()
            .withConfig(
                new LeaderElectionConfigBuilder()
                    .withName(name)
                    .withLock(new LeaseLock(namespace, name, identity))
                    .withLeaseDuration(leaseDuration)
                    .withRenewDeadline(renew)
                    .withRetryPeriod(retry)
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(
                        new LeaderCallbacks(
                            () -> {
                              leader.set(true);
                              log.info("{} leads {}/{}: writing status", identity, namespace, name);
                              onLeading.run();
                            },
                            () -> {
                              leader.set(false);
                              log.info("{} no longer leads {}/{}: status writes stop, streams go on", identity, namespace, name);
                            },
                            newLeader -> log.info("Leader of {}/{} is {}", namespace, name, newLeader)))
                    .build())
            .build()
            .start();
  }

  /** Gives up the lease. */
  @Override
  public synchronized void close() {
    CompletableFuture<?> e = election;
    if (e != null) {
      e.cancel(true);
    }
    leader.set(false);
  }
}
