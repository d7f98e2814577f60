package io.mesh4j.core.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An immutable, validated set of mesh4j resources with its version. Every resource in a set has
 * passed validation, every field that has a default holds a value, and every service name is
 * fully qualified ({@code name.namespace}).
 *
 * <p>Thread-safe (immutable).
 */
public final class PolicySet {

  /** No resources at all: every destination gets its default behaviour. */
  public static final PolicySet EMPTY = new PolicySet(0, List.of());

  private final long version;
  private final List<MeshResource> resources;

  /** Only for code that has validated and normalized {@code resources}. */
  PolicySet(long version, List<MeshResource> resources) {
    this.version = version;
    this.resources = List.copyOf(resources);
  }

  /** A monotonically increasing version; a source never delivers an older one after a newer. */
  public long version() {
    return version;
  }

  /** The same resources under another version. */
  public PolicySet withVersion(long newVersion) {
    return new PolicySet(newVersion, resources);
  }

  /** All resources, in the order they were read. */
  public List<MeshResource> resources() {
    return resources;
  }

  public List<TrafficRoute> routes() {
    return ofKind(TrafficRoute.class);
  }

  public List<DestinationPolicy> destinationPolicies() {
    return ofKind(DestinationPolicy.class);
  }

  public List<AuthorizationPolicy> authorizationPolicies() {
    return ofKind(AuthorizationPolicy.class);
  }

  public List<ServiceEndpoints> endpoints() {
    return ofKind(ServiceEndpoints.class);
  }

  /** The mesh-wide settings, if a {@link MeshConfig} is present. */
  public Optional<MeshConfig> meshConfig() {
    return ofKind(MeshConfig.class).stream().findFirst();
  }

  private <T extends MeshResource> List<T> ofKind(Class<T> kind) {
    List<T> out = new ArrayList<>();
    for (MeshResource r : resources) {
      if (kind.isInstance(r)) {
        out.add(kind.cast(r));
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "PolicySet{version=" + version + ", resources=" + resources.size() + "}";
  }
}
