package io.mesh4j.http;

import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.Outbound;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import reactor.core.publisher.Mono;

/**
 * The mesh as a filter of Spring's WebClient: each subscription to the exchange plans one call
 * with the engine and runs it as a {@link WebClientExchange}, one exchange of the rest of the
 * chain per attempt; a request to a host outside the mesh goes on untouched. Nothing blocks: the
 * fault delay and backoffs are scheduled on the mesh's sleeper, per-try timeouts are Reactor's
 * {@code timeout} on the parallel scheduler. Thread-safe; one instance serves any number of
 * concurrent calls.
 */
final class MeshExchangeFilter implements ExchangeFilterFunction {

  private final Outbound outbound;
  private final TargetUris targets;
  private final boolean keepHost;
  private final WebClientMirrors mirrors = new WebClientMirrors();

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
          return Mono.create(
              sink -> WebClientExchange.start(targets, keepHost, mirrors, plan, request, next, sink));
        });
  }
}
