package io.mesh4j.spring;

import io.mesh4j.core.Mesh;

/**
 * Adjusts the {@link Mesh.Builder} the starter builds the application's mesh with (listeners, an
 * identity, a ticker), after the properties have been applied and before the mesh starts. Beans of
 * this type run in their {@code @Order}.
 */
@FunctionalInterface
public interface MeshBuilderCustomizer {

  /** Adjusts {@code builder}; called once, before the mesh is built. */
  void customize(Mesh.Builder builder);
}
