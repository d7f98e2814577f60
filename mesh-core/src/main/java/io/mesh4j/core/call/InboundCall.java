package io.mesh4j.core.call;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One incoming call as the server-side engine sees it: the service it is addressed to, the
 * caller's verified identity, and what it asks for (an HTTP method and path, or a gRPC method).
 * Adapters build one per request and pass it to {@link Inbound#admit(InboundCall)}.
 *
 * <p>Immutable.
 */
public final class InboundCall {

  /** How a call reached the server, as far as the transport can tell. */
  public enum Transport {
    /** The adapter did not say; the call is judged by its peer alone. */
    UNKNOWN,
    /** A connection without TLS. */
    PLAINTEXT,
    /** TLS, but the client presented no certificate. */
    TLS,
    /** TLS with a client certificate the server verified. */
    MUTUAL_TLS
  }

  private final String service;
  private final @Nullable String peer;
  private final @Nullable String httpMethod;
  private final @Nullable String path;
  private final @Nullable String grpcMethod;
  private final Transport transport;
  private final HeaderGetter headers;

  private InboundCall(Builder b) {
    this.headers = b.headers;
    this.transport = b.transport;
    this.service = b.service;
    this.peer = b.peer;
    this.httpMethod = b.httpMethod;
    this.path = b.path;
    this.grpcMethod = b.grpcMethod;
  }

  /** Starts describing a call to {@code service} ({@code name.namespace}). */
  public static Builder builder(String service) {
    return new Builder(service);
  }

  /** The service called, {@code name.namespace}. */
  public String service() {
    return service;
  }

  /**
   * The caller's verified SPIFFE ID, e.g. {@code spiffe://cluster.local/ns/shop/sa/frontend}, or
   * null when the caller is not authenticated.
   */
  public @Nullable String peer() {
    return peer;
  }

  /** The HTTP method in upper case, or null for a call that is not plain HTTP. */
  public @Nullable String httpMethod() {
    return httpMethod;
  }

  /** The HTTP path, or null for a call that is not plain HTTP. */
  public @Nullable String path() {
    return path;
  }

  /** The gRPC method, {@code package.Service/Method}, or null for a call that is not gRPC. */
  public @Nullable String grpcMethod() {
    return grpcMethod;
  }

  /** The request's headers, for observers that extract the caller's trace context. */
  public HeaderGetter headers() {
    return headers;
  }

  /** How the call arrived; {@link Transport#UNKNOWN} unless the adapter said. */
  public Transport transport() {
    return transport;
  }

  /** Builds an {@link InboundCall}. Not thread-safe. */
  public static final class Builder {
    private final String service;
    private @Nullable String peer;
    private @Nullable String httpMethod;
    private @Nullable String path;
    private @Nullable String grpcMethod;
    private Transport transport = Transport.UNKNOWN;
    private HeaderGetter headers = name -> null;

    private Builder(String service) {
      this.service = Objects.requireNonNull(service, "service");
    }

    /** The caller's verified SPIFFE ID; null (the default) for an unauthenticated caller. */
    public Builder peer(@Nullable String spiffeId) {
      this.peer = spiffeId;
      return this;
    }

    /** An HTTP request of {@code method} on {@code path}. */
    public Builder http(String method, String path) {
      this.httpMethod = method.toUpperCase(java.util.Locale.ROOT);
      this.path = path;
      return this;
    }

    /** A gRPC call of {@code fullMethodName}, {@code package.Service/Method}. */
    public Builder grpc(String fullMethodName) {
      this.grpcMethod = fullMethodName;
      return this;
    }

    /**
     * How the call arrived. Under {@code mtls: STRICT} the engine refuses calls without a
     * verified peer whatever this says; it only makes the refusal's message precise.
     */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /** Reads the request's headers; none by default. */
    public Builder headers(HeaderGetter headers) {
      this.headers = Objects.requireNonNull(headers, "headers");
      return this;
    }

    public InboundCall build() {
      return new InboundCall(this);
    }
  }
}
