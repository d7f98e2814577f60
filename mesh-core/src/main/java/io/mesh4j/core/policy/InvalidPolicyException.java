package io.mesh4j.core.policy;

import java.util.List;

/**
 * Thrown by the convenience factories {@link PolicySet#parse} and {@link PolicySet#of} when the
 * input has problems; the message lists every one of them. Code that must not throw (config
 * sources) uses {@link PolicyResult#parse} and friends, which return problems as values.
 */
public final class InvalidPolicyException extends IllegalArgumentException {

  private final List<Problem> problems;

  /** @param problems every problem found; must not be empty */
  public InvalidPolicyException(List<Problem> problems) {
    super(render(problems));
    this.problems = List.copyOf(problems);
  }

  /** Every problem, in the order found. */
  public List<Problem> problems() {
    return problems;
  }

  private static String render(List<Problem> problems) {
    StringBuilder sb = new StringBuilder("invalid mesh4j policy (");
    sb.append(problems.size()).append(problems.size() == 1 ? " problem):" : " problems):");
    for (Problem p : problems) {
      sb.append("\n  - ").append(p.message());
    }
    return sb.toString();
  }
}
