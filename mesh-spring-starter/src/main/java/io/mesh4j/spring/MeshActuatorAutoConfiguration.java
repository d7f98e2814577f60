package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.ConfigSource;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The {@code mesh} actuator endpoint and health indicator, for applications that have the
 * actuator and a {@link Mesh} bean (the starter's or their own). Spring Boot 4 ships health in a
 * module of its own ({@code spring-boot-health}, which the actuator starter brings) and the web
 * server's events in {@code spring-boot-web-server}, so each part waits for its module.
 */
@AutoConfiguration(after = MeshAutoConfiguration.class)
@ConditionalOnClass(ConditionalOnAvailableEndpoint.class)
@ConditionalOnBean(Mesh.class)
public class MeshActuatorAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public MeshActuatorAutoConfiguration() {}

  /** The {@code mesh} endpoint, when it is enabled and exposed. */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnAvailableEndpoint(endpoint = MeshEndpoint.class)
  public MeshEndpoint meshEndpoint(
      Mesh mesh,
      ObjectProvider<MeshProperties> properties,
      ObjectProvider<MeshClientPostProcessor> clients,
      ObjectProvider<GrpcServerInfo> grpcServer,
      ObjectProvider<Clock> clock) {
    return new MeshEndpoint(
        mesh,
        () -> {
          Set<String> known = new HashSet<>();
          properties.ifAvailable(p -> known.addAll(p.getCalls()));
          clients.ifAvailable(c -> known.addAll(c.destinations()));
          return known;
        },
        () -> {
          GrpcServerInfo info = grpcServer.getIfAvailable();
          return info == null ? null : info.describe();
        },
        clock.getIfAvailable(Clock::systemUTC));
  }

  /** In applications with a web server. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(WebServerInitializedEvent.class)
  static class AdminAnnouncerConfiguration {
    /**
     * Tells the controller where the {@code mesh} endpoint listens, once its web server has a
     * port; with a policy directory instead of a controller it does nothing.
     */
    @Bean
    @ConditionalOnAvailableEndpoint(endpoint = MeshEndpoint.class)
    MeshAdminAnnouncer meshAdminAnnouncer(
        @Qualifier("meshConfigSource") ObjectProvider<ConfigSource> source,
        ObjectProvider<PathMappedEndpoints> endpoints,
        Environment environment) {
      return new MeshAdminAnnouncer(source, endpoints, environment);
    }
  }

  /**
   * Reads the mesh-managed gRPC server for the endpoint, in a bean of its own so that the
   * endpoint loads no gRPC class in applications without {@code mesh-grpc}.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.mesh4j.grpc.MeshServerInterceptors")
  static class GrpcServerInfoConfiguration {
    @Bean
    GrpcServerInfo meshGrpcServerInfo(ObjectProvider<MeshGrpcServer> server) {
      return () -> {
        MeshGrpcServer s = server.getIfAvailable();
        return s == null || !s.isRunning()
            ? null
            : new MeshEndpoint.GrpcServerDescriptor(s.port(), s.services());
      };
    }
  }

  /** What the endpoint shows of the gRPC server; null when none runs. */
  @FunctionalInterface
  interface GrpcServerInfo {
    MeshEndpoint.@Nullable GrpcServerDescriptor describe();
  }

  /** In applications with {@code spring-boot-health}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  static class HealthConfiguration {
    /** The {@code mesh} health contributor, named after the bean. */
    @Bean
    @ConditionalOnMissingBean(name = "meshHealthIndicator")
    @ConditionalOnEnabledHealthIndicator("mesh")
    MeshHealthIndicator meshHealthIndicator(
        Mesh mesh,
        ObjectProvider<MeshAutoConfiguration.PolicySource> source,
        ObjectProvider<Clock> clock) {
      MeshAutoConfiguration.PolicySource s = source.getIfAvailable();
      return new MeshHealthIndicator(
          mesh, s == null ? "" : s.description(), clock.getIfAvailable(Clock::systemUTC));
    }
  }
}
