package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.PolicyWriter;
import io.mesh4j.core.telemetry.ExplainRequest;
import io.mesh4j.core.telemetry.MeshStatus;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.identity.IdentityMaterial;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

/**
 * The {@code mesh} actuator endpoint: the policy version in effect and its age, every destination
 * of the policy (plus the ones the application names in {@code mesh4j.calls} and {@link
 * MeshClient} fields, even while the policy lacks them) with its endpoints, subsets, breaker
 * states and ejections, the workload certificate, and the mesh-managed gRPC server. Read from
 * {@link Mesh#status()}; never on a call's path. {@code explain/<destination>} explains one call
 * ({@link #explain}).
 */
@org.springframework.boot.actuate.endpoint.annotation.Endpoint(id = "mesh")
public class MeshEndpoint {

  /** The selector under which the endpoint shows the policy it holds. */
  public static final String POLICY = "_policy";

  private final Mesh mesh;
  private final Supplier<Set<String>> destinations;
  private final Supplier<@Nullable GrpcServerDescriptor> grpcServer;
  private final Clock clock;

  /**
   * An endpoint on {@code mesh} that also lists the destinations {@code destinations} supplies,
   * asked afresh on every read since {@link MeshClient} fields are injected as beans appear.
   */
  public MeshEndpoint(Mesh mesh, Supplier<Set<String>> destinations) {
    this(mesh, destinations, () -> null, Clock.systemUTC());
  }

  /**
   * An endpoint that also describes the gRPC server {@code grpcServer} supplies (null when there
   * is none) and judges certificate expiry by {@code clock}.
   */
  public MeshEndpoint(
      Mesh mesh,
      Supplier<Set<String>> destinations,
      Supplier<@Nullable GrpcServerDescriptor> grpcServer,
      Clock clock) {
    this.mesh = mesh;
    this.destinations = destinations;
    this.grpcServer = grpcServer;
    this.clock = clock;
  }

  /** Everything the mesh holds now; destinations sorted by name. */
  @ReadOperation
  public MeshDescriptor mesh() {
    MeshStatus status = mesh.status();
    Map<String, DestinationDescriptor> byName = new TreeMap<>();
    for (MeshStatus.DestinationStatus d : status.destinations()) {
      byName.put(d.name(), describe(d));
    }
    for (String known : destinations.get()) {
      byName.putIfAbsent(known, new DestinationDescriptor(List.of(), List.of()));
    }
    Duration age = status.sinceApplied();
    return new MeshDescriptor(
        status.version(),
        age == null ? null : age.toMillis(),
        mesh.settings().mtls().name(),
        byName,
        identity(mesh.identity().current(), clock.instant()),
        grpcServer.get());
  }

  /**
   * {@code /actuator/mesh/NAME}: the {@link #policy()} at {@value #POLICY} (no service name can
   * take the underscore), else the {@link #destination(String) destination} NAME.
   */
  @ReadOperation
  public Object select(@Selector String name) {
    return POLICY.equals(name) ? policy() : destination(name);
  }

  /** One destination; empty lists when the policy does not know it. */
  public DestinationDescriptor destination(String destination) {
    for (MeshStatus.DestinationStatus d : mesh.status().destinations()) {
      if (d.name().equals(destination)) {
        return describe(d);
      }
    }
    return new DestinationDescriptor(List.of(), List.of());
  }

  /** The policy in effect, every resource as the canonical YAML that {@code mesh4j config} compares. */
  public PolicyDescriptor policy() {
    PolicySet set = mesh.policies();
    List<ResourceDescriptor> resources = new ArrayList<>();
    for (MeshResource r : set.resources()) {
      resources.add(new ResourceDescriptor(r.ref(), PolicyWriter.toYaml(r)));
    }
    resources.sort(java.util.Comparator.comparing(ResourceDescriptor::ref));
    return new PolicyDescriptor(set.version(), resources);
  }

  /** At most this many {@code header} parameters are read; more is a bad request. */
  static final int MAX_HEADERS = 32;

