package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import io.mesh4j.core.Mesh;
import io.mesh4j.spring.test.proto.GreeterGrpc;
import io.mesh4j.spring.test.proto.HelloReply;
import io.mesh4j.spring.test.proto.HelloRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@link MeshGrpcService} beans served on the mesh-managed server, called through {@link
 * MeshClient} stubs of every generated kind, all over loopback.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MeshGrpcServiceTest {

  @TempDir Path dir;

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(MeshAutoConfiguration.class, MeshGrpcAutoConfiguration.class))
        .withPropertyValues(
            "mesh4j.config-dir=" + dir,
            "mesh4j.grpc.port=0",
            "mesh4j.grpc.address=127.0.0.1",
            "mesh4j.service=greeter.test");
  }

  /** Points greeter.test at the server and limits it to a bucket of two that hardly refills. */
  private static void pointAtServer(Path dir, Mesh mesh, int port) {
    Policies.write(
        dir,
        "greeter.yaml",
        Policies.endpoint("greeter", "test", port)
            + """
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: greeter, namespace: test}
            spec:
              destination: greeter.test
              serverRateLimit: {requestsPerSecond: 0.001, burst: 2}
            """);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> !mesh.endpoints("greeter.test").isEmpty());
  }

  private static HelloRequest hello(String name) {
    return HelloRequest.newBuilder().setName(name).build();
  }

  @Test
  void annotatedServicesAreServedBehindTheMeshAndStubsOfEveryKindCallThem() {
    runner()
        .withUserConfiguration(Greeter.class, Callers.class, PortListener.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              MeshGrpcServer server = context.getBean(MeshGrpcServer.class);
              assertThat(server.isRunning()).isTrue();
              assertThat(server.services()).containsExactly("mesh4j.test.Greeter");
              int port = server.port();
              assertThat(port).isPositive();
              assertThat(context.getBean(PortListener.class).ports).containsExactly(port);
              assertThat(context.getEnvironment().getProperty("local.mesh4j.grpc.port"))
                  .isEqualTo(Integer.toString(port));
              pointAtServer(dir, context.getBean(Mesh.class), port);

              Callers callers = context.getBean(Callers.class);
              assertThat(callers.blocking.withDeadlineAfter(10, TimeUnit.SECONDS).hello(hello("a")))
                  .extracting(HelloReply::getMessage)
                  .isEqualTo("hello a");
              assertThat(
                      callers
                          .future
                          .withDeadlineAfter(10, TimeUnit.SECONDS)
                          .hello(hello("b"))
                          .get(10, TimeUnit.SECONDS)
                          .getMessage())
                  .isEqualTo("hello b");
              // the third call finds the bucket empty: the mesh's interceptor refused it
              assertThatThrownBy(
                      () ->
                          callers
                              .blockingV2
                              .withDeadlineAfter(10, TimeUnit.SECONDS)
                              .hello(hello("c")))
                  .isInstanceOfSatisfying(
                      StatusException.class,
                      e -> {
                        assertThat(e.getStatus().getCode())
                            .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                        assertThat(e.getStatus().getDescription())
                            .startsWith("mesh4j: rate limited for greeter.test");
                      });
              assertThat(context.getBean(Greeter.class).calls).hasSize(2);
              // every stub runs on the destination's one channel
              assertThat(callers.async.getChannel()).isSameAs(callers.blocking.getChannel());
              assertThat(callers.channel).isSameAs(callers.blocking.getChannel());
            });
  }

  @Test
  void aBeanMethodParameterGetsAStub() {
    runner()
        .withUserConfiguration(Greeter.class, BeanMethodCaller.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              pointAtServer(
                  dir, context.getBean(Mesh.class), context.getBean(MeshGrpcServer.class).port());
              GreeterGrpc.GreeterBlockingStub stub =
                  context.getBean(GreeterGrpc.GreeterBlockingStub.class);
              assertThat(stub.withDeadlineAfter(10, TimeUnit.SECONDS).hello(hello("p")).getMessage())
                  .isEqualTo("hello p");
            });
  }

  @Test
  void aStubTypeWithoutFactoryFailsStartUpNamingTheParameter() {
    runner()
        .withUserConfiguration(WrongParameter.class)
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .hasMessageContaining("@MeshClient on parameter")
                    .hasMessageContaining(
                        "has no public static factory taking an io.grpc.Channel and returning"
                            + " FakeStub"));
  }

  @Test
  void closingTheContextLetsACallInFlightFinishThenStopsTheServer() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<String> answers = new CopyOnWriteArrayList<>();
    runner()
        .withPropertyValues("mesh4j.grpc.shutdown-grace-period=20s")
        .withBean(CountDownLatch.class, () -> release)
        .withUserConfiguration(SlowGreeter.class, Callers.class)
        .run(
            context -> {
              MeshGrpcServer server = context.getBean(MeshGrpcServer.class);
              pointAtServer(dir, context.getBean(Mesh.class), server.port());
              Callers callers = context.getBean(Callers.class);
              callers
                  .async
                  .withDeadlineAfter(30, TimeUnit.SECONDS)
                  .hello(hello("slow"), observer(answers));
              await()
                  .atMost(Duration.ofSeconds(10))
                  .until(() -> context.getBean(SlowGreeter.class).started.getCount() == 0);
              // let the call finish only once the close has begun
              Thread releaser =
                  new Thread(
                      () -> {
                        await()
                            .atMost(Duration.ofSeconds(10))
                            .until(server::draining);
                        release.countDown();
                      });
              releaser.start();
            });
    await().atMost(Duration.ofSeconds(20)).until(() -> !answers.isEmpty());
    assertThat(answers).containsExactly("hello slow");
  }

  @Test
  void customizersAdjustTheServerAndTheMeshEndpointShowsIt() {
    runner()
        .withConfiguration(AutoConfigurations.of(MeshActuatorAutoConfiguration.class))
        .withPropertyValues("management.endpoints.web.exposure.include=mesh")
        .withUserConfiguration(Greeter.class)
        .withBean(
            MeshGrpcServerCustomizer.class,
            () ->
                builder ->
                    builder.addService(
                        io.grpc.ServerServiceDefinition.builder("test.Extra").build()))
        .run(
            context -> {
              MeshGrpcServer server = context.getBean(MeshGrpcServer.class);
              assertThat(server.services())
                  .containsExactlyInAnyOrder("mesh4j.test.Greeter", "test.Extra");
              assertThat(context.getBean(MeshEndpoint.class).mesh().grpcServer())
                  .isEqualTo(
                      new MeshEndpoint.GrpcServerDescriptor(server.port(), server.services()));
            });
  }

  @Test
  void withoutMeshGrpcAStubFieldFailsStartUpNamingTheModule() {
    runner()
        .withClassLoader(new FilteredClassLoader("io.mesh4j.grpc"))
        .withUserConfiguration(Callers.class)
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .hasMessageContaining("Callers.blocking")
                    .hasMessageContaining("needs mesh-grpc on the class path"));
  }

  @Test
  void withoutAnnotatedServicesNoServerRuns() {
    runner()
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(MeshGrpcServer.class).isRunning()).isFalse();
              assertThat(context.getBean(MeshGrpcServer.class).port()).isEqualTo(-1);
            });
  }

  @Test
  void anAnnotatedBeanThatIsNoServiceFailsStartUpWithItsName() {
    runner()
        .withUserConfiguration(NotAService.class)
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("'meshGrpcServiceTest.NotAService'")
                    .hasMessageContaining("expected an io.grpc.BindableService"));
  }

  @Test
  void aServiceWithoutMeshServiceNameFailsStartUp() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(MeshAutoConfiguration.class, MeshGrpcAutoConfiguration.class))
        .withPropertyValues("mesh4j.config-dir=" + dir, "mesh4j.grpc.port=0")
        .withUserConfiguration(Greeter.class)
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("set mesh4j.service"));
  }

  @Test
  void anAnnotationNamingItsServiceNeedsNoProperty() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(MeshAutoConfiguration.class, MeshGrpcAutoConfiguration.class))
        .withPropertyValues(
            "mesh4j.config-dir=" + dir, "mesh4j.grpc.port=0", "mesh4j.grpc.address=127.0.0.1")
        .withUserConfiguration(NamedGreeter.class)
        .run(context -> assertThat(context.getBean(MeshGrpcServer.class).port()).isPositive());
  }

  @Test
  void aPortInUseFailsStartUpNamingTheAddressAndTheProperties() throws Exception {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      runner()
          .withPropertyValues("mesh4j.grpc.port=" + taken.getLocalPort())
          .withUserConfiguration(Greeter.class)
          .run(
              context ->
                  assertThat(context.getStartupFailure())
                      .hasStackTraceContaining(
                          "mesh4j: cannot start the gRPC server on /127.0.0.1:"
                              + taken.getLocalPort()
                              + " (mesh4j.grpc.address/mesh4j.grpc.port)"));
    }
  }

  @Test
  void aNegativePortIsRefusedWithTheProperty() {
    runner()
        .withPropertyValues("mesh4j.grpc.port=-1")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "mesh4j.grpc.port must be 0 (any free port) to 65535, got -1"));
  }

  @Test
  void withoutMeshGrpcThereIsNoServer() {
    runner()
        .withClassLoader(new FilteredClassLoader("io.mesh4j.grpc"))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(MeshGrpcServer.class));
  }

  private static StreamObserver<HelloReply> observer(List<String> answers) {
    return new StreamObserver<>() {
      @Override
      public void onNext(HelloReply value) {
        answers.add(value.getMessage());
      }

      @Override
      public void onError(Throwable t) {
        answers.add("error " + Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {}
    };
  }

  @MeshGrpcService
  static class Greeter extends GreeterGrpc.GreeterImplBase {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void hello(HelloRequest request, StreamObserver<HelloReply> response) {
      calls.add(request.getName());
      response.onNext(
          HelloReply.newBuilder().setServer("one").setMessage("hello " + request.getName()).build());
      response.onCompleted();
    }
  }

  @MeshGrpcService(service = "greeter.test")
  static class NamedGreeter extends Greeter {}

  @MeshGrpcService
  static class SlowGreeter extends GreeterGrpc.GreeterImplBase {
    final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch release;

    SlowGreeter(CountDownLatch release) {
      this.release = release;
    }

    @Override
    public void hello(HelloRequest request, StreamObserver<HelloReply> response) {
      started.countDown();
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      response.onNext(HelloReply.newBuilder().setMessage("hello " + request.getName()).build());
      response.onCompleted();
    }
  }

  @MeshGrpcService
  static class NotAService {}

  @Configuration(proxyBeanMethods = false)
  static class Callers {
    @MeshClient("greeter.test")
    GreeterGrpc.GreeterBlockingStub blocking;

    @MeshClient("greeter.test")
    GreeterGrpc.GreeterBlockingV2Stub blockingV2;

    @MeshClient("greeter.test")
    GreeterGrpc.GreeterFutureStub future;

    @MeshClient("greeter.test")
    GreeterGrpc.GreeterStub async;

    @MeshClient("greeter.test")
    ManagedChannel channel;
  }

  @Configuration(proxyBeanMethods = false)
  static class BeanMethodCaller {
    @Bean
    GreeterGrpc.GreeterBlockingStub greeter(
        @MeshClient("greeter.test") GreeterGrpc.GreeterBlockingStub stub) {
      return stub;
    }
  }

  /** A stub class written by hand: its enclosing class has no factory for it. */
  static final class FakeStub extends io.grpc.stub.AbstractBlockingStub<FakeStub> {
    FakeStub(io.grpc.Channel channel, io.grpc.CallOptions options) {
      super(channel, options);
    }

    @Override
    protected FakeStub build(io.grpc.Channel channel, io.grpc.CallOptions options) {
      return new FakeStub(channel, options);
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class WrongParameter {
    @Bean
    String greeter(@MeshClient("greeter.test") FakeStub stub) {
      return "never";
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class PortListener implements ApplicationListener<MeshGrpcServerStartedEvent> {
    final List<Integer> ports = new CopyOnWriteArrayList<>();

    @Override
    public void onApplicationEvent(MeshGrpcServerStartedEvent event) {
      ports.add(event.port());
    }
  }
}
