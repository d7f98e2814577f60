package io.mesh4j.core.telemetry;

import io.mesh4j.core.policy.MeshConfig;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What a listener may read from the mesh it is registered with, given to {@link
 * MeshListener#attach}: the live settings (sampling, access log) and the identity in force.
 */
public interface MeshView {

  /** The settings of the policy in effect; defaults before the first policy. */
  MeshConfig.Spec settings();

  /** When the workload certificate in force expires, or null when there is none. */
  @Nullable Instant certificateNotAfter();
}