  /** The longest header name, in characters. */
  static final int MAX_HEADER_NAME = 128;

  /** The longest header value, and the longest gRPC method, path or destination, in characters. */
  static final int MAX_VALUE = 2048;

  /**
   * Explains a call to {@code destination} without making it: {@code
   * /actuator/mesh/explain/catalog.shop?grpc=shop.Catalog/GetItem&header=x-canary:true}, or
   * {@code ?method=GET&path=/prices/1} for HTTP. Answers {@link Mesh#explain}'s explanation (the
   * rules with why each did not match, the matched rule's backends with weights, breakers,
   * endpoints, ejections and next pick) as JSON, or 400 with {@code {"error": ...}} for a bad
   * request. Only reads: no counter moves and nothing is sent.
   *
   * <p>Two selectors ({@code explain}, then the destination) keep it beside {@link #select}, whose
   * single selector takes any one name for a destination's, and keep
   * it on this endpoint so that exposing {@code mesh} exposes it. Every input is bounded: at most
   * {@value #MAX_HEADERS} headers, names of {@value #MAX_HEADER_NAME} and values of {@value
   * #MAX_VALUE} characters.
   *
   * @param explain must be {@code explain}
   * @param destination the destination service, {@code name.namespace}
   * @param grpc for a gRPC call, {@code package.Service/Method}
   * @param method for an HTTP call, its method
   * @param path for an HTTP call, its path and query
   * @param header {@code name:value}, once per header: a string for one, a list for several (it
   *     is not declared {@code String[]} because converting one value to an array splits it at
   *     commas)
   */
  @ReadOperation
  public WebEndpointResponse<Map<String, @Nullable Object>> explain(
      @Selector String explain,
      @Selector String destination,
      @Nullable String grpc,
      @Nullable String method,
      @Nullable String path,
      @Nullable Object header) {
    ExplainRequest request;
    try {
      request = request(explain, destination, grpc, method, path, header);
    } catch (IllegalArgumentException e) {
      Map<String, @Nullable Object> error = new java.util.LinkedHashMap<>();
      error.put("error", e.getMessage());
      return new WebEndpointResponse<>(error, WebEndpointResponse.STATUS_BAD_REQUEST);
    }
    return new WebEndpointResponse<>(mesh.explain(request).toMap(clock.instant()));
  }

