package io.mesh4j.http;

import io.mesh4j.core.call.OutboundCall;
import java.util.Locale;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * The engine's view of an OkHttp request, read from the request itself without copying its
 * headers. Immutable, as the request is.
 */
final class HttpOutboundCall implements OutboundCall {

  private final Request request;
  private final long timeRemainingNanos;

  HttpOutboundCall(Request request, long timeRemainingNanos) {
    this.request = request;
    this.timeRemainingNanos = timeRemainingNanos;
  }

  @Override
  public String destination() {
    return request.url().host();
  }

  @Override
  public String httpMethod() {
    // Returns the method itself when it is upper case already, as it nearly always is.
    return request.method().toUpperCase(Locale.ROOT);
  }

  @Override
  public String path() {
    return request.url().encodedPath();
  }

  @Override
  public int port() {
    return request.url().port();
  }

  @Override
  public @Nullable String queryParameter(String name) {
    return request.url().queryParameter(name);
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    // The first value of a name wins, as in OutboundCall.Builder (OkHttp's get takes the last).
    Headers headers = request.headers();
    for (int i = 0, n = headers.size(); i < n; i++) {
      if (headers.name(i).equalsIgnoreCase(lowerCaseName)) {
        return headers.value(i);
      }
    }
    return null;
  }

  /** GET, HEAD, PUT, DELETE and OPTIONS are idempotent. */
  @Override
  public boolean idempotent() {
    return HttpFailures.idempotent(request.method());
  }

  @Override
  public long timeRemainingNanos() {
    return timeRemainingNanos;
  }

  @Override
  public String toString() {
    HttpUrl url = request.url();
    return request.method() + " " + url.host() + url.encodedPath();
  }
}
