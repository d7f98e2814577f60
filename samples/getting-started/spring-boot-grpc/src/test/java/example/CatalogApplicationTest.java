package example;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Two versions of the catalog, each on Spring Boot's gRPC server, behind one name: calls split
 * 80/20 and an UNAVAILABLE is retried.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"spring.grpc.server.address=127.0.0.1", "spring.grpc.server.port=0"})
@Timeout(120)
class CatalogApplicationTest {

  static ConfigurableApplicationContext v1;
  static ConfigurableApplicationContext v2;

  /** Counts a version's calls; the one of v1 fails its first call. */
  @GlobalServerInterceptor
  static final class Counter implements ServerInterceptor {
    final AtomicInteger calls = new AtomicInteger();
    final boolean failFirst;

    Counter(boolean failFirst) {
      this.failFirst = failFirst;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      if (calls.incrementAndGet() == 1 && failFirst) {
        call.close(Status.UNAVAILABLE.withDescription("not ready yet"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return next.startCall(call, headers);
    }
  }

  /** The application once more, as one version of the catalog on a port of its own. */
  static ConfigurableApplicationContext catalog(boolean failFirst) throws IOException {
    return new SpringApplicationBuilder(CatalogApplication.class)
        .web(WebApplicationType.NONE)
        .initializers(
            context -> context.getBeanFactory().registerSingleton("counter", new Counter(failFirst)))
        .properties(
            "spring.grpc.server.address=127.0.0.1",
            "spring.grpc.server.port=0",
            "mesh4j.config-dir=" + Files.createTempDirectory("catalog-mesh"))
        .run();
  }

  static int port(ConfigurableApplicationContext context) {
    return context.getBean(GrpcServerLifecycle.class).getPort();
  }

  /** The policy an operator would put in the calling application's mesh directory. */
  @DynamicPropertySource
  static void mesh(DynamicPropertyRegistry registry) throws IOException {
    v1 = catalog(true);
    v2 = catalog(false);
    Path dir = Files.createTempDirectory("mesh");
    Files.writeString(
        dir.resolve("catalog.yaml"),
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog
          endpoints:
            - {address: 127.0.0.1, port: %d, labels: {version: v1}}
            - {address: 127.0.0.1, port: %d, labels: {version: v2}}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
          rules:
            - name: default
              timeout: 5s
              retries:
                attempts: 2
                retryOn: [UNAVAILABLE]
                idempotentMethods: [grpc.health.v1.Health/Check]
              backends:
                - {subset: v1, weight: 80}
                - {subset: v2, weight: 20}
        """
            .formatted(port(v1), port(v2)));
    registry.add("mesh4j.config-dir", dir::toString);
  }

  @AfterAll
  static void stop() {
    v1.close();
    v2.close();
  }

  @Autowired CatalogApplication.Catalog catalog;

  @Test
  void callsSplitEightyTwentyAndAFailureIsRetried() {
    int calls = 1000;
    for (int i = 0; i < calls; i++) {
      assertThat(catalog.status()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }
    int v1Calls = v1.getBean(Counter.class).calls.get();
    int v2Calls = v2.getBean(Counter.class).calls.get();
    // every call answered, though v1 failed one attempt: the mesh retried it
    assertThat(v1Calls + v2Calls).isEqualTo(calls + 1);
    // 20% of 1,000 is 200; the binomial spread is 12.6 calls: +-60, as in the HTTP samples, is
    // over four and a half of them (+-40 failed about once in 700 runs)
    assertThat(v2Calls / (double) calls).isBetween(0.14, 0.26);
  }
}
