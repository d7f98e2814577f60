package io.mesh4j.spring;

import org.springframework.context.ApplicationEvent;

/** Published once the mesh-managed gRPC server listens; carries the port it bound. */
public class MeshGrpcServerStartedEvent extends ApplicationEvent {

  private final int port;

  /** An event from {@code server} (the {@code MeshGrpcServer}), bound to {@code port}. */
  public MeshGrpcServerStartedEvent(Object server, int port) {
    super(server);
    this.port = port;
  }

  /** The port the server listens on. */
  public int port() {
    return port;
  }
}
