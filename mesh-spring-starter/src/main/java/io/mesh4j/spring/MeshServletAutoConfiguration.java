package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import io.mesh4j.http.MeshServletFilter;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;

/**
 * Registers {@link MeshServletFilter} for {@code mesh4j.service} in servlet web applications
 * that have {@code mesh-http}, so inbound requests get the mesh's authorization, rate limits and
 * faults without code.
 */
@AutoConfiguration(after = MeshAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(MeshServletFilter.class)
@ConditionalOnBean(Mesh.class)
@ConditionalOnProperty("mesh4j.service")
public class MeshServletAutoConfiguration {

  /**
   * Runs right after Spring's character-encoding filter and before Spring Security's, so a
   * request the mesh refuses costs the application nothing.
   */
  public static final int FILTER_ORDER = Ordered.HIGHEST_PRECEDENCE + 1;

  /** Creates the auto-configuration; Spring calls it. */
  public MeshServletAutoConfiguration() {}

  /** The mesh's filter on every path, for the service {@code mesh4j.service} names. */
  @Bean
  @ConditionalOnMissingBean(name = "meshServletFilter")
  public FilterRegistrationBean<MeshServletFilter> meshServletFilter(
      Mesh mesh, MeshProperties properties) {
    String service = properties.getService();
    if (service == null || service.isBlank()) {
      // the property condition admits only a set value; a blank one is a mistake worth naming
      throw new IllegalStateException("mesh4j.service must name a service, e.g. pricing.shop");
    }
    FilterRegistrationBean<MeshServletFilter> registration =
        new FilterRegistrationBean<>(MeshServletFilter.forService(mesh, service));
    registration.setName("meshServletFilter");
    registration.setOrder(FILTER_ORDER);
    return registration;
  }
}
