package io.mesh4j.grpc.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.MeshListener;
import io.mesh4j.core.MeshRandom;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.policy.TestPolicySets;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.testing.ManualConfigSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real {@link Mesh} on the system clock, fed by a manual source, recording the events gRPC tests
 * check: ejections and breaker transitions. Chance is real except for backoff jitter, which always
 * takes the longest wait, so that a test knows how long a retry waits at least.
 */
public final class TestMesh implements AutoCloseable {

  /** The destination every test calls. */
  public static final String CATALOG = "catalog.shop";

  private final ManualConfigSource source = new ManualConfigSource();
  private final Recorder recorder = new Recorder();
  private final Mesh mesh =
      Mesh.builder()
          .configSource(source)
          .listener(recorder)
          .random(
              (purpose, bound) ->
                  purpose == MeshRandom.Purpose.JITTER
                      ? bound - 1
                      : MeshRandom.threadLocal().nextLong(purpose, bound))
          .build();
  private long version;

  public Mesh mesh() {
    return mesh;
  }

  /** Applies the resources as the next policy version; fails the test if refused. */
  public TestMesh apply(MeshResource... resources) {
    ApplyResult result = source.push(TestPolicySets.of(++version, resources));
    assertThat(result.problems()).isEmpty();
    return this;
  }

  /** Endpoint addresses ({@code 127.0.0.1:port}) ejected so far, in order. */
  public List<String> ejected() {
    return recorder.ejected;
  }

  /** Breaker transitions so far, as {@code FROM->TO}. */
  public List<String> breakerTransitions() {
    return recorder.breaker;
  }

  /** The endpoint of {@code backend}, labelled {@code version: <version>}. */
  public static ServiceEndpoints.Endpoint endpoint(Backend backend, String version) {
    return new ServiceEndpoints.Endpoint(
        "127.0.0.1", backend.port(), Map.of("version", version), null, 1, null);
  }

  /** How the engine names {@code backend}'s endpoint in events. */
  public static String authority(Backend backend) {
    return "127.0.0.1:" + backend.port();
  }

  @Override
  public void close() {
    mesh.close();
  }

  private static final class Recorder extends MeshListener {
    final List<String> ejected = new CopyOnWriteArrayList<>();
    final List<String> breaker = new CopyOnWriteArrayList<>();

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
