package io.mesh4j.core.policy;

import java.util.List;

/**
 * What {@link PolicyReader} read: every resource that bound cleanly, and every problem found in
 * the rest. A resource with a problem is left out of {@link #resources()}; its neighbours are not.
 *
 * <p>Immutable.
 *
 * @param resources the resources read, in input order (files by name, then documents)
 * @param problems every problem found, in input order; empty when the input was clean
 */
public record ReadResult(List<MeshResource> resources, List<Problem> problems) {

  public ReadResult {
    resources = List.copyOf(resources);
    problems = List.copyOf(problems);
  }

  /** True when nothing was wrong. */
  public boolean isClean() {
    return problems.isEmpty();
  }
}
