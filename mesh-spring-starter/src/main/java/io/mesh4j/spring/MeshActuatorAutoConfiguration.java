package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import java.util.HashSet;
import java.util.Set;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code mesh} actuator endpoint and health indicator, for applications that have the
 * actuator and a {@link Mesh} bean (the starter's or their own).
 */
@AutoConfiguration(after = MeshAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(Mesh.class)
public class MeshActuatorAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public MeshActuatorAutoConfiguration() {}

  /** The {@code mesh} endpoint, when it is enabled and exposed. */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnAvailableEndpoint(endpoint = MeshEndpoint.class)
  public MeshEndpoint meshEndpoint(
      Mesh mesh, ObjectProvider<MeshProperties> properties,
      ObjectProvider<MeshClientPostProcessor> clients) {
    return new MeshEndpoint(
        mesh,
        () -> {
          Set<String> known = new HashSet<>();
          properties.ifAvailable(p -> known.addAll(p.getCalls()));
          clients.ifAvailable(c -> known.addAll(c.destinations()));
          return known;
        });
  }

  /** The {@code mesh} health contributor, named after the bean. */
  @Bean
  @ConditionalOnMissingBean(name = "meshHealthIndicator")
  @ConditionalOnEnabledHealthIndicator("mesh")
  public MeshHealthIndicator meshHealthIndicator(Mesh mesh) {
    return new MeshHealthIndicator(mesh);
  }
}
