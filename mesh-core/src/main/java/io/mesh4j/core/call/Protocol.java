package io.mesh4j.core.call;

/** The transport of an observed call. */
public enum Protocol {
  /** A gRPC call; its method is the full method name, its status a gRPC code name. */
  GRPC,
  /** An HTTP request; its method is the HTTP method, its status the decimal HTTP status. */
  HTTP
}
