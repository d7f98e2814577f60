package io.mesh4j.core.policy;

import java.util.List;

/**
 * Makes {@link PolicySet}s from records a test wrote out in full, without the validator, so that
 * engine tests can reach the engine's own refusals (which guard against sets the validator would
 * also refuse) and choose versions freely. Nothing here knows a default.
 */
public final class TestPolicySets {

  private TestPolicySets() {}

  public static PolicySet of(long version, MeshResource... resources) {
    return new PolicySet(version, List.of(resources));
  }

  public static PolicySet of(long version, List<? extends MeshResource> resources) {
    return new PolicySet(version, List.copyOf(resources));
  }
}
