package io.mesh4j.http;

import java.net.URI;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;

/**
 * The engine's view of a request of Spring's RestClient, RestTemplate or WebClient, read from
 * the request's method, URI and headers without copying them.
 */
final class SpringOutboundCall extends UriOutboundCall {

  private final HttpMethod method;
  private final HttpHeaders headers;

  SpringOutboundCall(HttpMethod method, URI uri, HttpHeaders headers) {
    // Spring's clients have no per-call deadline of their own: the mesh's default applies.
    super(uri, Long.MAX_VALUE);
    this.method = method;
    this.headers = headers;
  }

  @Override
  String method() {
    return method.name();
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    // HttpHeaders compares names ignoring case; the first value wins, as in OutboundCall.Builder.
    return headers.getFirst(lowerCaseName);
  }
}
