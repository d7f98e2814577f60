package io.mesh4j.benchmarks.load;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The mesh4j rows' policies, one feature at a time or all together, for one destination {@code
 * <name>.bench} with one endpoint.
 */
public final class MeshPolicies {

  /** A client feature a mesh4j row switches on. */
  public enum Feature {
    /**
     * A two-rule route: a header rule that does not match, then a 90/10 weighted split between two
     * subsets that hold the same endpoint, so the split runs without changing where calls go.
     */
    ROUTING,
    /** A 5 s route timeout and retries: 3 attempts, 2 s per try, on unavailable, connect failure and per-try timeout. */
    RETRIES,
    /** A count-window circuit breaker (50 %, window 100). */
    BREAKER,
    /** Least-request (P2C) balancing, outlier detection and a retry budget. */
    BALANCING
  }

  private MeshPolicies() {}

  /** The mesh-wide settings document that makes the mesh sample {@code percent} of new traces. */
  public static String tracingConfig(int percent) {
    return String.format(Locale.ROOT, """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh}
        spec:
          tracing: {samplingPercent: %d}
        """, percent);
  }

  /**
   * The YAML for {@code name.bench} on 127.0.0.1:{@code port} with {@code features}; no feature
   * gives just the endpoint.
   *
   * @param retryOn the retry conditions, in the protocol's words ({@code UNAVAILABLE} for gRPC,
   *     {@code 5xx} for HTTP)
   */
  public static String yaml(String name, int port, Set<Feature> features, String retryOn) {
    EnumSet<Feature> f = features.isEmpty() ? EnumSet.noneOf(Feature.class) : EnumSet.copyOf(features);
    StringBuilder yaml = new StringBuilder();
    if (f.contains(Feature.ROUTING) || f.contains(Feature.RETRIES)) {
      yaml.append(String.format(Locale.ROOT, """
          apiVersion: mesh4j.io/v1alpha1
          kind: TrafficRoute
          metadata: {name: %1$s, namespace: bench}
          spec:
            destination: %1$s
          """, name));
      if (f.contains(Feature.ROUTING)) {
        yaml.append("""
              subsets:
                - {name: stable, labels: {track: stable}}
                - {name: v1, labels: {version: v1}}
            """);
      }
      yaml.append("  rules:\n");
      if (f.contains(Feature.ROUTING)) {
        yaml.append("""
                - name: canary-header
                  matches: [{headers: [{name: x-canary, exact: "true"}]}]
                  backends: [{subset: v1}]
            """);
      }
      yaml.append("    - name: default\n");
      if (f.contains(Feature.RETRIES)) {
        yaml.append(String.format(Locale.ROOT, """
                  timeout: 5s
                  retries: {attempts: 3, perTryTimeout: 2s, retryOn: [%s, connect-failure, per-try-timeout]}
            """, retryOn));
      }
      if (f.contains(Feature.ROUTING)) {
        yaml.append("      backends: [{subset: stable, weight: 90}, {subset: v1, weight: 10}]\n");
      } else {
        yaml.append("      backends: [{}]\n");
      }
      yaml.append("---\n");
    }
    if (f.contains(Feature.BREAKER) || f.contains(Feature.BALANCING)) {
      yaml.append(String.format(Locale.ROOT, """
          apiVersion: mesh4j.io/v1alpha1
          kind: DestinationPolicy
          metadata: {name: %1$s, namespace: bench}
          spec:
            destination: %1$s
          """, name));
      if (f.contains(Feature.BALANCING)) {
        yaml.append("""
              loadBalancer: {policy: LEAST_REQUEST}
              outlierDetection: {consecutiveFailures: 5, baseEjectionTime: 10s, maxEjectionPercent: 50}
              retryBudget: {retryPercent: 20, minRetriesPerSecond: 10}
            """);
      }
      if (f.contains(Feature.BREAKER)) {
        yaml.append("""
              circuitBreaker: {failureRateThreshold: 50, minimumCalls: 20, slidingWindowSize: 100, waitInOpenState: 5s}
            """);
      }
      yaml.append("---\n");
    }
    yaml.append(String.format(Locale.ROOT, """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: %1$s, namespace: bench}
        spec:
          service: %1$s
          endpoints:
            - {address: 127.0.0.1, port: %2$d, labels: {version: v1, track: stable}}
        """, name, port));
    return yaml.toString();
  }
}
