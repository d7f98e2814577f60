package io.mesh4j.http;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Outbound;
import io.mesh4j.core.call.Outcome;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The mesh as a filter of Spring's WebClient: each subscription to the exchange plans one call
 * with the engine and runs it as a {@link WebClientExchange}, one exchange of the rest of the
 * chain per attempt; a request to a host outside the mesh goes on untouched. Nothing blocks: the
 * fault delay and backoffs are scheduled on the mesh's sleeper, per-try timeouts are Reactor's
 * {@code timeout} on the parallel scheduler. Thread-safe; one instance serves any number of
 * concurrent calls.
 */
final class MeshExchangeFilter implements ExchangeFilterFunction {

  final Outbound outbound;
  final TargetUris targets;
  /** Whether attempts name the logical authority in {@code Host} (the connector accepts it). */
  final boolean keepHost;

  private final AtomicInteger mirrorsInFlight = new AtomicInteger();

  /**
   * @param https send every attempt to its endpoint over {@code https} (mutual TLS), whatever
   *     the scheme the application wrote
   * @param keepHost name the logical authority in each attempt's {@code Host}
   */
  MeshExchangeFilter(Outbound outbound, boolean https, boolean keepHost) {
    this.outbound = outbound;
    this.targets = new TargetUris(https);
    this.keepHost = keepHost;
  }

  @Override
  public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
    // A plan per subscription: a resubscribed exchange is a new call.
    return Mono.defer(
        () -> {
          CallPlan plan =
              outbound.plan(new SpringOutboundCall(request.method(), request.url(), request.headers()));
          if (!plan.known()) {
            // Not a mesh destination: the request is none of the mesh's business.
            return next.exchange(request);
          }
          return Mono.create(sink -> WebClientExchange.start(this, plan, request, next, sink));
        });
  }

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
  void mirror(ExchangeFunction next, Attempt attempt, ClientRequest copy) {
    if (mirrorsInFlight.incrementAndGet() > MirrorSender.MAX_IN_FLIGHT) {
      mirrorsInFlight.decrementAndGet();
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
                Throwable cause = WebClientExchange.unwrap(e);
                return Mono.just(
                    Outcome.failure(HttpFailures.kind(cause), cause.getClass().getSimpleName()));
              })
          .doFinally(signal -> mirrorsInFlight.decrementAndGet())
          .subscribe(attempt::settleFinal);
    } catch (RuntimeException e) {
      // A copy the connector cannot even start must still give its permits back.
      mirrorsInFlight.decrementAndGet();
      attempt.settleFinal(Outcome.failure(Outcome.Kind.CONNECT_FAILURE, e.getClass().getSimpleName()));
    }
  }
}
