package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.testing.FakeSleeper;
import io.mesh4j.core.testing.conformance.ClientAdapterConformance;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The client conformance kit against the gRPC client: a mesh channel to gRPC peers. */
class GrpcClientConformanceTest extends ClientAdapterConformance {

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  /** Every balancer with each peer failing in turn: the loopback check of fairness. */
  @Override
  protected boolean everyFailingPosition() {
    return true;
  }

  @Override
  protected Peer peer(String name) {
    List<Metadata> seen = new CopyOnWriteArrayList<>();
    ServerInterceptor recordHeaders =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            seen.add(headers);
            return next.startCall(call, headers);
          }
        };
    Backend backend = grpc.backend(name, recordHeaders);
    return new Peer() {
      @Override
      public int port() {
        return backend.port();
      }

      @Override
      public int calls() {
        return backend.calls();
      }

      @Override
      public void behave(Behavior behavior) {
        backend.failWith(behavior == Behavior.FAIL ? Status.UNAVAILABLE : Status.OK);
        backend.answerAfter(
            switch (behavior) {
              case HANG -> Duration.ofMinutes(5);
              case SLOW -> Duration.ofMillis(300);
              case STEADY -> Duration.ofMillis(1);
              default -> Duration.ZERO;
            });
      }

      @Override
      public List<@Nullable String> header(String name) {
        Metadata.Key<String> key = Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
        return seen.stream().<@Nullable String>map(m -> m.get(key)).toList();
      }

      @Override
      public void close() {}
    };
  }

  @Override
  protected Client client(Mesh mesh) {
    // Closed with the client, before the kit closes the mesh the channel resolves through.
    ManagedChannel channel = MeshChannels.forService(mesh, "catalog.shop");
    return new Client() {
      @Override
      public Result call(Map<String, String> headers) {
        Metadata metadata = new Metadata();
        headers.forEach(
            (k, v) -> metadata.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
        try {
          String answer =
              ClientCalls.blockingUnaryCall(
                  io.grpc.ClientInterceptors.intercept(
                      channel, MetadataUtils.newAttachHeadersInterceptor(metadata)),
                  EchoService.UNARY,
                  CallOptions.DEFAULT,
                  "hi");
          return new Result("OK", null, answer);
        } catch (StatusRuntimeException e) {
          return failed(e.getStatus());
        }
      }

      @Override
      public Pending start() {
        ClientCall<String, String> call = channel.newCall(EchoService.UNARY, CallOptions.DEFAULT);
        ListenableFuture<String> answer = ClientCalls.futureUnaryCall(call, "hi");
        return new Pending() {
          @Override
          public void cancel() {
            call.cancel("cancelled by the test", null);
          }

          @Override
          public Result await() throws InterruptedException {
            try {
              return new Result("OK", null, answer.get());
            } catch (ExecutionException e) {
              return failed(Status.fromThrowable(e.getCause()));
            }
          }
        };
      }

      @Override
      public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    };
  }

  private static Result failed(Status status) {
    String message = String.valueOf(status.getDescription());
    return new Result(status.getCode().name(), reasonOf(message), message);
  }

  /** The mesh's reason, read back from the message every refusal starts with. */
  private static MeshFailure.@Nullable Reason reasonOf(String message) {
    for (MeshFailure.Reason r : MeshFailure.Reason.values()) {
      if (message.startsWith("mesh4j: " + r.phrase() + " for ")) {
        return r;
      }
    }
    return null;
  }

  @Override
  protected String retryableStatus() {
    return "UNAVAILABLE";
  }

  @Override
  protected String okStatus() {
    return "OK";
  }

  // --- gRPC only: every ClientCall method and call option reaches every attempt unchanged

  /**
   * A peer that records, per message, whether it arrived compressed, and the deadline it had; it
   * answers with {@code answer}, or never when that is null.
   */
  private static final class WirePeer implements AutoCloseable {
    final List<Boolean> compressed = new CopyOnWriteArrayList<>();
    final List<@Nullable String> timeouts = new CopyOnWriteArrayList<>();
    final Server server;

    WirePeer(@Nullable Status answer) throws IOException {
      ServerCalls.UnaryMethod<String, String> handler =
          (request, response) -> {
            if (answer == null) {
              return;
            }
            if (answer.isOk()) {
              response.onNext("wire");
              response.onCompleted();
            } else {
              response.onError(answer.asRuntimeException());
            }
          };
      ServerInterceptor deadlines =
          new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
              timeouts.add(
                  headers.get(Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER)));
              return next.startCall(call, headers);
            }
          };
      server =
          NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
              .addService(
                  ServerInterceptors.intercept(
                      ServerServiceDefinition.builder(EchoService.SERVICE)
                          .addMethod(EchoService.UNARY, ServerCalls.asyncUnaryCall(handler))
                          .build(),
                      deadlines))
              .addStreamTracerFactory(
                  new ServerStreamTracer.Factory() {
                    @Override
                    public ServerStreamTracer newServerStreamTracer(
                        String fullMethodName, Metadata headers) {
                      return new ServerStreamTracer() {
                        private long wire;
                        private long uncompressed;

                        @Override
                        public void inboundWireSize(long bytes) {
                          wire += bytes;
                        }

                        @Override
                        public void inboundUncompressedSize(long bytes) {
                          uncompressed += bytes;
                        }

                        @Override
                        public void streamClosed(Status status) {
                          // 4 KiB of one letter shrinks to a few bytes when compressed
                          compressed.add(wire < uncompressed / 2);
                        }
                      };
                    }
                  })
              .build()
              .start();
    }

    @Override
    public void close() throws InterruptedException {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private ManagedChannel channelTo(WirePeer peer, String retries) {
    Mesh mesh = mesh(FakeSleeper.automatic(ticker));
    apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog.shop
          endpoints:
            - {address: 127.0.0.1, port: %d}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          rules:
            - backends: [{}]
              %s
        """
            .formatted(peer.server.getPort(), retries));
    ManagedChannel channel = MeshChannels.forService(mesh, "catalog.shop");
    closing(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return channel;
  }

  /** A unary gzip call whose application sets message compression before sending. */
  private static void callWithCompression(ManagedChannel channel, boolean compress)
      throws Exception {
    ClientCall<String, String> call =
        channel.newCall(
            EchoService.UNARY,
            CallOptions.DEFAULT.withCompression("gzip").withDeadlineAfter(20, TimeUnit.SECONDS));
    ListenableFuture<String> answer =
        ClientCalls.futureUnaryCall(
            new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(call) {
              @Override
              public void start(Listener<String> listener, Metadata headers) {
                super.start(listener, headers);
                setMessageCompression(compress);
              }
            },
            "x".repeat(4096));
    try {
      answer.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      // a failing peer answers every attempt with an error; the attempts are what is checked
    }
  }

  @org.junit.jupiter.api.Test
  void messageCompressionTurnedOffReachesEveryAttempt() throws Exception {
    WirePeer peer = closing(new WirePeer(Status.UNAVAILABLE));
    ManagedChannel channel =
        channelTo(peer, "retries: {attempts: 3, retryOn: [UNAVAILABLE], backoff: {base: 1ms, max: 1ms}}");

    callWithCompression(channel, false);

    // the server's stream ends a moment after the client has its answer
    await().atMost(Duration.ofSeconds(10)).until(() -> peer.compressed.size() == 3);
    assertThat(peer.compressed).containsExactly(false, false, false);
  }

  @org.junit.jupiter.api.Test
  void messageCompressionTurnedOnReachesEveryAttempt() throws Exception {
    WirePeer peer = closing(new WirePeer(Status.UNAVAILABLE));
    ManagedChannel channel =
        channelTo(peer, "retries: {attempts: 2, retryOn: [UNAVAILABLE], backoff: {base: 1ms, max: 1ms}}");

    callWithCompression(channel, true);

    await().atMost(Duration.ofSeconds(10)).until(() -> peer.compressed.size() == 2);
    assertThat(peer.compressed).containsExactly(true, true);
  }

  @org.junit.jupiter.api.Test
  void theCallersDeadlineReachesEveryAttempt() throws Exception {
    WirePeer peer = closing(new WirePeer(Status.UNAVAILABLE));
    ManagedChannel channel =
        channelTo(peer, "retries: {attempts: 2, retryOn: [UNAVAILABLE], backoff: {base: 1ms, max: 1ms}}");

    callWithCompression(channel, false);

    // grpc-timeout is the time left in the unit gRPC picks; every attempt carries one, and none
    // is longer than the caller's 20 seconds
    assertThat(peer.timeouts).hasSize(2).allSatisfy(t -> assertThat(t).isNotNull());
    assertThat(peer.timeouts)
        .allSatisfy(t -> assertThat(nanos(String.valueOf(t))).isLessThanOrEqualTo(20_000_000_000L));
  }

  @org.junit.jupiter.api.Test
  void aPerTryTimeoutIsKeptByTheMeshAndTheServerIsToldTheCallersDeadlineWhenThereIsOne()
      throws Exception {
    WirePeer peer = closing(new WirePeer(null));
    ManagedChannel channel =
        channelTo(
            peer,
            "retries: {attempts: 2, perTryTimeout: 300ms, retryOn: [per-try-timeout],"
                + " backoff: {base: 1ms, max: 1ms}}");

    // Without a deadline of the caller's, each attempt carries its own in its options.
    Status alone = hangingCall(channel, CallOptions.DEFAULT);
    assertThat(alone.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(peer.timeouts).hasSize(2);
    assertThat(peer.timeouts)
        .allSatisfy(t -> assertThat(nanos(String.valueOf(t))).isLessThanOrEqualTo(300_000_000L));

    // Within the caller's 20 seconds, the mesh's timer cuts each attempt off at 300 ms (the call
    // would otherwise wait out the 20 s) and the server is told the caller's deadline, as with
    // gRPC's own retries; the caller learns which timeout ended the call.
    peer.timeouts.clear();
    Status bounded =
        hangingCall(channel, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
    assertThat(bounded.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(bounded.getDescription())
        .contains("attempt 2 to catalog.shop had no answer within its per-try timeout of 300 ms");
    assertThat(peer.timeouts).hasSize(2);
    assertThat(peer.timeouts)
        .allSatisfy(t -> assertThat(nanos(String.valueOf(t))).isGreaterThan(10_000_000_000L));
  }

  private static Status hangingCall(ManagedChannel channel, CallOptions options) throws Exception {
    ListenableFuture<String> answer =
        ClientCalls.futureUnaryCall(channel.newCall(EchoService.UNARY, options), "hi");
    try {
      answer.get(10, TimeUnit.SECONDS);
      throw new AssertionError("a peer that never answers answered");
    } catch (ExecutionException e) {
      return Status.fromThrowable(e);
    }
  }

  private static long nanos(String grpcTimeout) {
    long v = Long.parseLong(grpcTimeout.substring(0, grpcTimeout.length() - 1));
    return switch (grpcTimeout.charAt(grpcTimeout.length() - 1)) {
      case 'H' -> TimeUnit.HOURS.toNanos(v);
      case 'M' -> TimeUnit.MINUTES.toNanos(v);
      case 'S' -> TimeUnit.SECONDS.toNanos(v);
      case 'm' -> TimeUnit.MILLISECONDS.toNanos(v);
      case 'u' -> TimeUnit.MICROSECONDS.toNanos(v);
      default -> v;
    };
  }

  @Override
  protected String gatewayRouteKind() {
    return "GRPCRoute";
  }
}