  private static ExplainRequest request(
      String explain,
      String destination,
      @Nullable String grpc,
      @Nullable String method,
      @Nullable String path,
      @Nullable Object header) {
    if (!"explain".equals(explain)) {
      throw new IllegalArgumentException(
          "unknown operation '" + clip(explain) + "': the only one is explain/<destination>");
    }
    bounded("destination", destination);
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    List<?> values = header == null ? List.of() : header instanceof List<?> l ? l : List.of(header);
    if (values.size() > MAX_HEADERS) {
      throw new IllegalArgumentException(
          values.size() + " headers: at most " + MAX_HEADERS + " may be given");
    }
    for (Object v : values) {
      String text = String.valueOf(v);
      int colon = text.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("header '" + clip(text) + "' is not name:value");
      }
      String name = text.substring(0, colon).strip();
      if (name.isEmpty() || name.length() > MAX_HEADER_NAME) {
        throw new IllegalArgumentException(
            "header name '" + clip(name) + "' must have 1 to " + MAX_HEADER_NAME + " characters");
      }
      String value = text.substring(colon + 1).strip();
      bounded("header " + name, value);
      headers.putIfAbsent(name, value);
    }
    if (grpc != null) {
      if (method != null || path != null) {
        throw new IllegalArgumentException("give grpc, or method and path, not both");
      }
      bounded("grpc", grpc);
      return ExplainRequest.grpc(destination, grpc, headers);
    }
    if (method == null || path == null) {
      throw new IllegalArgumentException(
          "give grpc=package.Service/Method, or method=GET&path=/some/path");
    }
    bounded("method", method);
    bounded("path", path);
    return ExplainRequest.http(destination, method, path, headers);
  }

  private static void bounded(String what, String value) {
    if (value.length() > MAX_VALUE) {
      throw new IllegalArgumentException(
          what + ": " + value.length() + " characters, at most " + MAX_VALUE + " are read");
    }
  }

  /** A hostile value, shortened for an error message. */
  private static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "…";
  }

  private static DestinationDescriptor describe(MeshStatus.DestinationStatus d) {
    List<SubsetDescriptor> subsets = new ArrayList<>();
    for (MeshStatus.SubsetStatus s : d.subsets()) {
      List<EndpointState> endpoints = new ArrayList<>();
      for (MeshStatus.EndpointStatus e : s.endpoints()) {
        endpoints.add(new EndpointState(e.endpoint().authority(), e.ejected(), e.ejections()));
      }
      subsets.add(new SubsetDescriptor(s.name(), s.breaker().name(), s.activeCalls(), endpoints));
    }
    return new DestinationDescriptor(d.endpoints(), subsets);
  }

  static @Nullable IdentityDescriptor identity(@Nullable IdentityMaterial m, Instant now) {
    if (m == null) {
      return null;
    }
    return new IdentityDescriptor(
        m.spiffeId(),
        m.notBefore().toString(),
        m.notAfter().toString(),
        !now.isBefore(m.notAfter()));
  }

  /**
   * What {@link #mesh()} reports.
   *
   * @param appliedVersion the version of the policy in effect, 0 before the first
   * @param snapshotAgeMillis milliseconds since that version was applied, null before the first
   * @param mtls the mesh-wide mTLS mode in force
   * @param destinations every destination, by name
   * @param identity the workload certificate, null when none has been issued
   * @param grpcServer the mesh-managed gRPC server, null when it does not run
   */
  public record MeshDescriptor(
      long appliedVersion,
      @Nullable Long snapshotAgeMillis,
      String mtls,
      Map<String, DestinationDescriptor> destinations,
      @Nullable IdentityDescriptor identity,
      @Nullable GrpcServerDescriptor grpcServer) {}

  /**
   * One destination.
   *
   * @param endpoints every endpoint (address, port, labels, zone, weight, identity), local zone
   *     first
   * @param subsets the named subsets, then the whole destination (name null)
   */
  public record DestinationDescriptor(List<Endpoint> endpoints, List<SubsetDescriptor> subsets) {}

  /**
   * One subset.
   *
   * @param name the subset's name, null for the whole destination
   * @param breaker {@code CLOSED}, {@code OPEN} or {@code HALF_OPEN}
   * @param activeCalls calls in flight, counted when the subset has a concurrency limit
   * @param endpoints its endpoints and their ejections
   */
  public record SubsetDescriptor(
      @Nullable String name, String breaker, int activeCalls, List<EndpointState> endpoints) {}

  /**
   * One endpoint's outlier-detection state.
   *
   * @param authority {@code address:port}
   * @param ejected whether outlier detection ejected it and the ejection still runs
   * @param ejections ejections without a quiet interval since
   */
  public record EndpointState(String authority, boolean ejected, int ejections) {}

  /**
   * The policy the mesh holds.
   *
   * @param appliedVersion its version, 0 before the first
   * @param resources every resource, sorted by reference
   */
  public record PolicyDescriptor(long appliedVersion, List<ResourceDescriptor> resources) {}

  /**
   * One resource of the policy.
   *
   * @param ref {@code Kind namespace/name}
   * @param yaml the resource as one canonical YAML document
   */
  public record ResourceDescriptor(String ref, String yaml) {}

  /**
   * The workload certificate.
   *
   * @param spiffeId the identity it proves
   * @param notBefore start of validity, ISO-8601
   * @param notAfter end of validity, ISO-8601
   * @param expired whether it has expired
   */
  public record IdentityDescriptor(
      String spiffeId, String notBefore, String notAfter, boolean expired) {}

  /**
   * The mesh-managed gRPC server.
   *
   * @param port the bound port
   * @param services the gRPC services it serves
   */
  public record GrpcServerDescriptor(int port, List<String> services) {}
}
