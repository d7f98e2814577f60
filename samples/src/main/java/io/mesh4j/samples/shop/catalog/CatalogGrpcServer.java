package io.mesh4j.samples.shop.catalog;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mesh4j.core.Mesh;
import io.mesh4j.grpc.MeshServerInterceptors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The catalog's gRPC server, started and stopped with the Spring context. Every call passes the
 * mesh's server interceptor for {@code catalog.shop}, which applies the service's authorization
 * and server-side rate limit.
 */
@Component
public class CatalogGrpcServer implements SmartLifecycle {

  private final CatalogService service;
  private final Mesh mesh;
  private final String address;
  private final int port;
  private volatile Server server;

  /** A server for {@code service} on {@code catalog.grpc.address}:{@code catalog.grpc.port} (0 picks a free port). */
  public CatalogGrpcServer(
      CatalogService service,
      Mesh mesh,
      @Value("${catalog.grpc.address}") String address,
      @Value("${catalog.grpc.port}") int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("catalog.grpc.port must be between 0 and 65535, got " + port);
    }
    this.service = service;
    this.mesh = mesh;
    this.address = address;
    this.port = port;
  }

  @Override
  public void start() {
    try {
      server =
          NettyServerBuilder.forAddress(new InetSocketAddress(address, port))
              .addService(
                  ServerInterceptors.intercept(service, MeshServerInterceptors.forService(mesh, "catalog.shop")))
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "catalog " + service.instance() + " cannot listen on " + address + ":" + port, e);
    }
  }

  @Override
  public void stop() {
    Server s = server;
    if (s != null) {
      s.shutdown();
      try {
        if (!s.awaitTermination(5, TimeUnit.SECONDS)) {
          s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        s.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public boolean isRunning() {
    Server s = server;
    return s != null && !s.isShutdown();
  }

  /** The port the server listens on. */
  public int port() {
    Server s = server;
    if (s == null) {
      throw new IllegalStateException("the catalog's gRPC server has not started");
    }
    return s.getPort();
  }

  /** Blocks until the server stops, for a catalog run as its own process. */
  public void awaitTermination() throws InterruptedException {
    Server s = server;
    if (s != null) {
      s.awaitTermination();
    }
  }
}
