package io.mesh4j.core.source;

import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Remembers every delivery and rejection; accepts every update. Thread-safe. */
public final class RecordingListener implements ConfigSource.Listener {

  public final List<PolicySet> updates = new CopyOnWriteArrayList<>();
  public final List<List<Problem>> rejections = new CopyOnWriteArrayList<>();

  @Override
  public ApplyResult onUpdate(PolicySet policies) {
    updates.add(policies);
    return ApplyResult.accepted();
  }

  @Override
  public void onRejected(List<Problem> problems) {
    rejections.add(List.copyOf(problems));
  }

  public PolicySet last() {
    return updates.get(updates.size() - 1);
  }

  public List<String> lastRejection() {
    return rejections.get(rejections.size() - 1).stream().map(Problem::message).toList();
  }
}
