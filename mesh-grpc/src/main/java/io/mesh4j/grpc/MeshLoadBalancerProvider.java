package io.mesh4j.grpc;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import java.util.Map;

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

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public MeshLoadBalancerProvider() {}

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
    return POLICY_NAME;
  }

  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    return new MeshLoadBalancer(helper);
  }

  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
    return ConfigOrError.fromConfig(POLICY_NAME);
  }
}
