package io.mesh4j.spring;

import io.grpc.ServerBuilder;

/**
 * Adjusts the builder of the mesh-managed gRPC server (executor, message size limits, keep-alive,
 * extra services such as health or reflection) after the {@link MeshGrpcService} beans were
 * added and before it starts. Beans of this type run in their {@code @Order}. Services added here
 * are not behind the mesh's interceptors.
 */
@FunctionalInterface
public interface MeshGrpcServerCustomizer {

  /** Adjusts {@code builder}; called once, before the server starts. */
  void customize(ServerBuilder<?> builder);
}
