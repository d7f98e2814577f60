package io.mesh4j.http;

import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.OutboundCall;
import java.util.Locale;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * The engine's view of an OkHttp request, read from the request itself without copying its
 * headers, and the setter observers write an attempt's headers through (into the request that
 * attempt sends), so that a call allocates no setter of its own. The view is immutable, as the
 * request is; the setter belongs to the interceptor's thread, which starts the call's attempts
 * one after another.
 */
final class HttpOutboundCall implements OutboundCall, HeaderSetter {

  private final Request request;
  private final long timeRemainingNanos;
  // The request of the attempt being started, only while the engine starts it.
  private Request.@Nullable Builder starting;

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

  /** Makes observers' headers go to {@code attempt}'s request, until the next call; null for none. */
  void startingAttempt(Request.@Nullable Builder attempt) {
    starting = attempt;
  }

  @Override
  public void set(String name, String value) {
    Request.Builder b = starting;
    if (b != null) {
      b.header(name, value);
    }
  }

  @Override
  public String toString() {
    HttpUrl url = request.url();
    return request.method() + " " + url.host() + url.encodedPath();
  }
}
