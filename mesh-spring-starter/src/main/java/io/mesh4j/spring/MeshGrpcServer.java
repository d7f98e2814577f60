package io.mesh4j.spring;

import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mesh4j.core.Mesh;
import io.mesh4j.grpc.MeshServerInterceptors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;

/**
 * The mesh-managed gRPC server: serves every {@link MeshGrpcService} bean, each behind {@link
 * MeshServerInterceptors#forService} for its mesh service, on {@code mesh4j.grpc.address}:{@code
 * mesh4j.grpc.port}. It starts after the context's singletons exist (and only when there is at
 * least one such bean), publishes a {@link MeshGrpcServerStartedEvent} and the property {@code
 * local.mesh4j.grpc.port}, and on close stops taking calls, lets calls in flight finish for {@code
 * mesh4j.grpc.shutdown-grace-period}, then cancels the rest.
 */
public class MeshGrpcServer implements SmartLifecycle {

  /** The property that holds the bound port once the server runs, like {@code local.server.port}. */
  public static final String LOCAL_PORT_PROPERTY = "local.mesh4j.grpc.port";

  private static final Logger log = LoggerFactory.getLogger(MeshGrpcServer.class);

  private final ApplicationContext context;
  private final Mesh mesh;
  private final MeshProperties properties;
  private final ServerCredentials credentials;
  private final List<MeshGrpcServerCustomizer> customizers;
  private volatile @Nullable Server server;
  private volatile List<String> services = List.of();

  /**
   * A server for the {@link MeshGrpcService} beans of {@code context}.
   *
   * @param credentials what the server listens with; see {@link
   *     MeshGrpcAutoConfiguration#meshGrpcServerCredentials}
   */
  public MeshGrpcServer(
      ApplicationContext context,
      Mesh mesh,
      MeshProperties properties,
      ServerCredentials credentials) {
    this(context, mesh, properties, credentials, List.of());
  }

  /** A server whose builder {@code customizers} adjust, in order, before it starts. */
  public MeshGrpcServer(
      ApplicationContext context,
      Mesh mesh,
      MeshProperties properties,
      ServerCredentials credentials,
      List<MeshGrpcServerCustomizer> customizers) {
    this.context = context;
    this.mesh = mesh;
    this.properties = properties;
    this.credentials = credentials;
    this.customizers = List.copyOf(customizers);
  }

  @Override
  public void start() {
    if (server != null) {
      return;
    }
    Map<String, ServerServiceDefinition> definitions = definitions();
    if (definitions.isEmpty()) {
      return;
    }
    MeshProperties.Grpc grpc = properties.getGrpc();
    InetSocketAddress address =
        grpc.getAddress() == null || grpc.getAddress().isBlank()
            ? new InetSocketAddress(grpc.getPort())
            : new InetSocketAddress(grpc.getAddress(), grpc.getPort());
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address, credentials);
    definitions.values().forEach(builder::addService);
    customizers.forEach(c -> c.customize(builder));
    Server started;
    try {
      started = builder.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "mesh4j: cannot start the gRPC server on "
              + address
              + " (mesh4j.grpc.address/mesh4j.grpc.port): "
              + e.getMessage(),
          e);
    }
    server = started;
    List<String> names = new ArrayList<>();
    started.getServices().forEach(d -> names.add(d.getServiceDescriptor().getName()));
    services = List.copyOf(names);
    int port = port();
    if (context instanceof ConfigurableApplicationContext configurable) {
      MutablePropertySources sources = configurable.getEnvironment().getPropertySources();
      sources.addFirst(new MapPropertySource("mesh4jGrpcServer", Map.of(LOCAL_PORT_PROPERTY, port)));
    }
    log.info("mesh4j: gRPC server on port {} serves {}", port, services);
    context.publishEvent(new MeshGrpcServerStartedEvent(this, port));
  }

  /** The services to bind, by gRPC service name, each behind its mesh service's interceptor. */
  private Map<String, ServerServiceDefinition> definitions() {
    Map<String, ServerServiceDefinition> out = new LinkedHashMap<>();
    Map<String, ServerInterceptor> interceptors = new HashMap<>();
    MeshGrpcServices.find(context, properties)
        .forEach(
            (grpcName, served) ->
                out.put(
                    grpcName,
                    ServerInterceptors.intercept(
                        served.definition(),
                        interceptors.computeIfAbsent(
                            served.meshService(),
                            s -> MeshServerInterceptors.forService(mesh, s)))));
    return out;
  }

  @Override
  public void stop() {
    Server s = server;
    if (s == null) {
      return;
    }
    Duration grace = properties.getGrpc().getShutdownGracePeriod();
    s.shutdown();
    try {
      if (!s.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.info("mesh4j: gRPC calls still running after {}; cancelling them", grace);
        s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      s.shutdownNow();
      Thread.currentThread().interrupt();
    }
    server = null;
  }

  @Override
  public boolean isRunning() {
    return server != null;
  }

  /** Starts late and stops early, as Boot's web server does, so beans are ready for calls. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 1024;
  }

  /** The bound port, or -1 when the server does not run. */
  public int port() {
    Server s = server;
    if (s == null) {
      return -1;
    }
    return ((InetSocketAddress) s.getListenSockets().get(0)).getPort();
  }

  /** Whether a shutdown has begun and the server takes no new calls. */
  boolean draining() {
    Server s = server;
    return s != null && s.isShutdown();
  }

  /** The gRPC service names served, empty when the server does not run. */
  public List<String> services() {
    return server == null ? List.of() : services;
  }
}
