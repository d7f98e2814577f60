package io.mesh4j.http;

import io.mesh4j.core.call.Outcome;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Reads a server's {@code Retry-After} (RFC 9110, section 10.2.3) into the pushback of the
 * attempt's outcome, so the engine waits at least that long before a retry, or fails the call at
 * once when the wait would pass its deadline. Honoured only on 429 and 503, the statuses that
 * define it for retrying; whether such a status is retried at all is still the rule's {@code
 * retryOn}. Stateless.
 *
 * <p>The value is delta-seconds or an HTTP-date; a date is measured from the response's own {@code
 * Date} (so the two clocks need not agree), else from when the response arrived. A date in the
 * past means no wait. A value that is neither, or longer than {@value #MAX_LENGTH} characters, is
 * ignored, as if absent: HTTP gives it no other meaning. Huge values saturate; the engine never
 * waits past the call's deadline.
 */
final class RetryAfter {

  /** Longer than any date or useful number of seconds: parsing work stays bounded. */
  static final int MAX_LENGTH = 64;

  private static final long NANOS_PER_MILLI = 1_000_000L;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private RetryAfter() {}

  /** {@code outcome}, with the pushback of {@code response}'s {@code Retry-After} if it has one. */
  static Outcome apply(Outcome outcome, Response response) {
    int code = response.code();
    if (code != 429 && code != 503) {
      return outcome;
    }
    long nanos = nanos(response.header("Retry-After"), response);
    return nanos < 0 ? outcome : outcome.withPushback(nanos);
  }

  /**
   * {@code outcome}, with the pushback of a response's {@code Retry-After} if it has one, for a
   * client whose response is not OkHttp's.
   *
   * @param retryAfter the response's {@code Retry-After}, or null
   * @param date the response's {@code Date}, or null
   * @param receivedAtMillis when the response arrived, in epoch milliseconds
   */
  static Outcome apply(
      Outcome outcome, int code, @Nullable String retryAfter, @Nullable String date, long receivedAtMillis) {
    if (code != 429 && code != 503) {
      return outcome;
    }
    long nanos = nanos(retryAfter, date, receivedAtMillis);
    return nanos < 0 ? outcome : outcome.withPushback(nanos);
  }

  /** The wait {@code value} asks for, in nanoseconds; -1 when there is none to honour. */
  static long nanos(@Nullable String value, Response response) {
    return nanos(value, response.header("Date"), response.receivedResponseAtMillis());
  }

  /**
   * The wait {@code value} asks for, in nanoseconds, a date measured from {@code date} (else from
   * {@code receivedAtMillis}); -1 when there is none to honour.
   */
  static long nanos(@Nullable String value, @Nullable String dateHeader, long receivedAtMillis) {
    if (value == null || value.length() > MAX_LENGTH) {
      return -1;
    }
    String v = value.trim();
    if (v.isEmpty()) {
      return -1;
    }
    if (isDigits(v)) {
      // 19 digits can already overflow a long: such a wait is "forever" anyway
      if (v.length() > 18) {
        return Long.MAX_VALUE;
      }
      long seconds = Long.parseLong(v);
      return seconds > Long.MAX_VALUE / NANOS_PER_SECOND
          ? Long.MAX_VALUE
          : seconds * NANOS_PER_SECOND;
    }
    Instant at = httpDate(v);
    if (at == null) {
      return -1;
    }
    Instant date = dateHeader == null || dateHeader.length() > MAX_LENGTH ? null : httpDate(dateHeader);
    long fromMillis = date != null ? date.toEpochMilli() : receivedAtMillis;
    long millis = at.toEpochMilli() - fromMillis;
    if (millis <= 0) {
      return 0;
    }
    return millis > Long.MAX_VALUE / NANOS_PER_MILLI ? Long.MAX_VALUE : millis * NANOS_PER_MILLI;
  }

  private static boolean isDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** An IMF-fixdate such as {@code Sun, 06 Nov 1994 08:49:37 GMT}, or null. */
  private static @Nullable Instant httpDate(String text) {
    try {
      return ZonedDateTime.parse(text.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
