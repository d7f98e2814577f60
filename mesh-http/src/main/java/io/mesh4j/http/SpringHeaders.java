package io.mesh4j.http;

import io.mesh4j.core.call.HeaderEdits;
import java.net.URI;
import org.springframework.http.HttpHeaders;

/**
 * What the Spring adapters (RestClient and RestTemplate's interceptor, WebClient's filter) do to
 * Spring's {@link HttpHeaders}: a route's header changes, and the {@code Host} that keeps naming
 * the logical authority when an attempt is sent to an endpoint's address. Stateless.
 */
final class SpringHeaders {

  private SpringHeaders() {}

  /** A copy of {@code headers} that the caller may change. */
  static HttpHeaders copy(HttpHeaders headers) {
    HttpHeaders copy = new HttpHeaders();
    copy.addAll(headers);
    return copy;
  }

  /**
   * The headers of one attempt of a request for {@code uri}: a copy of {@code headers}, which the
   * engine's observers write (trace context), naming the logical authority ({@link
   * #keepAuthority}).
   */
  static HttpHeaders forAttempt(HttpHeaders headers, URI uri) {
    HttpHeaders copy = copy(headers);
    keepAuthority(copy, uri);
    return copy;
  }

  /** Applies {@code edits} to {@code headers}. */
  static void edit(HttpHeaders headers, HeaderEdits edits) {
    edits.applyTo(new Editor(headers));
  }

  /**
   * Names {@code uri}'s authority in {@code Host} unless the application named one: the attempt
   * goes to an endpoint's address, and the server must still see the service it was called as.
   * A transport that does not let requests set {@code Host} (Java's HttpClient and {@code
   * HttpURLConnection}, unless the JVM allows restricted headers) sends the endpoint's instead.
   */
  static void keepAuthority(HttpHeaders headers, URI uri) {
    String authority = uri.getRawAuthority();
    if (authority != null && !headers.containsHeader(HttpHeaders.HOST)) {
      headers.set(HttpHeaders.HOST, authority);
    }
  }

  private record Editor(HttpHeaders headers) implements HeaderEdits.Editor {
    @Override
    public void set(String name, String value) {
      headers.set(name, value);
    }

    @Override
    public void add(String name, String value) {
      headers.add(name, value);
    }

    @Override
    public void remove(String name) {
      headers.remove(name);
    }
  }
}
