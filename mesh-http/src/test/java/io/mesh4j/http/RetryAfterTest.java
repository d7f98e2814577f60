package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Outcome;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** {@code Retry-After} as a server may send it, read without a clock of this machine. */
class RetryAfterTest {

  private static final long SECOND = 1_000_000_000L;
  // Sun, 06 Nov 1994 08:49:37 GMT
  private static final long DATE_MILLIS = 784_111_777_000L;

  private static Response response(int code, @Nullable String retryAfter, @Nullable String date) {
    Response.Builder b =
        new Response.Builder()
            .request(new Request.Builder().url("http://catalog.shop/items").build())
            .protocol(Protocol.HTTP_1_1)
            .code(code)
            .message("")
            .sentRequestAtMillis(DATE_MILLIS - 10)
            .receivedResponseAtMillis(DATE_MILLIS);
    if (retryAfter != null) {
      b.header("Retry-After", retryAfter);
    }
    if (date != null) {
      b.header("Date", date);
    }
    return b.build();
  }

  private static long nanos(String retryAfter) {
    return RetryAfter.nanos(retryAfter, response(429, retryAfter, null));
  }

  @Test
  void deltaSecondsAreTheWait() {
    assertThat(nanos("1")).isEqualTo(SECOND);
    assertThat(nanos(" 120 ")).isEqualTo(120 * SECOND);
    assertThat(nanos("0")).isZero();
  }

  @Test
  void aDateIsMeasuredFromTheResponsesOwnDateElseFromItsArrival() {
    String at = "Sun, 06 Nov 1994 08:49:39 GMT";
    assertThat(RetryAfter.nanos(at, response(503, at, "Sun, 06 Nov 1994 08:49:30 GMT")))
        .as("9 s after the server's Date, whatever this machine's clock says")
        .isEqualTo(9 * SECOND);
    assertThat(RetryAfter.nanos(at, response(503, at, null)))
        .as("2 s after the response arrived")
        .isEqualTo(2 * SECOND);
    assertThat(RetryAfter.nanos(at, response(503, at, "not a date"))).isEqualTo(2 * SECOND);
    assertThat(RetryAfter.nanos("Sun, 06 Nov 1994 08:49:00 GMT", response(503, null, null)))
        .as("a date in the past means now")
        .isZero();
  }

  @Test
  void hugeValuesSaturateAndTheEngineComparesThemWithTheDeadline() {
    assertThat(nanos("9223372037")).isEqualTo(Long.MAX_VALUE);
    assertThat(nanos("999999999999999999")).isEqualTo(Long.MAX_VALUE);
    assertThat(nanos("99999999999999999999999999999")).isEqualTo(Long.MAX_VALUE);
    assertThat(nanos("Fri, 31 Dec 9999 23:59:59 GMT")).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void anythingElseIsIgnoredAsIfAbsent() {
    assertThat(RetryAfter.nanos(null, response(429, null, null))).isEqualTo(-1);
    assertThat(nanos("")).isEqualTo(-1);
    assertThat(nanos("-1")).isEqualTo(-1);
    assertThat(nanos("1.5")).isEqualTo(-1);
    assertThat(nanos("soon")).isEqualTo(-1);
    assertThat(nanos("1".repeat(RetryAfter.MAX_LENGTH + 1))).as("bounded work").isEqualTo(-1);
    assertThat(nanos("x".repeat(100_000))).isEqualTo(-1);
  }

  @Test
  void onlyA429OrA503CarriesItsRetryAfter() {
    Outcome tooMany = Outcome.status(CallStatus.http(429));
    assertThat(RetryAfter.apply(tooMany, response(429, "3", null)).pushbackNanos())
        .isEqualTo(3 * SECOND);
    Outcome unavailable = Outcome.status(CallStatus.http(503));
    assertThat(RetryAfter.apply(unavailable, response(503, "3", null)).pushbackNanos())
        .isEqualTo(3 * SECOND);
    Outcome moved = Outcome.status(CallStatus.http(500));
    assertThat(RetryAfter.apply(moved, response(500, "3", null))).isSameAs(moved);
    assertThat(RetryAfter.apply(tooMany, response(429, "soon", null))).isSameAs(tooMany);
  }
}
