package io.mesh4j.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.base.Sleeper;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.StaticConfigSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real {@link Mesh} on the system clock whose policy an adapter's loopback test writes as YAML,
 * recording ejections, breaker transitions and scheduled retries. Chance is real except for
 * backoff jitter, which always takes the longest wait, so that a test knows how long a retry
 * waits. Its waits (fault delays, backoffs) run on the system's sleeper and are counted while in
 * progress, so that a test can act while a call waits.
 */
public final class TestMesh implements AutoCloseable {

  /** The destination every test calls. */
  public static final String CATALOG = "catalog.shop";

  /** A route that sends every call to all of {@code catalog.shop}'s endpoints. */
  public static final String ROUTE_ALL =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: catalog, namespace: shop}
      spec:
        destination: catalog.shop
        rules:
          - backends: [{}]
      """;

  /**
   * {@link #ROUTE_ALL} with {@code settings} of its one rule (one YAML line, such as {@code
   * "timeout: 200ms"}), or as it is when empty.
   */
  public static String route(String settings) {
    return ROUTE_ALL + (settings.isEmpty() ? "" : "      " + settings + "\n");
  }

  private final StaticConfigSource source = StaticConfigSource.empty();
  private final Recorder recorder = new Recorder();
  private final AtomicInteger waiting = new AtomicInteger();
  private final Mesh mesh =
      Mesh.builder()
          .configSource(source)
          .listener(recorder)
          .sleeper(this::schedule)
          .random(
              (purpose, bound) ->
                  purpose == MeshRandom.Purpose.JITTER
                      ? bound - 1
                      : MeshRandom.threadLocal().nextLong(purpose, bound))
          .build();

  public Mesh mesh() {
    return mesh;
  }

  /** Applies the policy {@code yaml} describes; fails the test if it is refused. */
  public TestMesh apply(String yaml) {
    ApplyResult result = source.push(yaml);
    assertThat(result.problems()).isEmpty();
    return this;
  }

  /**
   * A {@code ServiceEndpoints} document for {@value #CATALOG}: pairs of a port on 127.0.0.1 and
   * the value of its {@code version} label.
   */
  public static String endpoints(Object... portsAndVersions) {
    StringBuilder yaml =
        new StringBuilder(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: ServiceEndpoints
            metadata: {name: catalog, namespace: shop}
            spec:
              service: catalog.shop
              endpoints:
            """);
    for (int i = 0; i < portsAndVersions.length; i += 2) {
      yaml.append(
          "    - {address: 127.0.0.1, port: %d, labels: {version: %s}}\n"
              .formatted((Integer) portsAndVersions[i], portsAndVersions[i + 1]));
    }
    return yaml.append("---\n").toString();
  }

  /** How the engine names the endpoint on 127.0.0.1:{@code port} in events. */
  public static String authority(int port) {
    return "127.0.0.1:" + port;
  }

  /** Waits (fault delays, retry backoffs) scheduled and neither over nor cancelled yet. */
  public int waiting() {
    return waiting.get();
  }

  /** The system's sleeper, counting the waits in progress. */
  private Sleeper.Scheduled schedule(Runnable task, long delayNanos) {
    AtomicBoolean over = new AtomicBoolean();
    waiting.incrementAndGet();
    Sleeper.Scheduled scheduled =
        Sleeper.system()
            .schedule(
                () -> {
                  if (over.compareAndSet(false, true)) {
                    waiting.decrementAndGet();
                  }
                  task.run();
                },
                delayNanos);
    return () -> {
      if (over.compareAndSet(false, true)) {
        waiting.decrementAndGet();
      }
      scheduled.cancel();
    };
  }

  /** Endpoint addresses ({@code 127.0.0.1:port}) ejected so far, in order. */
  public List<String> ejected() {
    return recorder.ejected;
  }

  /** Retries the engine scheduled so far, as {@code destination#attempt}. */
  public List<String> retriesScheduled() {
    return recorder.retries;
  }

  /** Breaker transitions so far, as {@code FROM->TO}. */
  public List<String> breakerTransitions() {
    return recorder.breaker;
  }

  @Override
  public void close() {
    mesh.close();
  }

  private static final class Recorder extends MeshListener {
    final List<String> ejected = new CopyOnWriteArrayList<>();
    final List<String> breaker = new CopyOnWriteArrayList<>();
    final List<String> retries = new CopyOnWriteArrayList<>();

    @Override
    public void retryScheduled(
        String destination, int nextAttempt, long backoffNanos, Outcome outcome) {
      retries.add(destination + "#" + nextAttempt);
    }

    @Override
    public void endpointEjected(
        String destination, Endpoint endpoint, long durationNanos, String reason) {
      ejected.add(endpoint.authority());
    }

    @Override
    public void breakerStateChanged(
        String destination, String subset, BreakerState from, BreakerState to) {
      breaker.add(from + "->" + to);
    }
  }
}
