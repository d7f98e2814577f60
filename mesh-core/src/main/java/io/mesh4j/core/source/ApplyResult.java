package io.mesh4j.core.source;

import io.mesh4j.core.policy.Problem;
import java.util.List;

/**
 * Whether a delivered policy set was applied: an ACK, or a NACK with every reason.
 *
 * @param applied true if the set is now in effect
 * @param problems why it was refused; empty when applied
 */
public record ApplyResult(boolean applied, List<Problem> problems) {

  private static final ApplyResult ACCEPTED = new ApplyResult(true, List.of());

  public ApplyResult {
    problems = List.copyOf(problems);
  }

  /** The set is in effect. */
  public static ApplyResult accepted() {
    return ACCEPTED;
  }

  /** The set was refused; the previous one stays in effect. */
  public static ApplyResult refused(List<Problem> problems) {
    return new ApplyResult(false, problems);
  }
}
