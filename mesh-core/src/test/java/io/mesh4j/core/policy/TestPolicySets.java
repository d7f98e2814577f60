package io.mesh4j.core.policy;

import java.util.List;

/**
 * Makes {@link PolicySet}s from records a test wrote out in full. Tests give every field its
 * value explicitly, so nothing here knows a default.
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
