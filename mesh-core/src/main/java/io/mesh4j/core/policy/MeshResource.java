package io.mesh4j.core.policy;

/**
 * One user-facing resource mesh4j reads (its own kinds and Gateway API routes): Kubernetes-shaped ({@code apiVersion}, {@code kind},
 * {@code metadata}, {@code spec}) so the same YAML can be applied as a custom resource.
 */
public sealed interface MeshResource
    permits TrafficRoute, DestinationPolicy, AuthorizationPolicy, MeshConfig, ServiceEndpoints, HTTPRoute, GRPCRoute,
        ReferenceGrant {

  /** The API group and version of mesh4j's own resources. */
  String API_VERSION = "mesh4j.io/v1alpha1";

  /** The resource's API group and version: {@link #API_VERSION}, or Gateway API's for its routes. */
  default String apiVersion() {
    return API_VERSION;
  }

  Metadata metadata();

  Record spec();

  /** The resource kind, e.g. {@code TrafficRoute}. */
  default String kind() {
    return getClass().getSimpleName();
  }

  /** How messages name this resource: {@code Kind namespace/name}. */
  default String ref() {
    return kind() + " " + metadata().namespace() + "/" + metadata().name();
  }
}
