package io.mesh4j.http;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Outcome;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * How {@link MeshExchangeFilter}'s calls send what they send: one attempt's exchange bounded by
 * its timeout, and the mirror copies of one filter's calls. Thread-safe.
 */
final class WebClientMirrors {

  private final AtomicInteger inFlight = new AtomicInteger();

  /** The exchange of one attempt, bounded by its timeout on a non-blocking timer. */
  static Mono<ClientResponse> exchange(ExchangeFunction next, ClientRequest sent, long timeoutNanos) {
    Mono<ClientResponse> exchange = next.exchange(sent);
    return timeoutNanos == Long.MAX_VALUE
        ? exchange
        : exchange.timeout(Duration.ofNanos(Math.max(1, timeoutNanos)), Schedulers.parallel());
  }

  /**
   * Sends {@code copy} for the admitted mirror attempt {@code attempt}, fire and forget, with the
   * rest of the chain (so it is not planned again); its body is released unread. At most {@link
   * MirrorSender#MAX_IN_FLIGHT} copies are out at once; a copy beyond that is dropped rather than
   * queued. Never throws: nothing about the copy may fail the call it copies.
   */
  void send(ExchangeFunction next, Attempt attempt, ClientRequest copy) {
    if (inFlight.incrementAndGet() > MirrorSender.MAX_IN_FLIGHT) {
      inFlight.decrementAndGet();
      attempt.settleFinal(Outcome.cancelled());
      return;
    }
    try {
      exchange(next, copy, attempt.timeoutNanos())
          .flatMap(
              response -> {
                int code = response.statusCode().value();
                return response
                    .releaseBody()
                    .thenReturn(code >= 400 ? Outcome.status(CallStatus.http(code)) : Outcome.success());
              })
          .onErrorResume(
              e -> {
                Throwable cause = unwrap(e);
                return Mono.just(
                    Outcome.failure(HttpFailures.kind(cause), cause.getClass().getSimpleName()));
              })
          .doFinally(signal -> inFlight.decrementAndGet())
          .subscribe(attempt::settleFinal);
    } catch (RuntimeException e) {
      // A copy the connector cannot even start must still give its permits back.
      inFlight.decrementAndGet();
      attempt.settleFinal(Outcome.failure(Outcome.Kind.CONNECT_FAILURE, e.getClass().getSimpleName()));
    }
  }

  /** WebClient's wrapper of a connector's failure, taken off so the failure can be classified. */
  static Throwable unwrap(Throwable failure) {
    Throwable cause = failure.getCause();
    return failure instanceof WebClientRequestException && cause != null ? cause : failure;
  }
}
