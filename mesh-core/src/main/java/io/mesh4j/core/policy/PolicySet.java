package io.mesh4j.core.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * An immutable, validated set of mesh4j resources with its version. Every resource in a set has
 * passed validation, every field that has a default holds a value, and every service name is
 * fully qualified ({@code name.namespace}).
 *
 * <p>Sets are made from YAML ({@link #parse}, {@code PolicyResult.parse}, {@code
 * PolicyResult.load}) or from records built in code ({@link #of}, {@code PolicyResult.of}); both
 * paths bind through the same rules, so a record built with nulls where the model has defaults
 * ends up holding those defaults. The throwing factories here suit code and tests; sources use
 * {@code PolicyResult}'s, which return problems as values.
 * Sets made here have version 0; sources assign increasing versions with {@link #withVersion}.
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

  /**
   * The set described by {@code yaml} (one or more documents).
   *
   * @throws InvalidPolicyException listing every problem, if there is any
   */
  public static PolicySet parse(String yaml) {
    return validOrThrow(PolicyReader.readString(yaml));
  }

  /**
   * The set of {@code resources}, normalized: defaults filled in where a field is null and service
   * names qualified.
   *
   * @throws InvalidPolicyException listing every problem, if there is any
   */
  public static PolicySet of(MeshResource... resources) {
    return validOrThrow(PolicyReader.normalize(Arrays.asList(resources)));
  }

  private static PolicySet validOrThrow(PolicyReader.Reading read) {
    List<Problem> problems = problems(read);
    if (!problems.isEmpty()) {
      throw new InvalidPolicyException(problems);
    }
    return new PolicySet(0, read.resources());
  }

  /**
   * Every problem of what was read, the reader's and the validator's, in input order; empty when
   * the reading makes a valid set.
   */
  static List<Problem> problems(PolicyReader.Reading read) {
    List<Problem> problems = new ArrayList<>(read.problems);
    problems.addAll(PolicyValidator.validate(read.bound, read.refused));
    // Stable: the reader's and the validator's problems about one input stay in their order.
    if (problems.size() > 1) {
      problems.sort(Comparator.comparingInt(p -> rank(read.order, p.resource())));
    }
    return problems;
  }

  private static int rank(List<String> order, String resource) {
    int i = order.indexOf(resource);
    return i < 0 ? order.size() : i;
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

  /** The routes, in the order they were read. */
  public List<TrafficRoute> routes() {
    return ofKind(TrafficRoute.class);
  }

  /** The destination policies, in the order they were read. */
  public List<DestinationPolicy> destinationPolicies() {
    return ofKind(DestinationPolicy.class);
  }

  /** The authorization policies, in the order they were read. */
  public List<AuthorizationPolicy> authorizationPolicies() {
    return ofKind(AuthorizationPolicy.class);
  }

  /** The hand-written endpoint lists, in the order they were read. */
  public List<ServiceEndpoints> endpoints() {
    return ofKind(ServiceEndpoints.class);
  }

  /** The mesh-wide settings, if a {@link MeshConfig} is present. */
  public Optional<MeshConfig> meshConfig() {
    List<MeshConfig> configs = ofKind(MeshConfig.class);
    return configs.isEmpty() ? Optional.empty() : Optional.of(configs.get(0));
  }

  /** The Gateway API HTTP routes, in the order they were read. */
  public List<HTTPRoute> httpRoutes() {
    return ofKind(HTTPRoute.class);
  }

  /** The Gateway API gRPC routes, in the order they were read. */
  public List<GRPCRoute> grpcRoutes() {
    return ofKind(GRPCRoute.class);
  }

  /** The Gateway API reference grants, in the order they were read. */
  public List<ReferenceGrant> referenceGrants() {
    return ofKind(ReferenceGrant.class);
  }

  <T extends MeshResource> List<T> ofKind(Class<T> kind) {
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
