package io.mesh4j.http;

import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Outcome;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

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
    // Java's HttpClient reports its request timeout (and its connect timeout) as
    // HttpTimeoutException, Reactor's timeout operator as TimeoutException.
    if (e instanceof SocketTimeoutException
        || e instanceof InterruptedIOException
        || e instanceof HttpTimeoutException
        || e instanceof TimeoutException) {
      return Outcome.Kind.TIMEOUT;
    }
    return Outcome.Kind.RESET;
  }

  /**
   * How the engine should count an attempt answered with status {@code code}: a success below
   * 400, else the status with the pushback of a 429 or 503 reply's {@code Retry-After} ({@link
   * RetryAfter}).
   *
   * @param retryAfter the response's {@code Retry-After}, or null
   * @param date the response's {@code Date}, or null
   */
  static Outcome answered(int code, @Nullable String retryAfter, @Nullable String date) {
    return code >= 400
        ? RetryAfter.apply(
            Outcome.status(CallStatus.http(code)), code, retryAfter, date, System.currentTimeMillis())
        : Outcome.success();
  }

  /**
   * A client's timeout exception does not say where the deadline came from; when it is the mesh's
   * default, the caller gets the mesh's failure (504, naming the setting) with the timeout as its
   * cause, so a call that nobody bounded does not look like a network fault.
   *
   * @param boundByCallDeadline whether the attempt's timeout was the call's deadline rather than
   *     a shorter per-try timeout
   */
  static Throwable explainDeadline(
      Throwable e, Outcome failed, CallPlan plan, boolean boundByCallDeadline) {
    if (!boundByCallDeadline || failed.kind() != Outcome.Kind.TIMEOUT) {
      return e;
    }
    MeshFailure f = plan.defaultDeadlineFailure();
    return f == null ? e : new MeshHttpException(f, e);
  }

  /** Whether a call with {@code method} is safe to replay: GET, HEAD, PUT, DELETE and OPTIONS. */
  static boolean idempotent(String method) {
    return switch (method.toUpperCase(Locale.ROOT)) {
      case "GET", "HEAD", "PUT", "DELETE", "OPTIONS" -> true;
      default -> false;
    };
  }
}
