package io.mesh4j.core.telemetry;

import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.telemetry.MeshListener.BreakerState;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the mesh holds at one moment, for operators (an actuator endpoint, a debug page): the
 * policy version in effect and how long ago it was applied, and per destination its endpoints,
 * subsets, breaker states and ejections. Built by {@link Mesh#status()} from the snapshot in
 * effect and the state its guards keep; never used on the call path.
 *
 * <p>Immutable.
 *
 * @param version the policy version in effect, 0 before the first
 * @param sinceApplied time since that version was applied, on the mesh's ticker; null before the
 *     first
 * @param destinations every destination the policy knows, sorted by name
 */
public record MeshStatus(
    long version, @Nullable Duration sinceApplied, List<DestinationStatus> destinations) {

  /** Copies the list. */
  public MeshStatus {
    destinations = List.copyOf(destinations);
  }

  /**
   * One destination.
   *
   * @param name {@code name.namespace}
   * @param endpoints every endpoint, local zone first
   * @param subsets the named subsets sorted by name, then the whole destination (name null),
   *     where calls go that no rule sends to a subset
   */
  public record DestinationStatus(
      String name, List<Endpoint> endpoints, List<SubsetStatus> subsets) {

    /** Copies the lists. */
    public DestinationStatus {
      endpoints = List.copyOf(endpoints);
      subsets = List.copyOf(subsets);
    }
  }

  /**
   * One subset as calls reach it.
   *
   * @param name the subset's name, or null for all endpoints of the destination
   * @param breaker its circuit breaker's state; {@code CLOSED} when it has no breaker
   * @param activeCalls calls in flight, counted only when the subset has a concurrency limit
   * @param endpoints its endpoints with their outlier-detection state
   */
  public record SubsetStatus(
      @Nullable String name,
      BreakerState breaker,
      int activeCalls,
      List<EndpointStatus> endpoints) {

    /** Copies the list. */
    public SubsetStatus {
      endpoints = List.copyOf(endpoints);
    }
  }

  /**
   * One endpoint's outlier-detection state.
   *
   * @param endpoint the endpoint
   * @param ejected whether it is ejected now (gets no picks)
   * @param ejections how many times it was ejected without a quiet interval since
   */
  public record EndpointStatus(Endpoint endpoint, boolean ejected, int ejections) {}
}
