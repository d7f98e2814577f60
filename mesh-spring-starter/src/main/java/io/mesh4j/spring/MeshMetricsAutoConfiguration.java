package io.mesh4j.spring;

import io.mesh4j.micrometer.MeshMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * Records the mesh's own meters ({@link MeshMetrics}) in the application's {@link MeterRegistry},
 * when Micrometer is on the class path and {@code mesh4j.metrics.enabled} is not false. Applies
 * only to the mesh the starter builds; a mesh of the application's own binds its listeners
 * itself.
 */
@AutoConfiguration(before = MeshAutoConfiguration.class)
@ConditionalOnClass({MeterRegistry.class, MeshMetrics.class})
@ConditionalOnProperty(prefix = "mesh4j.metrics", name = "enabled", matchIfMissing = true)
public class MeshMetricsAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public MeshMetricsAutoConfiguration() {}

  /**
   * Adds {@link MeshMetrics} bound to the application's registry (the primary one when there are
   * several) as the mesh's telemetry, so adapters record per-call timers ({@code
   * mesh4j.client.requests}, {@code mesh4j.server.requests}), and as its listener; nothing when
   * the application has no registry.
   */
  @Bean
  public MeshBuilderCustomizer meshMetricsCustomizer(ObjectProvider<MeterRegistry> registry) {
    return builder -> registry.ifAvailable(r -> builder.listener(MeshMetrics.bindTo(r)));
  }
}
