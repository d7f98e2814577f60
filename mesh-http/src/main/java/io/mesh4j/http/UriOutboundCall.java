package io.mesh4j.http;

import io.mesh4j.core.call.OutboundCall;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The engine's view of a request whose target is a {@link URI} (Java's HttpClient, Spring's
 * RestClient, RestTemplate and WebClient), read from the request without copying it. Subclasses
 * give the method and the headers. Immutable, as the requests are.
 */
abstract class UriOutboundCall implements OutboundCall {

  private final URI uri;
  private final long timeRemainingNanos;

  UriOutboundCall(URI uri, long timeRemainingNanos) {
    this.uri = uri;
    this.timeRemainingNanos = timeRemainingNanos;
  }

  /** The request's method as the application wrote it. */
  abstract String method();

  @Override
  public String destination() {
    String host = uri.getHost();
    return host == null ? "" : host;
  }

  @Override
  public String httpMethod() {
    // Returns the method itself when it is upper case already, as it nearly always is.
    return method().toUpperCase(Locale.ROOT);
  }

  @Override
  public String path() {
    return TargetUris.path(uri);
  }

  @Override
  public int port() {
    int port = uri.getPort();
    if (port != -1) {
      return port;
    }
    return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }

  @Override
  public @Nullable String queryParameter(String name) {
    String query = uri.getRawQuery();
    if (query == null) {
      return null;
    }
    int start = 0;
    while (start <= query.length()) {
      int end = query.indexOf('&', start);
      if (end < 0) {
        end = query.length();
      }
      int eq = query.indexOf('=', start);
      int nameEnd = eq < 0 || eq > end ? end : eq;
      if (decode(query.substring(start, nameEnd)).equals(name)) {
        // as OkHttp reads it: a name without "=" has no value
        return nameEnd == end ? null : decode(query.substring(nameEnd + 1, end));
      }
      start = end + 1;
    }
    return null;
  }

  private static String decode(String s) {
    return s.indexOf('%') < 0 && s.indexOf('+') < 0 ? s : URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  @Override
  public boolean idempotent() {
    return HttpFailures.idempotent(method());
  }

  @Override
  public long timeRemainingNanos() {
    return timeRemainingNanos;
  }

  @Override
  public String toString() {
    return method() + " " + uri.getHost() + path();
  }
}
