package io.mesh4j.grpc.testing;

import io.grpc.Attributes;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real gRPC server on 127.0.0.1 and a random port, serving {@link EchoService}. It answers
 * with its own name, counts the calls it received, and can be told to fail, to answer slowly, or
 * to break a stream after some messages.
 */
public final class Backend implements AutoCloseable {

  private final String name;
  private final Server server;
  private final ScheduledExecutorService timer;
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicInteger answered = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile Status failWith = Status.OK;
  private volatile Duration delay = Duration.ZERO;
  private volatile int streamFailAfter = -1;

  Backend(String name, List<ServerInterceptor> interceptors) {
    this.name = name;
    // A single daemon thread answers delayed calls, so a slow backend holds no server thread.
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "backend-" + name);
              t.setDaemon(true);
              return t;
            });
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(EchoService.SERVICE)
            .addMethod(EchoService.UNARY, ServerCalls.asyncUnaryCall(this::unary))
            .addMethod(EchoService.OTHER, ServerCalls.asyncUnaryCall(this::unary))
            .addMethod(EchoService.STREAM, ServerCalls.asyncServerStreamingCall(this::stream))
            .addMethod(EchoService.COLLECT, ServerCalls.asyncClientStreamingCall(this::collect))
            .build();
    try {
      this.server =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
              .directExecutor()
              // Above gRPC's 8 KiB default, so tests can send the oversized headers an attacker
              // would and see what the client side of the mesh does with them.
              .maxInboundMetadataSize(256 * 1024)
              .addService(ServerInterceptors.intercept(service, interceptors))
              .addTransportFilter(
                  new ServerTransportFilter() {
                    @Override
                    public Attributes transportReady(Attributes attributes) {
                      connections.incrementAndGet();
                      return attributes;
                    }

                    @Override
                    public void transportTerminated(Attributes attributes) {
                      connections.decrementAndGet();
                    }
                  })
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The name it answers with. */
  public String name() {
    return name;
  }

  /** The loopback port it listens on. */
  public int port() {
    return server.getPort();
  }

  /** Calls received so far, failed ones included. */
  public int calls() {
    return calls.get();
  }

  /** Unary calls received and not yet answered. */
  public int active() {
    return active.get();
  }

  /** Unary calls answered with OK so far. */
  public int answered() {
    return answered.get();
  }

  /** Client connections open right now. */
  public int connections() {
    return connections.get();
  }

  /** From now on every call fails with {@code status}; {@link Status#OK} restores answers. */
  public Backend failWith(Status status) {
    this.failWith = status;
    return this;
  }

  /** From now on every unary answer is sent after {@code delay}. */
  public Backend answerAfter(Duration delay) {
    this.delay = delay;
    return this;
  }

  /** From now on streams fail with UNAVAILABLE after sending {@code messages} messages. */
  public Backend breakStreamsAfter(int messages) {
    this.streamFailAfter = messages;
    return this;
  }

  private void unary(String request, StreamObserver<String> response) {
    calls.incrementAndGet();
    Status status = failWith;
    if (!status.isOk()) {
      response.onError(status.asRuntimeException());
      return;
    }
    Duration d = delay;
    active.incrementAndGet();
    if (d.isZero()) {
      answer(response);
    } else {
      timer.schedule(() -> answer(response), d.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void answer(StreamObserver<String> response) {
    try {
      response.onNext(name);
      response.onCompleted();
      answered.incrementAndGet();
    } finally {
      active.decrementAndGet();
    }
  }

  private void stream(String request, StreamObserver<String> response) {
    calls.incrementAndGet();
    Status status = failWith;
    if (!status.isOk()) {
      response.onError(status.asRuntimeException());
      return;
    }
    int count = Integer.parseInt(request);
    int failAfter = streamFailAfter;
    for (int i = 0; i < count; i++) {
      if (i == failAfter) {
        response.onError(Status.UNAVAILABLE.withDescription("stream broken").asRuntimeException());
        return;
      }
      response.onNext(name + "#" + i);
    }
    response.onCompleted();
  }

  private StreamObserver<String> collect(StreamObserver<String> response) {
    calls.incrementAndGet();
    List<String> received = new ArrayList<>();
    return new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        received.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        response.onNext(name + ":" + String.join(",", received));
        response.onCompleted();
      }
    };
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      timer.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return name + "@127.0.0.1:" + port();
  }
}
