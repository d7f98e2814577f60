package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * Health of the mesh: UP once a policy version has been applied, DOWN before. Until the first
 * version arrives every destination is unknown, so calls through the mesh cannot succeed yet.
 */
public class MeshHealthIndicator extends AbstractHealthIndicator {

  private final Mesh mesh;

  /** An indicator for {@code mesh}. */
  public MeshHealthIndicator(Mesh mesh) {
    super("mesh4j health check failed");
    this.mesh = mesh;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    long version = mesh.appliedVersion();
    (version > 0 ? builder.up() : builder.down()).withDetail("appliedVersion", version);
  }
}
