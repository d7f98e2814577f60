package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MeshClientTest {

  /** Strings as UTF-8 bytes, so the test needs no protobuf code generation. */
  private static final MethodDescriptor.Marshaller<String> UTF8 =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static final MethodDescriptor<String, String> HELLO =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("test.Greeter/Hello")
          .setRequestMarshaller(UTF8)
          .setResponseMarshaller(UTF8)
          .build();

  @TempDir Path dir;
  private Server server;

  @BeforeEach
  void startServer() throws IOException {
    ServerServiceDefinition greeter =
        ServerServiceDefinition.builder("test.Greeter")
            .addMethod(
                HELLO,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext("hello " + request);
                      response.onCompleted();
                    }))
            .build();
    server =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(greeter)
            .build()
            .start();
    // the server listens on every interface; the policy sends the mesh to loopback only
    int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    Files.writeString(
        dir.resolve("catalog.yaml"),
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog.shop
          endpoints:
            - {address: 127.0.0.1, port: %d, labels: {version: v1}}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          rules:
            - backends: [{}]
        """
            .formatted(port));
  }

  @AfterEach
  void stopServer() throws InterruptedException {
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class))
        .withPropertyValues("mesh4j.config-dir=" + dir);
  }

  @Test
  void anInjectedChannelReachesTheServerAndIsShutDownWithTheContext() {
    ManagedChannel[] seen = new ManagedChannel[1];
    long[] closing = new long[1];
    runner()
        .withUserConfiguration(CatalogCaller.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              CatalogCaller caller = context.getBean(CatalogCaller.class);
              assertThat(caller.hello("mesh")).isEqualTo("hello mesh");
              // fields naming the same destination share one channel
              assertThat(caller.managed).isSameAs(caller.channel);
              seen[0] = caller.managed;
              closing[0] = System.nanoTime();
            });
    long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closing[0]);
    assertThat(seen[0].isTerminated()).isTrue();
    // the channels close before the mesh does; the other way round grpc-java keeps the dropped
    // connections for 5 s and every shutdown waits for them
    assertThat(closeMillis).isLessThan(4500);
  }

  @Test
  void anInjectedOkHttpClientHasTheMeshInstalled() {
    runner()
        .withUserConfiguration(HttpCaller.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              OkHttpClient client = context.getBean(HttpCaller.class).client;
              assertThat(client.interceptors()).hasSize(1);
              assertThat(client.retryOnConnectionFailure()).isFalse();
            });
  }

  @Test
  void aFieldOfAnotherTypeFailsTheContext() {
    runner()
        .withUserConfiguration(WrongType.class)
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .hasMessageContaining("WrongType.notAClient")
                    .hasMessageContaining("type java.lang.String")
                    .hasMessageContaining("a generated gRPC stub"));
  }

  @Configuration(proxyBeanMethods = false)
  static class CatalogCaller {
    @MeshClient("catalog.shop")
    Channel channel;

    @MeshClient("catalog.shop")
    ManagedChannel managed;

    String hello(String name) {
      return ClientCalls.blockingUnaryCall(
          channel, HELLO, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), name);
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class HttpCaller {
    @MeshClient("catalog.shop")
    OkHttpClient client;
  }

  @Configuration(proxyBeanMethods = false)
  static class WrongType {
    @MeshClient("catalog.shop")
    String notAClient;
  }
}
