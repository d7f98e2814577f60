package io.mesh4j.samples;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain grpc-java server for the demo's {@code shop.Catalog} service on 127.0.0.1. It knows
 * nothing of mesh4j: it answers with its own name, counts the calls it gets, and can be told to
 * fail every call with UNAVAILABLE.
 */
final class CatalogServer implements AutoCloseable {

  /**
   * {@code shop.Catalog/GetItem}: item id in, a description naming the server out. It is marked
   * safe, as protoc marks a method declared with {@code idempotency_level = NO_SIDE_EFFECTS}; the
   * mesh retries failed replies only for such methods unless a route opts in with {@code
   * retryNonIdempotent}.
   */
  static final MethodDescriptor<String, String> GET_ITEM =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setSafe(true)
          .setIdempotent(true)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("shop.Catalog", "GetItem"))
          .setRequestMarshaller(Utf8Marshaller.INSTANCE)
          .setResponseMarshaller(Utf8Marshaller.INSTANCE)
          .build();

  private final String name;
  private final String version;
  private final Server server;
  private final AtomicInteger calls = new AtomicInteger();
  private volatile boolean failing;

  CatalogServer(String name, String version) {
    this.name = name;
    this.version = version;
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("shop.Catalog")
            .addMethod(GET_ITEM, ServerCalls.asyncUnaryCall(this::getItem))
            .build();
    try {
      server =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
              .addService(service)
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void getItem(String itemId, StreamObserver<String> response) {
    calls.incrementAndGet();
    if (failing) {
      response.onError(Status.UNAVAILABLE.withDescription(name + " is down").asRuntimeException());
      return;
    }
    response.onNext("item " + itemId + " from " + name);
    response.onCompleted();
  }

  String name() {
    return name;
  }

  String version() {
    return version;
  }

  int port() {
    return server.getPort();
  }

  /** Calls received since the last reset, failed ones included. */
  int takeCalls() {
    return calls.getAndSet(0);
  }

  void failing(boolean failing) {
    this.failing = failing;
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** Strings as UTF-8 bytes, so the demo needs no generated protobuf code. */
  enum Utf8Marshaller implements MethodDescriptor.Marshaller<String> {
    INSTANCE;

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
  }
}
