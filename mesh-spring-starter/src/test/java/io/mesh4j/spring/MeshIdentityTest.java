package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.mesh4j.controller.MeshController;
import io.mesh4j.controller.ca.DirectoryRootStore;
import io.mesh4j.controller.ca.TokenFileAuthenticator;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.grpc.MeshChannels;
import io.mesh4j.spring.test.proto.GreeterGrpc;
import io.mesh4j.spring.test.proto.HelloReply;
import io.mesh4j.spring.test.proto.HelloRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * Two starter applications get certificates from a local-mode controller's CA (authenticated by
 * bootstrap tokens) and call each other over mutual TLS on 127.0.0.1, under STRICT mTLS and an
 * authorization policy that admits only one caller's SPIFFE ID.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MeshIdentityTest {

  private static final String GREETER_ID = "spiffe://mesh.test/ns/test/sa/greeter";
  private static final String CALLER_ID = "spiffe://mesh.test/ns/test/sa/caller";
  private static final String INTRUDER_ID = "spiffe://mesh.test/ns/test/sa/intruder";

  @TempDir Path dir;
  private Path config;
  private MeshController controller;

  @BeforeEach
  void startController() throws IOException {
    config = Files.createDirectories(dir.resolve("config"));
    Policies.write(
        config,
        "mesh.yaml",
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh, namespace: mesh4j-system}
        spec:
          trustDomain: mesh.test
          mtls: STRICT
          certificateLifetime: 30m
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: greeter-callers, namespace: test}
        spec:
          service: greeter
          action: ALLOW
          rules:
            - principals: [%s]
        """
            .formatted(CALLER_ID));
    Path tokens = dir.resolve("tokens");
    Files.writeString(
        tokens,
        """
        greeter-0123456789abcdef   test/greeter
        caller-0123456789abcdef    test/caller
        intruder-0123456789abcdef  test/intruder
        """);
    controller =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                config,
                new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.plaintext(
                    TokenFileAuthenticator.load(tokens),
                    new DirectoryRootStore(dir.resolve("ca"), Duration.ofDays(30), InstantSource.system()))));
  }

  @AfterEach
  void stopController() {
    if (controller != null) {
      controller.close();
    }
  }

  private Path token(String name) throws IOException {
    Path file = dir.resolve(name + ".token");
    Files.writeString(file, name + "-0123456789abcdef\n");
    return file;
  }

  /** The auto-configurations of every application; {@link BootGrpcIdentityTest} adds Boot's. */
  List<Class<?>> configurations() {
    return List.of(MeshAutoConfiguration.class, MeshGrpcAutoConfiguration.class);
  }

  /** The port of the server that serves the greeter. */
  int serverPort(ApplicationContext server) {
    return server.getBean(MeshGrpcServer.class).port();
  }

  private ApplicationContextRunner app(String name, String tokenName) throws IOException {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(configurations().toArray(Class<?>[]::new)))
        .withPropertyValues(
            "spring.grpc.server.port=0",
            "spring.grpc.server.address=127.0.0.1",
            "mesh4j.controller.address=127.0.0.1:" + controller.grpcPort(),
            "mesh4j.application=" + name,
            "mesh4j.namespace=test",
            "mesh4j.identity.token-file=" + token(tokenName),
            "mesh4j.grpc.port=0",
            "mesh4j.grpc.address=127.0.0.1");
  }

  @Test
  void callsBetweenTwoApplicationsGoOverMutualTlsAndTheServerSeesTheCallersSpiffeId()
      throws IOException {
    ApplicationContextRunner intruder =
        app("intruder", "intruder")
            .withPropertyValues("mesh4j.calls=greeter.test")
            .withUserConfiguration(Caller.class);
    ApplicationContextRunner caller =
        app("caller", "caller")
            .withPropertyValues("mesh4j.calls=greeter.test")
            .withUserConfiguration(Caller.class);
    app("greeter", "greeter")
        .withPropertyValues("mesh4j.service=greeter.test")
        .withUserConfiguration(Greeter.class)
        .run(
            server -> {
              assertThat(server).hasNotFailed();
              assertThat(server.getBean(MeshCertificates.class)).isNotNull();
              IdentityMaterial serverCert = server.getBean(Mesh.class).identity().current();
              assertThat(serverCert).isNotNull();
              assertThat(serverCert.spiffeId()).isEqualTo(GREETER_ID);
              // the endpoint also names the server's identity, which the caller then requires
              Policies.write(
                  config,
                  "endpoints.yaml",
                  """
                  apiVersion: mesh4j.io/v1alpha1
                  kind: ServiceEndpoints
                  metadata: {name: greeter, namespace: test}
                  spec:
                    service: greeter.test
                    endpoints:
                      - {address: 127.0.0.1, port: %d, identity: %s}
                  """
                      .formatted(serverPort(server), GREETER_ID));

              caller.run(
                  client -> {
                    assertThat(client).hasNotFailed();
                    Mesh mesh = client.getBean(Mesh.class);
                    assertThat(mesh.identity().require().spiffeId()).isEqualTo(CALLER_ID);
                    await()
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> !mesh.endpoints("greeter.test").isEmpty());
                    HelloReply reply =
                        client
                            .getBean(Caller.class)
                            .stub
                            .withDeadlineAfter(20, TimeUnit.SECONDS)
                            .hello(HelloRequest.newBuilder().setName("c").build());
                    assertThat(reply.getMessage()).isEqualTo("hello c");

                    // a plaintext channel of the same mesh cannot even reach the TLS port
                    ManagedChannel plain = MeshChannels.forService(mesh, "greeter.test");
                    try {
                      assertThatThrownBy(
                              () ->
                                  GreeterGrpc.newBlockingStub(plain)
                                      .withDeadlineAfter(20, TimeUnit.SECONDS)
                                      .hello(HelloRequest.newBuilder().setName("p").build()))
                          .isInstanceOfSatisfying(
                              StatusRuntimeException.class,
                              e ->
                                  assertThat(e.getStatus().getCode())
                                      .isEqualTo(Status.Code.UNAVAILABLE));
                    } finally {
                      plain.shutdownNow();
                    }
                  });

              intruder.run(
                  client -> {
                    assertThat(client).hasNotFailed();
                    Mesh mesh = client.getBean(Mesh.class);
                    await()
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> !mesh.endpoints("greeter.test").isEmpty());
                    // the server judged the call on the certificate's identity, and names it
                    assertThatThrownBy(
                            () ->
                                client
                                    .getBean(Caller.class)
                                    .stub
                                    .withDeadlineAfter(20, TimeUnit.SECONDS)
                                    .hello(HelloRequest.newBuilder().setName("i").build()))
                        .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> {
                              assertThat(e.getStatus().getCode())
                                  .isEqualTo(Status.Code.PERMISSION_DENIED);
                              assertThat(e.getStatus().getDescription()).contains(INTRUDER_ID);
                            });
                  });
              assertThat(server.getBean(Greeter.class).calls).hasValue(1);
            });
  }

  @Test
  void anUnknownTokenFailsStartUpWithTheControllersReason() throws IOException {
    app("caller", "nobody")
        .withPropertyValues("mesh4j.identity.startup-timeout=3s")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("not listed in the controller's token file"));
  }

  @Test
  void identityWithoutATokenFileFailsStartUpNamingTheProperty() throws IOException {
    app("caller", "caller")
        .withPropertyValues("mesh4j.identity.enabled=true", "mesh4j.identity.token-file=")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("mesh4j.identity.token-file is not set"));
  }

  @Test
  void aValueOfEnabledThatIsNotABooleanFailsStartUpNamingTheProperty() throws IOException {
    app("caller", "caller")
        .withPropertyValues("mesh4j.identity.enabled=maybe")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .hasStackTraceContaining(
                        "mesh4j.identity.enabled must be true or false, got 'maybe'"));
  }

  /** The server: counts the calls that reached it. */
  @MeshGrpcService
  static class Greeter extends GreeterGrpc.GreeterImplBase {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public void hello(HelloRequest request, StreamObserver<HelloReply> response) {
      calls.incrementAndGet();
      response.onNext(HelloReply.newBuilder().setMessage("hello " + request.getName()).build());
      response.onCompleted();
    }
  }

  /** A caller with a meshed stub. */
  @Configuration(proxyBeanMethods = false)
  static class Caller {
    @MeshClient("greeter.test")
    GreeterGrpc.GreeterBlockingStub stub;
  }
}
