package io.mesh4j.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.TestPolicySets;
import io.mesh4j.core.source.ApplyResult;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A mesh on a fake ticker and scripted randomness, fed by a manual source, with a recording
 * listener. Each test makes its own.
 */
public final class MeshHarness implements AutoCloseable {

  public final FakeTicker ticker = new FakeTicker();
  /** Waits (fault delays, backoffs) pass at once, moving the ticker. */
  public final FakeSleeper sleeper = FakeSleeper.automatic(ticker);
  public final ScriptedRandom random;
  public final ManualConfigSource source = new ManualConfigSource();
  public final RecordingListener events = new RecordingListener();
  public final Mesh mesh;
  private long version;

  public MeshHarness() {
    this(new ScriptedRandom(), null);
  }

  public MeshHarness(ScriptedRandom random, String localZone) {
    this(random, localZone, ticker -> null);
  }

  /**
   * A harness with one more listener after the recording one, made from the harness's own ticker
   * so that a listener that measures time agrees with the mesh.
   */
  public MeshHarness(Function<FakeTicker, MeshListener> listener) {
    this(new ScriptedRandom(), null, listener);
  }

  public MeshHarness(
      ScriptedRandom random, String localZone, Function<FakeTicker, MeshListener> listener) {
    this.random = random;
    Mesh.Builder b =
        Mesh.builder()
            .configSource(source)
            .ticker(ticker)
            .sleeper(sleeper)
            .random(random)
            .listener(events);
    MeshListener extra = listener.apply(ticker);
    if (extra != null) {
      b.listener(extra);
    }
    if (localZone != null) {
      b.localZone(localZone);
    }
    this.mesh = b.build();
  }

  /**
   * Validates the resources as the policy reader does, applies them as the next version and
   * asserts that they were accepted.
   */
  public MeshHarness apply(MeshResource... resources) {
    ApplyResult r = source.push(PolicySet.of(resources).withVersion(++version));
    assertThat(r.problems()).isEmpty();
    assertThat(r.applied()).isTrue();
    return this;
  }

  /** Applies the resources as the next version and returns the answer. */
  public ApplyResult tryApply(MeshResource... resources) {
    return source.push(TestPolicySets.of(++version, resources));
  }

  public CallPlan plan(OutboundCall call) {
    return mesh.outbound().plan(call);
  }

  public Attempt attempt(OutboundCall call) {
    return plan(call).nextAttempt();
  }

  @Override
  public void close() {
    mesh.close();
  }

  /** Records every event as a line of text. */
  public static final class RecordingListener extends MeshListener {
    public final List<String> lines = new ArrayList<>();

    @Override
    public synchronized void snapshotApplied(long version) {
      lines.add("applied " + version);
    }

    @Override
    public synchronized void snapshotRefused(long version, List<io.mesh4j.core.policy.Problem> p) {
      lines.add("refused " + version + " " + p);
    }

    @Override
    public synchronized void stateReset(String key) {
      lines.add("reset " + key);
    }

    @Override
    public synchronized void breakerStateChanged(
        String destination, String subset, BreakerState from, BreakerState to) {
      lines.add("breaker " + destination + "/" + subset + " " + from + "->" + to);
    }

    @Override
    public synchronized void endpointEjected(
        String destination, io.mesh4j.core.call.Endpoint endpoint, long nanos, String reason) {
      lines.add("ejected " + endpoint.authority() + " for " + nanos / 1_000_000 + "ms: " + reason);
    }

    @Override
    public synchronized void endpointReturned(
        String destination, io.mesh4j.core.call.Endpoint endpoint) {
      lines.add("returned " + endpoint.authority());
    }

    @Override
    public synchronized void retryScheduled(
        String destination, int nextAttempt, long backoffNanos, io.mesh4j.core.call.Outcome o) {
      lines.add("retry " + destination + " attempt " + nextAttempt);
    }

    @Override
    public synchronized void hedgeSent(String destination, int attempt) {
      lines.add("hedge " + destination + " attempt " + attempt);
    }

    @Override
    public synchronized void callRefused(io.mesh4j.core.call.MeshFailure failure) {
      lines.add("refused call: " + failure.getMessage());
    }

    public synchronized List<String> snapshot() {
      return List.copyOf(lines);
    }
  }
}
