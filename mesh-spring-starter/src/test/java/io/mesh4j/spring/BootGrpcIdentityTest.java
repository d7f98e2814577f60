package io.mesh4j.spring;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import org.springframework.context.ApplicationContext;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;

/**
 * {@link MeshIdentityTest} with Spring Boot's gRPC server serving the greeter: it listens with the
 * mesh's workload certificate (the SSL bundle {@code mesh4j}), asks callers for theirs, and the
 * mesh's interceptor judges each call on the caller's SPIFFE ID.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BootGrpcIdentityTest extends MeshIdentityTest {

  @Override
  List<Class<?>> configurations() {
    return List.of(
        MeshAutoConfiguration.class,
        MeshGrpcAutoConfiguration.class,
        MeshBootGrpcAutoConfiguration.class,
        SslAutoConfiguration.class,
        GrpcServerAutoConfiguration.class);
  }

  @Override
  int serverPort(ApplicationContext server) {
    return server.getBean(GrpcServerLifecycle.class).getPort();
  }
}
