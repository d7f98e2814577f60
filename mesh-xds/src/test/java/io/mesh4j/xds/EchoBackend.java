package io.mesh4j.xds;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real gRPC server on 127.0.0.1 answering {@code test.Echo/Unary} with its own name; it counts
 * the calls it received and can be told to fail some or all of them.
 */
final class EchoBackend implements AutoCloseable {

  static final MethodDescriptor.Marshaller<String> UTF8 =
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

  /** Answers with the backend's name; idempotent, as a read is. */
  static final MethodDescriptor<String, String> UNARY =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setIdempotent(true)
          .setFullMethodName("test.Echo/Unary")
          .setRequestMarshaller(UTF8)
          .setResponseMarshaller(UTF8)
          .build();

  private final String name;
  private final Server server;
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger failNext = new AtomicInteger();
  private volatile boolean failAll;

  EchoBackend(String name) {
    this.name = name;
    ServerServiceDefinition service = ServerServiceDefinition.builder("test.Echo")
        .addMethod(UNARY, ServerCalls.asyncUnaryCall((request, response) -> {
          calls.incrementAndGet();
          if (failAll || failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            response.onError(Status.UNAVAILABLE.withDescription(name + " fails on purpose").asRuntimeException());
            return;
          }
          response.onNext(name);
          response.onCompleted();
        }))
        .build();
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .directExecutor()
          .addService(service)
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return server.getPort();
  }

  int calls() {
    return calls.get();
  }

  /** The next {@code n} calls fail with UNAVAILABLE. */
  void failNext(int n) {
    failNext.set(n);
  }

  /** Every call fails with UNAVAILABLE from now on. */
  void failAll() {
    failAll = true;
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
