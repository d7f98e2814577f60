package io.mesh4j.controller;

import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A stand-in for an application's engine: remembers every set it applied and every rejection,
 * and refuses a set when {@link #refuseWhen} says so. Thread-safe.
 */
final class RecordingApplication implements ConfigSource.Listener {

  final List<PolicySet> applied = new CopyOnWriteArrayList<>();
  final List<List<Problem>> rejected = new CopyOnWriteArrayList<>();
  private volatile Function<PolicySet, @Nullable Problem> refuseWhen = p -> null;

  /** From now on, refuse a set when {@code rule} returns a reason for it. */
  void refuseWhen(Function<PolicySet, @Nullable String> rule) {
    this.refuseWhen =
        p -> {
          String reason = rule.apply(p);
          return reason == null ? null : new Problem("policy version " + p.version(), "", reason, null);
        };
  }

  /** From now on, refuse a set with the problem {@code rule} returns for it, as an engine would. */
  void refuseWithProblem(Function<PolicySet, @Nullable Problem> rule) {
    this.refuseWhen = rule;
  }

  @Override
  public ApplyResult onUpdate(PolicySet policies) {
    Problem problem = refuseWhen.apply(policies);
    if (problem != null) {
      return ApplyResult.refused(List.of(problem));
    }
    applied.add(policies);
    return ApplyResult.accepted();
  }

  @Override
  public void onRejected(List<Problem> problems) {
    rejected.add(List.copyOf(problems));
  }

  PolicySet current() {
    return applied.get(applied.size() - 1);
  }
}
