package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.engine.balance.EndpointSet;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.engine.authz.ServiceAuthorization;
import io.mesh4j.core.engine.resilience.TokenBucket;
import io.mesh4j.core.policy.MeshConfig;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One compiled policy version: destinations by name, and the server-side limiters and
 * authorization policies by service.
 * Published through one volatile field; a call reads it once.
 *
 * <p>Immutable; thread-safe.
 */
public final class MeshSnapshot {

  private final long version;
  private final Map<String, DestinationRuntime> destinations;
  private final Map<String, InboundService> inbound;
  private final Map<String, ServiceAuthorization> authorization;
  private final MeshConfig.Spec settings;
  // address:port -> SPIFFE ID over all destinations; CONFLICT when two destinations disagree.
  private final Map<String, String> identities;
  private static final String CONFLICT = "";

  public MeshSnapshot(
      long version,
      Map<String, DestinationRuntime> destinations,
      Map<String, InboundService> inbound,
      Map<String, ServiceAuthorization> authorization,
      MeshConfig.Spec settings) {
    this.version = version;
    this.settings = settings;
    this.destinations = Map.copyOf(destinations);
    this.inbound = Map.copyOf(inbound);
    this.authorization = Map.copyOf(authorization);
    Map<String, String> ids = new java.util.HashMap<>();
    for (DestinationRuntime d : this.destinations.values()) {
      for (Endpoint e : d.endpoints) {
        if (e.identity() != null) {
          ids.merge(e.authority(), e.identity(), (a, b) -> a.equals(b) ? a : CONFLICT);
        }
      }
    }
    this.identities = Map.copyOf(ids);
  }

  /**
   * The SPIFFE ID the endpoint at {@code authority} ({@code address:port}) must present, over
   * all destinations; null when no destination names one, or when two name different ones.
   */
  public @Nullable String endpointIdentity(String authority) {
    String id = identities.get(authority);
    return id == null || id.isEmpty() ? null : id;
  }

  /** The snapshot before any policy arrived: no destinations. */
  public static MeshSnapshot empty() {
    return new MeshSnapshot(0, Map.of(), Map.of(), Map.of(), MeshConfig.defaults());
  }

  public long version() {
    return version;
  }

  /** The mesh-wide settings of this version; every field at its default when none were given. */
  public MeshConfig.Spec settings() {
    return settings;
  }

  @Nullable DestinationRuntime destination(String name) {
    return destinations.get(name);
  }

  @Nullable InboundService inbound(String service) {
    return inbound.get(service);
  }

  /** The compiled authorization policies of {@code service}, or null when it has none. */
  @Nullable ServiceAuthorization authorization(String service) {
    return authorization.get(service);
  }

  /** A service's server-side limiter and how messages describe it. */
  public record InboundService(TokenBucket limiter, String detail) {}

  /**
   * Every endpoint of {@code destination}, local zone first, as an immutable list; empty when the
   * snapshot does not know the destination.
   */
  public List<Endpoint> endpoints(String destination) {
    DestinationRuntime d = destinations.get(destination);
    return d == null ? List.of() : d.endpoints;
  }

  /**
   * Sets each endpoint of {@code destination} connecting or not as {@code connections} says. Call
   * holding {@code connections}' monitor.
   */
  public void syncConnections(String destination, ConnectionTracking connections) {
    DestinationRuntime d = destinations.get(destination);
    if (d == null) {
      return;
    }
    EndpointSet set = d.all.endpoints();
    for (int i = 0; i < set.size(); i++) {
      set.health(i).connecting(connections.notReady(destination, set.endpoint(i).authority()));
    }
  }

  /** Every destination's runtime, for status reads off the call path. */
  java.util.Collection<DestinationRuntime> destinationRuntimes() {
    return destinations.values();
  }

  /** How many destinations the snapshot knows. */
  public int destinationCount() {
    return destinations.size();
  }
}
