package io.mesh4j.http;

import java.net.http.HttpRequest;
import org.jspecify.annotations.Nullable;

/** The engine's view of a request of Java's HttpClient. Immutable, as the request is. */
final class JdkOutboundCall extends UriOutboundCall {

  private final HttpRequest request;

  JdkOutboundCall(HttpRequest request, long timeRemainingNanos) {
    super(request.uri(), timeRemainingNanos);
    this.request = request;
  }

  @Override
  String method() {
    return request.method();
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    // HttpHeaders compares names ignoring case; the first value wins, as in OutboundCall.Builder.
    return request.headers().firstValue(lowerCaseName).orElse(null);
  }
}
