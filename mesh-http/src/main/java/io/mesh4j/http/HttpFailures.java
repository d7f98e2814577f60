package io.mesh4j.http;

import io.mesh4j.core.call.Outcome;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.util.Locale;

/** What the HTTP client adapters share about a call's method and a failed attempt. Stateless. */
final class HttpFailures {

  private HttpFailures() {}

  /** How the engine should count a failed attempt, from the exception the client threw. */
  static Outcome.Kind kind(Throwable e) {
    if (e instanceof ConnectException
        || e instanceof NoRouteToHostException
        || e instanceof UnknownHostException) {
      return Outcome.Kind.CONNECT_FAILURE;
    }
    // Java's HttpClient reports its request timeout (and its connect timeout) as HttpTimeoutException.
    if (e instanceof SocketTimeoutException
        || e instanceof InterruptedIOException
        || e instanceof HttpTimeoutException) {
      return Outcome.Kind.TIMEOUT;
    }
    return Outcome.Kind.RESET;
  }

  /** Whether a call with {@code method} is safe to replay: GET, HEAD, PUT, DELETE and OPTIONS. */
  static boolean idempotent(String method) {
    return switch (method.toUpperCase(Locale.ROOT)) {
      case "GET", "HEAD", "PUT", "DELETE", "OPTIONS" -> true;
      default -> false;
    };
  }
}
