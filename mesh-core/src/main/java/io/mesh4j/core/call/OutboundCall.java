package io.mesh4j.core.call;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A transport-neutral view of one outgoing call: where it goes, what it calls, its headers,
 * whether it may be replayed and how long the caller is willing to wait. Adapters usually
 * implement this interface over their own request object, so that nothing is copied; {@link
 * #builder(String)} makes a standalone one.
 *
 * <p>Implementations must not change while the engine plans the call. Methods other than {@link
 * #destination()} return null when the piece does not apply (a gRPC call has no HTTP path).
 */
public interface OutboundCall {

  /** The destination service, {@code name.namespace}. */
  String destination();

  /** The fully qualified gRPC service, e.g. {@code shop.Catalog}, or null for HTTP calls. */
  default @Nullable String grpcService() {
    return null;
  }

  /** The gRPC method name, e.g. {@code GetItem}, or null for HTTP calls. */
  default @Nullable String grpcMethod() {
    return null;
  }

  /**
   * The gRPC full method, {@code shop.Catalog/GetItem}, or null for HTTP calls. Adapters whose
   * method descriptor already holds it override this, so that nothing is concatenated per call.
   */
  default @Nullable String grpcFullMethod() {
    String service = grpcService();
    String method = grpcMethod();
    return service == null || method == null ? null : service + "/" + method;
  }

  /** The HTTP method in upper case, e.g. {@code GET}, or null for gRPC calls. */
  default @Nullable String httpMethod() {
    return null;
  }

  /** The HTTP path without the query, e.g. {@code /items/42}, or null for gRPC calls. */
  default @Nullable String path() {
    return null;
  }

  /** The port the application called (an HTTP URL's, its scheme's default when absent), or 0 when not known. */
  default int port() {
    return 0;
  }

  /**
   * The first value of an HTTP query parameter, decoded, or null when absent (and for gRPC calls).
   *
   * @param name the parameter's name, compared exactly
   */
  default @Nullable String queryParameter(String name) {
    return null;
  }

  /**
   * The first value of a request header (gRPC metadata), or null when absent.
   *
   * @param lowerCaseName the header name in lower case
   */
  default @Nullable String header(String lowerCaseName) {
    return null;
  }

  /** Whether replaying the call is safe; only idempotent calls are retried unless a rule allows. */
  default boolean idempotent() {
    return false;
  }

  /**
   * Whether the call streams (a gRPC call other than unary). The mesh's default timeout for unary
   * calls applies only to calls that do not; a stream may rightly last for hours. HTTP
   * request/response calls are unary.
   */
  default boolean streaming() {
    return false;
  }

  /** Nanoseconds left until the caller's own deadline; {@link Long#MAX_VALUE} when it has none. */
  default long timeRemainingNanos() {
    return Long.MAX_VALUE;
  }

  /** Starts a standalone call description for {@code destination}. */
  static Builder builder(String destination) {
    return new Builder(destination);
  }

  /** Builds a standalone, immutable {@link OutboundCall}. Not thread-safe. */
  final class Builder {
    private final String destination;
    private @Nullable String grpcService;
    private @Nullable String grpcMethod;
    private @Nullable String httpMethod;
    private @Nullable String path;
    private final Map<String, String> headers = new HashMap<>();
    private final Map<String, String> query = new HashMap<>();
    private int port;
    private boolean idempotent;
    private boolean streaming;
    private long timeRemainingNanos = Long.MAX_VALUE;

    private Builder(String destination) {
      this.destination = destination;
    }

    /** A gRPC call of {@code service/method}. */
    public Builder grpc(String service, String method) {
      this.grpcService = service;
      this.grpcMethod = method;
      return this;
    }

    /** An HTTP call; GET, HEAD, PUT, DELETE and OPTIONS are marked idempotent. */
    public Builder http(String method, String path) {
      this.httpMethod = method.toUpperCase(Locale.ROOT);
      this.path = path;
      this.idempotent =
          switch (this.httpMethod) {
            case "GET", "HEAD", "PUT", "DELETE", "OPTIONS" -> true;
            default -> false;
          };
      return this;
    }

    /** Adds a header; names are case-insensitive, the first value of a name wins. */
    public Builder header(String name, String value) {
      headers.putIfAbsent(name.toLowerCase(Locale.ROOT), value);
      return this;
    }

    /** The port the application called. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Adds a query parameter; names are case-sensitive, the first value of a name wins. */
    public Builder queryParameter(String name, String value) {
      query.putIfAbsent(name, value);
      return this;
    }

    public Builder idempotent(boolean idempotent) {
      this.idempotent = idempotent;
      return this;
    }

    /** Marks a streaming call, which the mesh's default unary timeout does not apply to. */
    public Builder streaming(boolean streaming) {
      this.streaming = streaming;
      return this;
    }

    /** The caller's own deadline, as the time left. */
    public Builder timeRemainingNanos(long nanos) {
      this.timeRemainingNanos = nanos;
      return this;
    }

    public OutboundCall build() {
      return new SimpleOutboundCall(
          destination,
          grpcService,
          grpcMethod,
          httpMethod,
          path,
          Map.copyOf(headers),
          Map.copyOf(query),
          port,
          idempotent,
          streaming,
          timeRemainingNanos);
    }
  }
}

/** The standalone call description made by {@link OutboundCall.Builder}. */
record SimpleOutboundCall(
    String destination,
    @Nullable String grpcService,
    @Nullable String grpcMethod,
    @Nullable String httpMethod,
    @Nullable String path,
    Map<String, String> headers,
    Map<String, String> query,
    int port,
    boolean idempotent,
    boolean streaming,
    long timeRemainingNanos)
    implements OutboundCall {

  @Override
  public @Nullable String header(String lowerCaseName) {
    return headers.get(lowerCaseName);
  }

  @Override
  public @Nullable String queryParameter(String name) {
    return query.get(name);
  }
}
