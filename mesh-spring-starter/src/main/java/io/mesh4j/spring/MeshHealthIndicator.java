package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.policy.MeshConfig;
import java.time.Clock;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of the mesh. DOWN until a policy version has been applied (every destination is unknown
 * until then, so calls through the mesh cannot succeed), DOWN when the workload certificate has
 * expired, and DOWN when the mesh demands mTLS ({@code STRICT}) but no certificate has been
 * issued; UP otherwise. The details say which, with the version, the policy source and the
 * certificate's identity and expiry.
 */
public class MeshHealthIndicator extends AbstractHealthIndicator {

  private final Mesh mesh;
  private final String source;
  private final Clock clock;

  /** An indicator for {@code mesh}. */
  public MeshHealthIndicator(Mesh mesh) {
    this(mesh, "", Clock.systemUTC());
  }

  /**
   * An indicator for {@code mesh} whose policy comes from {@code source} (named in the details;
   * empty when unknown), judging certificate expiry by {@code clock}.
   */
  public MeshHealthIndicator(Mesh mesh, String source, Clock clock) {
    super("mesh4j health check failed");
    this.mesh = mesh;
    this.source = source;
    this.clock = clock;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    long version = mesh.appliedVersion();
    builder.up().withDetail("appliedVersion", version);
    if (!source.isEmpty()) {
      builder.withDetail("source", source);
    }
    @Nullable IdentityMaterial identity = mesh.identity().current();
    Instant now = clock.instant();
    if (identity != null) {
      builder.withDetail("identity", identity.spiffeId());
      builder.withDetail("certificateNotAfter", identity.notAfter().toString());
    }
    if (version == 0) {
      builder
          .down()
          .withDetail(
              "reason",
              "no policy received yet"
                  + (source.isEmpty() ? "" : " from " + source)
                  + "; every destination is unknown until the first version is applied");
    } else if (identity != null && !now.isBefore(identity.notAfter())) {
      builder
          .down()
          .withDetail(
              "reason",
              "the workload certificate of "
                  + identity.spiffeId()
                  + " expired at "
                  + identity.notAfter()
                  + "; peers refuse it until a new one is issued");
    } else if (identity == null && mesh.settings().mtls() == MeshConfig.MtlsMode.STRICT) {
      builder
          .down()
          .withDetail(
              "reason",
              "the mesh requires mTLS (STRICT) but no workload certificate has been issued yet");
    }
  }
}
