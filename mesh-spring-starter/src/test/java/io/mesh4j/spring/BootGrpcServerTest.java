package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.spring.test.proto.GreeterGrpc;
import io.mesh4j.spring.test.proto.HelloReply;
import io.mesh4j.spring.test.proto.HelloRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;

/**
 * With Spring Boot's gRPC server and client on the class path, Boot's server serves the {@link
 * MeshGrpcService} beans and every other service behind the mesh, and {@link MeshClient} stubs
 * call it through the mesh, all over loopback.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BootGrpcServerTest {

  @TempDir Path dir;

  @Configuration(proxyBeanMethods = false)
  @ImportAutoConfiguration({
    MeshAutoConfiguration.class,
    MeshGrpcAutoConfiguration.class,
    MeshBootGrpcAutoConfiguration.class,
    SslAutoConfiguration.class,
    GrpcServerAutoConfiguration.class,
    GrpcClientAutoConfiguration.class
  })
  static class App {}

  /** Answers with its version; the one of v1 fails its first call. */
  @MeshGrpcService(service = "greeter.test")
  static class Greeter extends GreeterGrpc.GreeterImplBase {
    final AtomicInteger calls = new AtomicInteger();
    private final String version;

    Greeter(String version) {
      this.version = version;
    }

    @Override
    public void hello(HelloRequest request, StreamObserver<HelloReply> response) {
      if (calls.incrementAndGet() == 1 && version.equals("v1")) {
        response.onError(Status.UNAVAILABLE.withDescription("not ready yet").asRuntimeException());
        return;
      }
      response.onNext(HelloReply.newBuilder().setServer(version).build());
      response.onCompleted();
    }
  }

  /** A plain gRPC service, not annotated: Boot serves it, under {@code mesh4j.service}. */
  @Configuration(proxyBeanMethods = false)
  static class Plain {
    @Bean
    BindableService plainGreeter() {
      return () ->
          ServerServiceDefinition.builder("test.Greeter")
              .addMethod(
                  MeshClientTest.HELLO,
                  ServerCalls.asyncUnaryCall(
                      (request, response) -> {
                        response.onNext("hello " + request);
                        response.onCompleted();
                      }))
              .build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Caller {
    @MeshClient("greeter.test")
    GreeterGrpc.GreeterBlockingStub greeter;

    @MeshClient("admin.test")
    Channel admin;

    /** Seeded, so that the split below is the same in every run. */
    @Bean
    static MeshBuilderCustomizer seeded() {
      return builder -> builder.random(MeshRandom.of(new SplittableRandom(42)));
    }
  }

  private ConfigurableApplicationContext server(String version, Path config) {
    return new SpringApplicationBuilder(App.class, Plain.class)
        .web(WebApplicationType.NONE)
        .initializers(
            context ->
                context
                    .getBeanFactory()
                    .registerSingleton("greeter", new Greeter(version)))
        .properties(
            "mesh4j.config-dir=" + config,
            "mesh4j.service=admin.test",
            "spring.grpc.server.address=127.0.0.1",
            "spring.grpc.server.port=0")
        .run();
  }

  private static int port(ConfigurableApplicationContext context) {
    return context.getBean(GrpcServerLifecycle.class).getPort();
  }

  @Test
  void bootsServerServesTheMeshedServicesAndMeshClientStubsSplitAndRetry() throws Exception {
    Path serverConfig = Files.createDirectories(dir.resolve("server"));
    Policies.write(
        serverConfig,
        "admin.yaml",
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: admin-callers, namespace: test}
        spec:
          service: admin.test
          action: ALLOW
          rules:
            - principals: ["spiffe://mesh.test/ns/test/sa/operator"]
        """);
    Path clientConfig = Files.createDirectories(dir.resolve("client"));
    try (ConfigurableApplicationContext v1 = server("v1", serverConfig);
        ConfigurableApplicationContext v2 = server("v2", serverConfig)) {
      for (ConfigurableApplicationContext server : new ConfigurableApplicationContext[] {v1, v2}) {
        // Boot's server is the only one: the mesh-managed server backed off
        assertThat(server.getBeansOfType(MeshGrpcServer.class)).isEmpty();
        assertThat(server.getBeansOfType(GrpcServerLifecycle.class)).hasSize(1);
        assertThat(port(server)).isPositive();
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> server.getBean(Mesh.class).appliedVersion() > 0);
      }
      Policies.write(
          clientConfig,
          "greeter.yaml",
          """
          apiVersion: mesh4j.io/v1alpha1
          kind: ServiceEndpoints
          metadata: {name: greeter, namespace: test}
          spec:
            service: greeter
            endpoints:
              - {address: 127.0.0.1, port: %1$d, labels: {version: v1}}
              - {address: 127.0.0.1, port: %2$d, labels: {version: v2}}
          ---
          apiVersion: mesh4j.io/v1alpha1
          kind: TrafficRoute
          metadata: {name: greeter, namespace: test}
          spec:
            destination: greeter
            subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
            rules:
              - name: default
                timeout: 5s
                retries:
                  attempts: 2
                  retryOn: [UNAVAILABLE]
                  idempotentMethods: [mesh4j.test.Greeter/Hello]
                backends:
                  - {subset: v1, weight: 80}
                  - {subset: v2, weight: 20}
          """
              .formatted(port(v1), port(v2))
              + "---\n"
              + Policies.endpoint("admin", "test", port(v1)));
      try (ConfigurableApplicationContext client =
          new SpringApplicationBuilder(App.class, Caller.class)
              .web(WebApplicationType.NONE)
              .properties("mesh4j.config-dir=" + clientConfig)
              .run()) {
        // no service here, so Boot's server does not run either
        assertThat(client.getBeansOfType(GrpcServerLifecycle.class)).isEmpty();
        Mesh mesh = client.getBean(Mesh.class);
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    mesh.endpoints("greeter.test").size() == 2
                        && !mesh.endpoints("admin.test").isEmpty());
        Caller caller = client.getBean(Caller.class);

        int calls = 1000;
        int v2Answers = 0;
        for (int i = 0; i < calls; i++) {
          String server =
              caller
                  .greeter
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .hello(HelloRequest.newBuilder().setName("n" + i).build())
                  .getServer();
          assertThat(server).isIn("v1", "v2");
          v2Answers += server.equals("v2") ? 1 : 0;
        }
        int v1Calls = v1.getBean(Greeter.class).calls.get();
        int v2Calls = v2.getBean(Greeter.class).calls.get();
        // every call answered, though v1 failed one attempt: the mesh retried it
        assertThat(v1Calls + v2Calls).isEqualTo(calls + 1);
        assertThat(v2Calls).isEqualTo(v2Answers);
        assertThat(v2Answers / (double) calls).isBetween(0.16, 0.24);

        // the plain service on Boot's server is behind the mesh too: its policy refuses us
        assertThatThrownBy(
                () ->
                    ClientCalls.blockingUnaryCall(
                        caller.admin,
                        MeshClientTest.HELLO,
                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                        "intruder"))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> {
                  assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                  assertThat(e.getStatus().getDescription())
                      .isEqualTo(
                          "mesh4j: denied for admin.test (no rule of AuthorizationPolicy"
                              + " test/admin-callers allows an unauthenticated caller)");
                });
      }
    }
  }
}
