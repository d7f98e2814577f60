package io.mesh4j.spring;

import io.grpc.BindableService;
import io.grpc.ServerInterceptor;
import io.grpc.TlsServerCredentials;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.tls.MeshTls;
import io.mesh4j.grpc.MeshServerInterceptors;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AllNestedConditions;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.NoneNestedConditions;
import org.springframework.boot.autoconfigure.ssl.SslBundleRegistrar;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerProperties;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslManagerBundle;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.grpc.server.GlobalServerInterceptor;

/**
 * The mesh on Spring Boot's own gRPC server ({@code spring-boot-grpc-server}), which then serves
 * the {@link MeshGrpcService} beans instead of the mesh-managed server: the mesh's server
 * interceptor runs first on every service of Boot's server, and with a workload identity the
 * server listens with the mesh's certificate through the SSL bundle {@value #SSL_BUNDLE}.
 */
@AutoConfiguration(after = MeshAutoConfiguration.class)
@ConditionalOnClass({MeshServerInterceptors.class, GlobalServerInterceptor.class})
@Conditional(MeshBootGrpcAutoConfiguration.BootGrpcServer.class)
@ConditionalOnBean(Mesh.class)
public class MeshBootGrpcAutoConfiguration {

  /** The SSL bundle of the mesh's workload certificate, registered with a workload identity. */
  public static final String SSL_BUNDLE = "mesh4j";

  private static final Logger log = LoggerFactory.getLogger(MeshBootGrpcAutoConfiguration.class);

  /** Creates the auto-configuration; Spring calls it. */
  public MeshBootGrpcAutoConfiguration() {}

  /**
   * The mesh's server interceptor, a global one of Boot's server that runs before any other, so
   * that a refused call reaches neither another interceptor nor the service: {@link
   * MeshGrpcService} beans are admitted under their mesh service, every other service (plain
   * {@code BindableService} or {@code @GrpcService} beans, Boot's health and reflection services)
   * under {@code mesh4j.service}, and passes unmeshed when that is unset.
   */
  @Bean
  @GlobalServerInterceptor
  @Order(Ordered.HIGHEST_PRECEDENCE)
  @ConditionalOnBean(BindableService.class)
  @ConditionalOnMissingBean(name = "meshGrpcServerInterceptor")
  public ServerInterceptor meshGrpcServerInterceptor(
      ApplicationContext context, Mesh mesh, MeshProperties properties) {
    Map<String, ServerInterceptor> byMeshService = new HashMap<>();
    Map<String, ServerInterceptor> byGrpcService = new HashMap<>();
    MeshGrpcServices.find(context, properties)
        .forEach(
            (grpcName, served) ->
                byGrpcService.put(
                    grpcName,
                    byMeshService.computeIfAbsent(
                        served.meshService(), s -> MeshServerInterceptors.forService(mesh, s))));
    String service = properties.getService();
    ServerInterceptor fallback = null;
    if (service != null && !service.isBlank()) {
      fallback =
          byMeshService.computeIfAbsent(service, s -> MeshServerInterceptors.forService(mesh, s));
    } else {
      log.warn(
          "mesh4j: mesh4j.service is not set, so Spring Boot's gRPC server serves its services"
              + " other than the @MeshGrpcService beans ({}) without the mesh",
          byGrpcService.keySet());
    }
    return new MeshBootGrpcServerInterceptor(byGrpcService, fallback);
  }

  /** With a workload identity: the mesh's certificate on Boot's server. */
  @Configuration(proxyBeanMethods = false)
  @Conditional(MeshIdentityCondition.class)
  static class Identity {

    /**
     * The bundle {@value #SSL_BUNDLE}: the mesh's rotating workload certificate and its trust
     * bundle, read at every handshake like {@code MeshServerCredentials}.
     */
    @Bean
    SslBundleRegistrar meshGrpcSslBundle(Mesh mesh) {
      return registry -> registry.registerBundle(SSL_BUNDLE, bundle(MeshTls.forMesh(mesh)));
    }

    /**
     * Points Boot's server at the bundle unless the application chose its own ({@code
     * spring.grpc.server.ssl.bundle}) or turned TLS off ({@code spring.grpc.server.ssl.enabled=
     * false}), and asks callers for their certificate without requiring it, as the mesh-managed
     * server does: {@code MeshConfig} {@code mtls} decides per call whether one without is refused.
     */
    @Bean
    static BeanPostProcessor meshGrpcServerSsl() {
      return new BeanPostProcessor() {
        @Override
        public Object postProcessAfterInitialization(Object bean, String beanName) {
          if (bean instanceof GrpcServerProperties properties) {
            GrpcServerProperties.Ssl ssl = properties.getSsl();
            if (ssl.getBundle() == null && !Boolean.FALSE.equals(ssl.getEnabled())) {
              ssl.setBundle(SSL_BUNDLE);
              ssl.setClientAuth(TlsServerCredentials.ClientAuth.OPTIONAL);
            }
          }
          return bean;
        }
      };
    }
  }

  static SslBundle bundle(MeshTls tls) {
    KeyManager keyManager = tls.keyManager();
    KeyManagerFactory keys =
        new KeyManagerFactory(
            new KeyManagerFactorySpi() {
              @Override
              protected void engineInit(@Nullable KeyStore store, char @Nullable [] password) {}

              @Override
              protected void engineInit(@Nullable ManagerFactoryParameters parameters) {}

              @Override
              protected KeyManager[] engineGetKeyManagers() {
                return new KeyManager[] {keyManager};
              }
            },
            null,
            SSL_BUNDLE) {};
    return SslBundle.of(
        null,
        null,
        null,
        null,
        SslManagerBundle.of(
            keys, SslManagerBundle.from(tls.serverTrustManager()).getTrustManagerFactory()));
  }

  /** Boot's gRPC server support is on the class path and not turned off. */
  static final class BootGrpcServer extends AllNestedConditions {
    BootGrpcServer() {
      super(ConfigurationPhase.PARSE_CONFIGURATION);
    }

    @ConditionalOnClass(
        name = "org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration")
    static final class OnClassPath {}

    @ConditionalOnBooleanProperty(name = "spring.grpc.server.enabled", matchIfMissing = true)
    static final class Enabled {}
  }

  /** The opposite: the mesh-managed server serves the {@link MeshGrpcService} beans. */
  static final class NoBootGrpcServer extends NoneNestedConditions {
    NoBootGrpcServer() {
      super(ConfigurationPhase.PARSE_CONFIGURATION);
    }

    @Conditional(BootGrpcServer.class)
    static final class On {}
  }
}
