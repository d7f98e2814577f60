package io.mesh4j.controller.xds;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.List;

/**
 * The xDS resources of one scope's policy, and what of the policy they could not express.
 *
 * <p>Immutable.
 *
 * @param listeners one API listener per destination service, named {@code name.namespace}, with
 *     its route configuration inline
 * @param clusters one EDS cluster per destination service and per subset
 * @param endpoints one load assignment per cluster
 * @param gaps what the policy says that these resources do not, in policy order
 */
public record XdsResources(
    List<Listener> listeners, List<Cluster> clusters, List<ClusterLoadAssignment> endpoints, List<XdsGap> gaps) {

  public XdsResources {
    listeners = List.copyOf(listeners);
    clusters = List.copyOf(clusters);
    endpoints = List.copyOf(endpoints);
    gaps = List.copyOf(gaps);
  }
}
