package io.mesh4j.spring;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.mesh4j.core.Mesh;
import io.mesh4j.grpc.MeshServerCredentials;
import io.mesh4j.grpc.MeshServerInterceptors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;

/**
 * The mesh-managed gRPC server for {@link MeshGrpcService} beans, in applications that have
 * {@code mesh-grpc} and a {@link Mesh} bean. The server runs only when such beans exist. With
 * Spring Boot's own gRPC server on the class path ({@code spring-boot-grpc-server}, not turned off
 * by {@code spring.grpc.server.enabled=false}) Boot's server serves them instead, meshed by {@link
 * MeshBootGrpcAutoConfiguration}, and this one backs off.
 */
@AutoConfiguration(after = MeshAutoConfiguration.class)
@ConditionalOnClass({MeshServerInterceptors.class, ServerCredentials.class})
@Conditional(MeshBootGrpcAutoConfiguration.NoBootGrpcServer.class)
@ConditionalOnBean(Mesh.class)
public class MeshGrpcAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public MeshGrpcAutoConfiguration() {}

  /**
   * The one place where the server's transport security is chosen: with a workload identity
   * ({@code mesh4j.identity.enabled}), TLS with the mesh's certificate that asks callers for
   * theirs ({@link MeshServerCredentials#create(Mesh)}; {@code MeshConfig} {@code mtls} decides
   * whether a caller without one is refused); plaintext otherwise. Declare a {@code
   * ServerCredentials} bean named {@code meshGrpcServerCredentials} to choose your own.
   */
  @Bean
  @ConditionalOnMissingBean(name = "meshGrpcServerCredentials")
  public ServerCredentials meshGrpcServerCredentials(Mesh mesh, Environment environment) {
    if (MeshIdentityCondition.active(environment)) {
      return MeshServerCredentials.create(mesh);
    }
    return InsecureServerCredentials.create();
  }

  /** The server; it starts with the context and stops gracefully before the mesh closes. */
  @Bean
  @ConditionalOnMissingBean
  public MeshGrpcServer meshGrpcServer(
      ApplicationContext context,
      Mesh mesh,
      MeshProperties properties,
      ServerCredentials meshGrpcServerCredentials,
      ObjectProvider<MeshGrpcServerCustomizer> customizers) {
    return new MeshGrpcServer(
        context,
        mesh,
        properties,
        meshGrpcServerCredentials,
        customizers.orderedStream().toList());
  }
}
