package io.mesh4j.samples.shop.frontend;

import io.micrometer.core.instrument.MeterRegistry;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.core.source.ControllerConfigSource;
import io.mesh4j.core.source.DirectoryConfigSource;
import io.mesh4j.core.telemetry.micrometer.MeshMetrics;
import io.mesh4j.spring.MeshProperties;
import java.io.IOException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The frontend's own {@link Mesh}, built from the same {@code mesh4j.*} properties as the
 * starter's, plus {@link MeshMetrics} on the application's meter registry so retries, ejections
 * and breaker states show up as {@code mesh4j.*} meters (the starter's mesh has no listener). A
 * {@code Mesh} bean of the application's replaces the starter's; {@code @MeshClient} uses it.
 */
@Configuration(proxyBeanMethods = false)
public class FrontendMeshConfiguration {

  /** Spring instantiates it. */
  public FrontendMeshConfiguration() {}

  /** The mesh, closed with the context. */
  @Bean(destroyMethod = "close")
  public Mesh mesh(MeshProperties properties, MeterRegistry registry) throws IOException {
    return Mesh.builder()
        .configSource(configSource(properties))
        .listener(MeshMetrics.bindTo(registry))
        .build();
  }

  private static ConfigSource configSource(MeshProperties properties) throws IOException {
    String controller = properties.getController().getAddress();
    if (controller == null || controller.isBlank()) {
      return DirectoryConfigSource.watching(properties.getConfigDir());
    }
    String application = properties.getApplication();
    String namespace = properties.getNamespace();
    if (application == null || application.isBlank() || namespace == null || namespace.isBlank()) {
      throw new IllegalStateException(
          "mesh4j.controller.address is set (" + controller + "), so mesh4j.application and "
              + "mesh4j.namespace must be too; got application '" + application + "', namespace '"
              + namespace + "'");
    }
    return ControllerConfigSource.builder(controller)
        .application(application)
        .namespace(namespace)
        .calls(properties.getCalls())
        .build();
  }
}
