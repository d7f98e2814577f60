package io.mesh4j.grpc;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@code mesh4j_endpoint} load-balancing policy: sends each attempt to the endpoint the mesh
 * engine chose for it. Channels get it through the service config of the {@code mesh} name
 * resolver; it is registered through {@link java.util.ServiceLoader} and, for class paths where
 * service files are lost (shaded jars), explicitly by {@link MeshChannels}.
 *
 * <p>It takes no configuration. Thread-safe (stateless).
 */
public final class MeshLoadBalancerProvider extends LoadBalancerProvider {

  /** The policy name used in service configs. */
  public static final String POLICY_NAME = "mesh4j_endpoint";

  /** How long a connection to an endpoint the resolver did not report may go unused. */
  static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(5);

  private final String policyName;
  private final long idleNanos;

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public MeshLoadBalancerProvider() {
    this(POLICY_NAME, IDLE_NANOS);
  }

  /** A provider under another name and idle period, for tests that must not wait minutes. */
  MeshLoadBalancerProvider(String policyName, long idleNanos) {
    this.policyName = policyName;
    this.idleNanos = idleNanos;
  }

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int getPriority() {
    return 5;
  }

  @Override
  public String getPolicyName() {
    return policyName;
  }

  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    return new MeshLoadBalancer(helper, idleNanos);
  }

  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
    return ConfigOrError.fromConfig(policyName);
  }
}
