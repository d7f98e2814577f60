package io.mesh4j.core.policy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Mesh-wide settings: identity, mTLS mode, certificate lifetime, tracing, access logs, the default
 * deadline of unary calls and the bound on regex matching.
 */
public record MeshConfig(
    @Field(doc = "Name and namespace of the settings.", required = true) Metadata metadata,
    @Field(doc = "The settings.", defaultValue = "{}") Spec spec)
    implements MeshResource {

  /** Mutual TLS modes. */
  public enum MtlsMode {
    /** Only mTLS; plaintext and certificate-less callers are refused. */
    STRICT,
    /** mTLS and plaintext both accepted; plaintext callers are anonymous. */
    PERMISSIVE,
    /** Plaintext only. */
    DISABLED
  }

  /** The settings. */
  public record Spec(
      @Field(doc = "Trust domain of SPIFFE identities.", defaultValue = "cluster.local")
          String trustDomain,
      @Field(doc = "`STRICT`, `PERMISSIVE` or `DISABLED`.", defaultValue = "PERMISSIVE")
          MtlsMode mtls,
      @Field(doc = "Lifetime of workload certificates.", defaultValue = "24h")
          Duration certificateLifetime,
      @Field(doc = "Distributed tracing.", defaultValue = "{}") Tracing tracing,
      @Field(doc = "Access logs.", defaultValue = "{}") AccessLog accessLog,
      @Field(
              doc = "Deadline of a unary call when neither the caller nor its route rule sets one"
                  + " (HTTP calls through OkHttp are unary); streaming gRPC calls get none unless"
                  + " their rule sets a timeout. A call it cuts off fails with DEADLINE_EXCEEDED"
                  + " (gRPC) or 504 (HTTP).",
              defaultValue = "15s")
          Duration defaultUnaryTimeout,
      @Field(
              doc = "Longest header value or path, in bytes (characters; values are ASCII on the"
                  + " wire), that a route's `regex` match is tested against; a longer value never"
                  + " matches a regex. Exact and prefix matches are unaffected.",
              defaultValue = "8192",
              min = 0,
              max = 1048576)
          Integer maxRegexInputBytes) {}

  /** The settings in force when a set has no {@link MeshConfig}: every field at its default. */
  public static Spec defaults() {
    return Defaults.SPEC;
  }

  private static final class Defaults {
    static final Spec SPEC = bindDefaults();

    // Bound like a document without a spec, so the defaults are the fields' own.
    private static Spec bindDefaults() {
      List<Problem> problems = new ArrayList<>();
      MeshConfig config =
          new Binder("MeshConfig mesh", "", problems)
              .bindResource(
                  Map.of(
                      "metadata", Map.of("name", YamlTree.Scalar.string("mesh")), "spec", Map.of()),
                  MeshConfig.class);
      if (config == null || !problems.isEmpty()) {
        throw new IllegalStateException("MeshConfig defaults do not bind: " + problems);
      }
      return config.spec();
    }
  }


  /** Trace sampling. */
  public record Tracing(
      @Field(doc = "Share (%) of new traces sampled; callers' sampling decisions are kept.",
              defaultValue = "1", min = 0, max = 100)
          Double samplingPercent) {}

  /** Access log lines. */
  public record AccessLog(
      @Field(doc = "Write one JSON line per call.", defaultValue = "false") Boolean enabled,
      @Field(doc = "Share (%) of calls logged.", defaultValue = "100", min = 0, max = 100)
          Double samplingPercent) {}
}
