package io.mesh4j.controller;

import io.grpc.HandlerRegistry;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.mesh4j.controller.testing.Utf8;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A {@code shop.Catalog} server on 127.0.0.1 answering {@code GetItem} with its name, for the xDS
 * interop tests; a flaky one fails every other call (the first, third...) with UNAVAILABLE, and
 * the first attempt of every item {@link #failFirstAttempt} picks fails the same way. It counts
 * attempts per item and calls of methods it does not serve.
 */
final class CatalogBackend implements AutoCloseable {

  static final MethodDescriptor<String, String> GET_ITEM =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("shop.Catalog", "GetItem"))
          .setRequestMarshaller(Utf8.INSTANCE)
          .setResponseMarshaller(Utf8.INSTANCE)
          .build();

  final AtomicInteger calls = new AtomicInteger();
  /** Calls of methods other than {@code GetItem}, answered UNIMPLEMENTED. */
  final AtomicInteger unknownCalls = new AtomicInteger();
  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  volatile Predicate<String> failFirstAttempt = item -> false;
  private final String name;
  private final boolean flaky;
  private final Server server;

  CatalogBackend(String name, boolean flaky) throws IOException {
    this.name = name;
    this.flaky = flaky;
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("shop.Catalog").addMethod(GET_ITEM, ServerCalls.asyncUnaryCall(this::getItem)).build();
    HandlerRegistry unknown = new HandlerRegistry() {
      @Override
      public @Nullable ServerMethodDefinition<?, ?> lookupMethod(String method, @Nullable String authority) {
        unknownCalls.incrementAndGet();
        return null;
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(service).fallbackHandlerRegistry(unknown).build().start();
  }

  private void getItem(String item, StreamObserver<String> response) {
    int n = calls.incrementAndGet();
    int attempt = attempts.computeIfAbsent(item, k -> new AtomicInteger()).incrementAndGet();
    if ((flaky && n % 2 == 1) || (attempt == 1 && failFirstAttempt.test(item))) {
      response.onError(Status.UNAVAILABLE.withDescription("failing once, as the test wants").asRuntimeException());
      return;
    }
    response.onNext(name);
    response.onCompleted();
  }

  /** Attempts so far of the items starting with {@code prefix}. */
  int attempts(String prefix) {
    return attempts.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToInt(e -> e.getValue().get()).sum();
  }

  int port() {
    return server.getPort();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** A directory under {@code dir} with the mesh settings, v1 and v2 as subsets of catalog.shop, and {@code route}. */
  static Path config(Path dir, CatalogBackend v1, CatalogBackend v2, String route) throws IOException {
    Path config = Files.createDirectory(dir.resolve("config"));
    LocalDirectory.write(config, "mesh.yaml", LocalDirectory.MESH);
    LocalDirectory.write(config, "catalog-endpoints.yaml", """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog
          endpoints:
            - {address: 127.0.0.1, port: %d, labels: {version: v1}}
            - {address: 127.0.0.1, port: %d, labels: {version: v2}}
        """.formatted(v1.port(), v2.port()));
    LocalDirectory.write(config, "catalog.yaml", route);
    return config;
  }
}
