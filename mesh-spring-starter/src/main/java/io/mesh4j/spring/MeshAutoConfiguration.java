package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.core.source.DirectoryConfigSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ResourceLoader;

/**
 * Builds the application's one {@link Mesh} from {@link MeshProperties}: from the controller
 * when {@code mesh4j.controller.address} is set, otherwise from the watched {@code
 * mesh4j.config-dir}. With a controller, the mesh also counts its outgoing calls for the reports
 * the controller's traffic view is made of ({@code mesh4j.controller.report-interval}). A {@code
 * Mesh} bean of the application's own replaces it. The mesh is closed with the context, which
 * stops its config source.
 */
@AutoConfiguration
@EnableConfigurationProperties(MeshProperties.class)
public class MeshAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public MeshAutoConfiguration() {}

  /**
   * The starter's own mesh and a description of its policy source, both skipped when the
   * application declares a {@link Mesh} bean of its own.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingBean(Mesh.class)
  static class StarterMesh {

    /**
     * The mesh, closed (and its config source stopped) when the context closes. {@link
     * MeshBuilderCustomizer} beans adjust the builder first.
     */
    @Bean(destroyMethod = "close")
    Mesh mesh(
        MeshProperties properties,
        @Qualifier("meshConfigSource") ConfigSource source,
        ObjectProvider<MeshBuilderCustomizer> customizers,
        ObjectProvider<MeshCertificates> certificates) {
      Mesh.Builder builder = Mesh.builder().configSource(source);
      if (source instanceof ControllerConfigSource controller) {
        // the calls this mesh carries feed the reports the controller's traffic view shows
        builder.listener(controller.callReports());
      }
      String zone = properties.getLocalZone();
      if (zone != null && !zone.isBlank()) {
        builder.localZone(zone);
      }
      MeshCertificates identity = certificates.getIfAvailable();
      if (identity != null) {
        builder.identity(identity.rotator().identity());
      }
      customizers.orderedStream().forEach(c -> c.customize(builder));
      Mesh mesh = builder.build();
      if (identity != null) {
        try {
          identity.start(mesh, properties.getIdentity().getStartupTimeout());
        } catch (RuntimeException e) {
          mesh.close();
          throw e;
        }
      }
      return mesh;
    }

    /**
     * The workload certificate from the controller's certificate service, kept renewed; only
     * with {@code mesh4j.identity.enabled} (or a token file). Closed after the mesh.
     */
    @Bean(destroyMethod = "close")
    @Conditional(MeshIdentityCondition.class)
    MeshCertificates meshCertificates(MeshProperties properties) {
      return MeshCertificates.create(properties);
    }

    /**
     * Where the mesh's policy comes from: a bean of its own so that the actuator can tell the
     * controller where the {@code mesh} endpoint listens. The mesh closes it when it closes; the
     * context closes it too, after the mesh (closing twice is harmless), so that a start-up that
     * fails after the source was made, before a mesh owns it, leaves no channel or watch open.
     */
    @Bean(destroyMethod = "close")
    ConfigSource meshConfigSource(MeshProperties properties) {
      return configSource(properties);
    }

    /** Where the mesh's policy comes from, for the health details. */
    @Bean
    PolicySource meshPolicySource(MeshProperties properties) {
      return new PolicySource(describe(properties));
    }
  }

  /**
   * Where the starter's mesh takes its policy from, in words ({@code controller <address>} or
   * {@code directory <path>}).
   *
   * @param description the words
   */
  public record PolicySource(String description) {}

  static String describe(MeshProperties properties) {
    String address = properties.getController().getAddress();
    if (address != null && !address.isBlank()) {
      return "controller " + address;
    }
    return "directory " + properties.getConfigDir().toAbsolutePath();
  }

  /**
   * Injects {@link MeshClient} fields. Static, as post-processors must be, so that registering
   * it does not instantiate this configuration early.
   */
  @Bean
  @ConditionalOnMissingBean
  public static MeshClientPostProcessor meshClientPostProcessor(
      ObjectProvider<Mesh> mesh, ResourceLoader resourceLoader) {
    ClassLoader loader = resourceLoader.getClassLoader();
    return new MeshClientPostProcessor(
        mesh, loader != null ? loader : MeshAutoConfiguration.class.getClassLoader());
  }

  /**
   * Resolves {@link MeshClient} constructor and {@code @Bean} method parameters. Static, as
   * bean-factory post-processors must be.
   */
  @Bean
  @ConditionalOnMissingBean
  public static MeshClientParameters meshClientParameters() {
    return new MeshClientParameters();
  }

  static ConfigSource configSource(MeshProperties properties) {
    String address = properties.getController().getAddress();
    if (address != null && !address.isBlank()) {
      String application = properties.getApplication();
      String namespace = properties.getNamespace();
      // name the properties rather than the builder methods, since properties are what users set
      if (application == null || application.isBlank()) {
        throw new IllegalStateException("mesh4j.controller.address needs mesh4j.application");
      }
      if (namespace == null || namespace.isBlank()) {
        throw new IllegalStateException("mesh4j.controller.address needs mesh4j.namespace");
      }
      ControllerConfigSource.Builder controller =
          ControllerConfigSource.builder(address).application(application).namespace(namespace);
      if (!properties.getCalls().isEmpty()) {
        controller.calls(properties.getCalls());
      }
      String service = properties.getService();
      if (service != null && !service.isBlank()) {
        // so that the controller also sends the authorization and rate-limit policy we enforce
        controller.serves(service);
      }
      Duration interval = properties.getController().getReportInterval();
      try {
        controller.reportInterval(interval);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(
            "mesh4j.controller.report-interval must be 0 (no call reports) or between 1s and 1m, got " + interval, e);
      }
      Path token = properties.getIdentity().getTokenFile();
      if (token != null) {
        // the workload's token proves to the controller who this application is
        controller.tokenFile(token);
      }
      Path roots = properties.getIdentity().getTrustedRoots();
      if (roots != null) {
        // a controller port that serves TLS serves it for policy and certificates alike
        controller.trustedRoots(roots);
      }
      return controller.build();
    }
    try {
      return DirectoryConfigSource.watching(properties.getConfigDir());
    } catch (IOException e) {
      // a file system without a watch service is a deployment error the application cannot fix
      throw new UncheckedIOException(
          "cannot watch mesh4j.config-dir " + properties.getConfigDir(), e);
    }
  }
}
