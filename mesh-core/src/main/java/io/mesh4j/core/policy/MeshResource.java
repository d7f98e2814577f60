package io.mesh4j.core.policy;

/**
 * One user-facing mesh4j resource: Kubernetes-shaped ({@code apiVersion}, {@code kind},
 * {@code metadata}, {@code spec}) so the same YAML can be applied as a custom resource.
 */
public sealed interface MeshResource
    permits TrafficRoute, DestinationPolicy, AuthorizationPolicy, MeshConfig, ServiceEndpoints {

  /** The API group and version of every mesh4j resource. */
  String API_VERSION = "mesh4j.io/v1alpha1";

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
