package io.mesh4j.spring;

import io.mesh4j.core.telemetry.AccessLog;
import io.mesh4j.opentelemetry.MeshTracing;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Per-call telemetry for the mesh the starter builds: OpenTelemetry tracing ({@code
 * mesh4j.tracing.enabled}, on by default when opentelemetry-api is present) and the access log
 * ({@code mesh4j.access-log.enabled}, on by default, writing only while {@code MeshConfig}'s
 * {@code accessLog} turns it on). Sampling of both follows {@code MeshConfig}. A mesh of the application's own adds its telemetry itself.
 */
@AutoConfiguration(before = MeshAutoConfiguration.class)
public class MeshTelemetryAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public MeshTelemetryAutoConfiguration() {}

  /** Tracing, only when opentelemetry-api is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({OpenTelemetry.class, MeshTracing.class})
  @ConditionalOnProperty(prefix = "mesh4j.tracing", name = "enabled", matchIfMissing = true)
  static class Tracing {

    /**
     * Traces with the application's {@link OpenTelemetry} bean (the unique or primary one);
     * without one, with {@link GlobalOpenTelemetry} when something (the Java agent, {@code
     * buildAndRegisterGlobal()}) has set it. Otherwise nothing: reading the global before it is
     * set would fix it to a no-op for the whole JVM.
     */
    @Bean
    MeshBuilderCustomizer meshTracingCustomizer(ObjectProvider<OpenTelemetry> openTelemetry) {
      return builder -> {
        OpenTelemetry own = openTelemetry.getIfAvailable();
        if (own != null) {
          builder.listener(MeshTracing.create(own));
        } else if (GlobalOpenTelemetry.isSet()) {
          builder.listener(MeshTracing.fromGlobal());
        }
      };
    }
  }

  /** The access log, unless {@code mesh4j.access-log.enabled} is false. */
  @Bean
  @ConditionalOnProperty(prefix = "mesh4j.access-log", name = "enabled", matchIfMissing = true)
  MeshBuilderCustomizer meshAccessLogCustomizer() {
    return builder -> builder.listener(AccessLog.create());
  }
}
