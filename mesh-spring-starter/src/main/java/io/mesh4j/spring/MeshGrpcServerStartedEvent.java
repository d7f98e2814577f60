package io.mesh4j.spring;

import org.springframework.context.ApplicationEvent;

/** Published once the mesh-managed gRPC server listens; carries the port it bound. */
public class MeshGrpcServerStartedEvent extends ApplicationEvent {

  private final int port;

  /** An event from {@code server}, bound to {@code port}. */
  public MeshGrpcServerStartedEvent(MeshGrpcServer server, int port) {
    super(server);
    this.port = port;
  }

  /** The port the server listens on. */
  public int port() {
    return port;
  }

  /** The server that started. */
  public MeshGrpcServer server() {
    return (MeshGrpcServer) getSource();
  }
}
