package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * gRPC's {@code grpc-retry-pushback-ms} through a mesh channel against a real server on loopback,
 * in real time, on a method generated without {@code idempotency_level} that the route marks
 * retryable.
 */
@Timeout(30)
class PushbackGrpcTest {

  /** How most protos describe a method: not marked idempotent. */
  private static final MethodDescriptor<String, String> CHECK =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("grpc.health.v1.Health/Check")
          .setRequestMarshaller(EchoService.UTF8)
          .setResponseMarshaller(EchoService.UTF8)
          .build();

  private static final Metadata.Key<String> PUSHBACK =
      Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  private final TestMesh mesh = grpc.register(new TestMesh());
  private final AtomicInteger calls = new AtomicInteger();

  /**
   * A server whose first answer is UNAVAILABLE with {@code pushback} as its trailer (none when
   * null) and every later one "SERVING".
   */
  private int server(@Nullable String pushback) throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("grpc.health.v1.Health")
            .addMethod(CHECK, ServerCalls.asyncUnaryCall(
                (String request, StreamObserver<String> response) -> {
                  if (calls.incrementAndGet() > 1) {
                    response.onNext("SERVING");
                    response.onCompleted();
                    return;
                  }
                  Metadata trailers = new Metadata();
                  if (pushback != null) {
                    trailers.put(PUSHBACK, pushback);
                  }
                  response.onError(
                      Status.UNAVAILABLE.withDescription("overloaded").asRuntimeException(trailers));
                }))
            .build();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .addService(service)
            .build()
            .start();
    grpc.register(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return server.getPort();
  }

  private void route(int port, String rule) {
    mesh.apply(
        endpoints(port, "v1")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              rules:
                - %s
            """
                .formatted(rule));
  }

  private String check(CallOptions options) {
    ManagedChannel channel = grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));
    return ClientCalls.blockingUnaryCall(channel, CHECK, options, "");
  }

  @Test
  void aPushbackIsWaitedBeforeTheRetry() throws IOException {
    route(
        server("300"),
        "retries: {attempts: 2, idempotentMethods: [grpc.health.v1.Health/Check]}");

    long start = System.nanoTime();
    assertThat(check(CallOptions.DEFAULT)).isEqualTo("SERVING");
    long elapsed = System.nanoTime() - start;

    assertThat(calls.get()).isEqualTo(2);
    assertThat(Duration.ofNanos(elapsed)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }

  @Test
  void aMethodNotMarkedIdempotentIsNotRetriedUnlessTheRouteSaysSo() throws IOException {
    route(server(null), "retries: {attempts: 2}");

    assertThatThrownBy(() -> check(CallOptions.DEFAULT))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void aNegativePushbackStopsRetrying() throws IOException {
    route(server("-1"), "retries: {attempts: 3, idempotentMethods: [grpc.health.v1.Health/*]}");

    assertThatThrownBy(() -> check(CallOptions.DEFAULT))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo(
                      "overloaded\nmesh4j: not retried: the server asked for no retry of the call"
                          + " to catalog.shop");
            });
    assertThat(calls.get()).as("exactly one attempt").isEqualTo(1);
  }

  @Test
  void aMalformedPushbackStopsRetryingToo() throws IOException {
    route(server("soon"), "retries: {attempts: 3, idempotentMethods: [grpc.health.v1.Health/*]}");

    assertThatThrownBy(() -> check(CallOptions.DEFAULT)).isInstanceOf(StatusRuntimeException.class);
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void aPushbackPastTheDeadlineFailsTheCallAtOnceWithTheMeshsReason() throws IOException {
    route(server("2000"), "retries: {attempts: 3, idempotentMethods: [grpc.health.v1.Health/*]}");

    long start = System.nanoTime();
    assertThatThrownBy(
            () -> check(CallOptions.DEFAULT.withDeadlineAfter(500, TimeUnit.MILLISECONDS)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .startsWith(
                      "overloaded\nmesh4j: not retried: the server asked to wait 2000 ms before a"
                          + " retry, longer than the ")
                  .endsWith(" left until the deadline of the call to catalog.shop");
            });
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(450));
    assertThat(calls.get()).isEqualTo(1);
  }
}
