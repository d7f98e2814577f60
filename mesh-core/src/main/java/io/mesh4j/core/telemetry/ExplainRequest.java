package io.mesh4j.core.telemetry;

import io.mesh4j.core.call.OutboundCall;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A call to explain with {@code Mesh.explain}: its destination, what it calls (a gRPC {@code
 * service/method}, or an HTTP method and path) and its headers. Nothing is sent; the mesh only
 * says what it would do with such a call.
 *
 * <p>Immutable.
 *
 * @param destination the destination service, {@code name.namespace}
 * @param grpcService the fully qualified gRPC service, e.g. {@code shop.Catalog}; null for HTTP
 * @param grpcMethod the gRPC method, e.g. {@code GetItem}; null for HTTP
 * @param httpMethod the HTTP method in upper case; null for gRPC
 * @param path the HTTP path, with its query if any; null for gRPC
 * @param headers request headers (gRPC metadata), names in lower case
 */
public record ExplainRequest(
    String destination,
    @Nullable String grpcService,
    @Nullable String grpcMethod,
    @Nullable String httpMethod,
    @Nullable String path,
    Map<String, String> headers) {

  /** Checks that exactly one protocol is described; lower-cases header names and copies them. */
  public ExplainRequest {
    Objects.requireNonNull(destination, "destination");
    boolean grpc = grpcService != null || grpcMethod != null;
    boolean http = httpMethod != null || path != null;
    if (grpc == http) {
      throw new IllegalArgumentException("a call is either gRPC (service and method) or HTTP (method and path)");
    }
    if (grpc && (grpcService == null || grpcMethod == null)) {
      throw new IllegalArgumentException("a gRPC call needs both its service and its method");
    }
    if (http && (httpMethod == null || path == null)) {
      throw new IllegalArgumentException("an HTTP call needs both its method and its path");
    }
    httpMethod = httpMethod == null ? null : httpMethod.toUpperCase(Locale.ROOT);
    Map<String, String> lower = new LinkedHashMap<>();
    headers.forEach((k, v) -> lower.putIfAbsent(k.toLowerCase(Locale.ROOT), Objects.requireNonNull(v, k)));
    headers = Map.copyOf(lower);
  }

  /**
   * A gRPC call of {@code fullMethod}, {@code shop.Catalog/GetItem} (a leading slash is allowed).
   *
   * @throws IllegalArgumentException when {@code fullMethod} is not {@code service/method}
   */
  public static ExplainRequest grpc(String destination, String fullMethod, Map<String, String> headers) {
    String m = fullMethod.startsWith("/") ? fullMethod.substring(1) : fullMethod;
    int slash = m.indexOf('/');
    if (slash <= 0 || slash == m.length() - 1 || m.indexOf('/', slash + 1) >= 0) {
      throw new IllegalArgumentException(
          "'" + fullMethod + "' is not a gRPC method of the form package.Service/Method");
    }
    return new ExplainRequest(destination, m.substring(0, slash), m.substring(slash + 1), null, null, headers);
  }

  /**
   * An HTTP call of {@code method} on {@code path} (which may carry a query).
   *
   * @throws IllegalArgumentException when the path does not start with a slash
   */
  public static ExplainRequest http(
      String destination, String method, String path, Map<String, String> headers) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("the path '" + path + "' must start with /");
    }
    return new ExplainRequest(destination, null, null, method, path, headers);
  }

  /** The call as messages write it: {@code shop.Catalog/GetItem} or {@code GET /prices/1}. */
  public String describe() {
    return grpcService != null ? grpcService + "/" + grpcMethod : httpMethod + " " + path;
  }

  /** The call as the engine matches it. */
  public OutboundCall toCall() {
    OutboundCall.Builder b = OutboundCall.builder(destination);
    String p = path;
    String m = httpMethod;
    if (p != null && m != null) {
      int q = p.indexOf('?');
      b.http(m, q < 0 ? p : p.substring(0, q));
      if (q >= 0) {
        String query = p.substring(q + 1);
        int start = 0;
        while (start <= query.length()) {
          int end = query.indexOf('&', start);
          String pair = query.substring(start, end < 0 ? query.length() : end);
          start = end < 0 ? query.length() + 1 : end + 1;
          if (pair.isEmpty()) {
            continue;
          }
          int eq = pair.indexOf('=');
          String name = decode(eq < 0 ? pair : pair.substring(0, eq));
          b.queryParameter(name, eq < 0 ? "" : decode(pair.substring(eq + 1)));
        }
      }
    } else {
      b.grpc(Objects.requireNonNull(grpcService), Objects.requireNonNull(grpcMethod));
    }
    headers.forEach(b::header);
    return b.build();
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // a malformed escape is matched as written
    }
  }
}
