package io.mesh4j.http;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Outcome;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends the mirror copies of one meshed {@link HttpClient}'s calls, fire and forget, with the
 * wrapped client's {@code sendAsync}, so that a copy is not planned by the mesh again; its body
 * is discarded. At most {@link MirrorSender#MAX_IN_FLIGHT} copies are out at once; a copy beyond
 * that is dropped rather than queued, as for OkHttp. Thread-safe.
 */
final class JdkMirrorSender {

  private final AtomicInteger inFlight = new AtomicInteger();

  /**
   * Sends {@code copy} for the admitted mirror attempt {@code attempt} and returns at once. The
   * attempt is settled with the copy's outcome, or as cancelled when the copy is dropped. Never
   * throws: nothing about the copy may fail the call it copies.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // the copy's end is handled in whenComplete
  void send(HttpClient client, Attempt attempt, HttpRequest copy) {
    if (inFlight.incrementAndGet() > MirrorSender.MAX_IN_FLIGHT) {
      inFlight.decrementAndGet();
      attempt.settleFinal(Outcome.cancelled());
      return;
    }
    try {
      client
          .sendAsync(copy, HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (response, failure) -> {
                inFlight.decrementAndGet();
                if (failure != null) {
                  Throwable e = unwrap(failure);
                  attempt.settleFinal(
                      Outcome.failure(HttpFailures.kind(e), e.getClass().getSimpleName()));
                } else {
                  int code = response.statusCode();
                  attempt.settleFinal(
                      code >= 400 ? Outcome.status(CallStatus.http(code)) : Outcome.success());
                }
              });
    } catch (RuntimeException e) {
      // A copy the client cannot even start must still give its permits back.
      inFlight.decrementAndGet();
      attempt.settleFinal(
          Outcome.failure(Outcome.Kind.CONNECT_FAILURE, e.getClass().getSimpleName()));
    }
  }

  /** The failure itself, out of the wrappers a dependent stage or {@code get} puts around it. */
  static Throwable unwrap(Throwable failure) {
    Throwable e = failure;
    while (e instanceof CompletionException || e instanceof ExecutionException) {
      Throwable cause = e.getCause();
      if (cause == null) {
        break;
      }
      e = cause;
    }
    return e;
  }
}
