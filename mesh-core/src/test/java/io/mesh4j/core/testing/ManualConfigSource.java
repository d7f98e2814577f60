package io.mesh4j.core.testing;

import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import java.util.List;

/** A {@link ConfigSource} that delivers what the test pushes, on the test's thread. */
public final class ManualConfigSource implements ConfigSource {

  private Listener listener;
  private boolean closed;

  @Override
  public void start(Listener listener) {
    this.listener = listener;
  }

  /** Delivers {@code set} and returns the mesh's answer. */
  public ApplyResult push(PolicySet set) {
    if (listener == null || closed) {
      throw new IllegalStateException("not started or closed");
    }
    return listener.onUpdate(set);
  }

  public void reject(List<Problem> problems) {
    listener.onRejected(problems);
  }

  @Override
  public String describe() {
    return "manual";
  }

  @Override
  public void close() {
    closed = true;
  }

  public boolean closed() {
    return closed;
  }
}
