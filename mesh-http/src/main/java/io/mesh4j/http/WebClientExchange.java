package io.mesh4j.http;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.HeaderEdits;
import io.mesh4j.core.call.HttpRedirect;
import io.mesh4j.core.call.HttpRewrite;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import java.net.URI;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import reactor.core.Disposable;
import reactor.core.publisher.MonoSink;
import reactor.util.context.Context;

/**
 * One meshed call of WebClient, from its subscription to the response its subscriber gets. Each
 * admitted attempt is one exchange of the rest of the filter chain, subscribed with the caller's
 * context; the engine's fault delay and backoffs are scheduled on the mesh's sleeper ({@link
 * CallPlan#resumeAfter}), so no thread waits. An answer the engine retries has its body released
 * unread; only the final answer reaches the subscriber.
 *
 * <p>The request's body inserter is run again for a retry and for the mirror copy: a body from a
 * value ({@code bodyValue}, forms, multipart) is written again, one from a publisher is
 * subscribed again. A request with the {@link MeshWebClient#ONE_SHOT_BODY} attribute is sent once:
 * its attempt is settled as final, so it is neither retried nor mirrored.
 *
 * <p>Cancelling the subscription cancels the call at once: a pending wait is taken off the
 * sleeper and the attempt in flight is cancelled on the connector.
 */
final class WebClientExchange {

  private final TargetUris targets;
  private final boolean keepHost;
  private final WebClientMirrors mirrors;
  private final CallPlan plan;
  private final ClientRequest request;
  private final ExchangeFunction next;
  private final MonoSink<ClientResponse> sink;
  private final Context context;
  private final boolean replayable;
  private final AtomicBoolean ended = new AtomicBoolean();

  // Written by one step of the call and read by the next, which a completion or the sleeper's
  // schedule orders after it.
  private boolean first = true;
  private @Nullable Throwable lastError;

  // The attempt in flight and its subscription, for cancel().
  private volatile @Nullable Attempt current;
  private volatile @Nullable Disposable inFlight;

  private WebClientExchange(
      TargetUris targets,
      boolean keepHost,
      WebClientMirrors mirrors,
      CallPlan plan,
      ClientRequest request,
      ExchangeFunction next,
      MonoSink<ClientResponse> sink) {
    this.targets = targets;
    this.keepHost = keepHost;
    this.mirrors = mirrors;
    this.plan = plan;
    this.request = request;
    this.next = next;
    this.sink = sink;
    this.context = Context.of(sink.contextView());
    this.replayable = !Boolean.TRUE.equals(request.attribute(MeshWebClient.ONE_SHOT_BODY).orElse(null));
  }

  /**
   * Runs {@code request}'s call, planned as {@code plan}, for the subscriber of {@code sink}.
   *
   * @param targets the endpoint URI cache of the filter
   * @param keepHost whether attempts name the logical authority in {@code Host} (the connector
   *     sends it)
   */
  static void start(
      TargetUris targets,
      boolean keepHost,
      WebClientMirrors mirrors,
      CallPlan plan,
      ClientRequest request,
      ExchangeFunction next,
      MonoSink<ClientResponse> sink) {
    HttpRedirect redirect = plan.redirect();
    if (redirect != null) {
      plan.end(CallStatus.http(redirect.status()), 0, 0);
      sink.success(
          ClientResponse.create(HttpStatusCode.valueOf(redirect.status()))
              .header(HttpHeaders.LOCATION, TargetUris.location(request.url(), redirect))
              .build());
      return;
    }
    WebClientExchange call;
    try {
      call =
          new WebClientExchange(
              targets, keepHost, mirrors, plan, prepared(keepHost, plan, request), next, sink);
    } catch (RuntimeException e) {
      plan.end(CallStatus.NO_RESPONSE, -1, -1);
      sink.error(e);
      return;
    }
    sink.onCancel(call::cancel);
    long delay = plan.faultDelayNanos();
    if (delay > 0) {
      plan.resumeAfter(delay, call::attempt);
    } else {
      call.attempt();
    }
  }

  /**
   * The request with the matched rule's path rewrite and header changes, made once, after
   * matching saw the application's own request; the request itself when the rule changes nothing.
   */
  private static ClientRequest prepared(boolean keepHost, CallPlan plan, ClientRequest request) {
    HttpRewrite rewrite = plan.rewrite();
    HeaderEdits edits = plan.requestHeaderEdits();
    if (rewrite == null && edits.isEmpty()) {
      return request;
    }
    URI uri = rewrite == null ? request.url() : TargetUris.rewritten(request.url(), rewrite);
    String hostname = rewrite == null ? null : rewrite.hostname();
    return ClientRequest.from(request)
        .url(uri)
        .headers(
            h -> {
              if (hostname != null && keepHost) {
                h.set(HttpHeaders.HOST, hostname);
              }
              SpringHeaders.edit(h, edits);
            })
        .build();
  }

  /** Takes the next attempt and sends it; runs on the subscriber's thread, the sleeper's or the connector's. */
  private void attempt() {
    if (ended.get()) {
      return;
    }
    ClientRequest.Builder sending = ClientRequest.from(request);
    AttemptHeaders headers = new AttemptHeaders();
    sending.headers(headers);
    if (keepHost) {
      // where the connector sends it, each attempt names the logical authority
      headers.keepAuthority(request.url());
    }
    Attempt attempt;
    try {
      attempt = plan.nextAttempt(headers);
    } catch (RuntimeException e) {
      fail(e);
      return;
    }
    if (!attempt.admitted()) {
      fail(new MeshHttpException(attempt.refusal(), lastError));
      return;
    }
    current = attempt;
    try {
      long timeout = attempt.timeoutNanos();
      ClientRequest sent = sending.url(targets.target(request.url(), attempt.endpoint())).build();
      boolean boundByCallDeadline = attempt.timeoutIsCallDeadline();
      if (first) {
        first = false;
        if (replayable) {
          mirror();
        }
      }
      Disposable d =
          WebClientMirrors.exchange(next, sent, timeout)
              .subscribe(
                  response -> answered(attempt, response),
                  failure -> failed(attempt, failure, boundByCallDeadline),
                  null,
                  context);
      inFlight = d;
      if (ended.get()) {
        // cancelled while the attempt was being sent: cancel() may have missed it
        d.dispose();
        attempt.settle(Outcome.cancelled());
      }
    } catch (RuntimeException | Error e) {
      // The attempt's permits must be released even though it never went out.
      attempt.settleFinal(Outcome.failure(Outcome.Kind.RESET, e.getClass().getSimpleName()));
      fail(e);
    }
  }

  /** Decides on an attempt answered with a status. */
  private void answered(Attempt attempt, ClientResponse response) {
    inFlight = null;
    if (ended.get()) {
      attempt.settle(Outcome.cancelled());
      response.releaseBody().subscribe();
      return;
    }
    int code = response.statusCode().value();
    ClientResponse.Headers h = response.headers();
    Outcome answered =
        HttpFailures.answered(
            code, h.asHttpHeaders().getFirst(HttpHeaders.RETRY_AFTER), h.asHttpHeaders().getFirst(HttpHeaders.DATE));
    RetryDecision decision = replayable ? attempt.settle(answered) : attempt.settleFinal(answered);
    if (decision.shouldRetry()) {
      lastError = null;
      response.releaseBody().subscribe();
      plan.resumeAfter(decision.backoffNanos(), this::attempt);
      return;
    }
    HeaderEdits edits = plan.responseHeaderEdits();
    ClientResponse answer =
        edits.isEmpty() ? response : response.mutate().headers(e -> SpringHeaders.edit(e, edits)).build();
    if (!ended.compareAndSet(false, true)) {
      response.releaseBody().subscribe();
      return;
    }
    plan.end(CallStatus.http(code), request.headers().getContentLength(), h.contentLength().orElse(-1));
    sink.success(answer);
  }

  /** Decides on an attempt that failed without a status. */
  private void failed(Attempt attempt, Throwable failure, boolean boundByCallDeadline) {
    inFlight = null;
    if (ended.get()) {
      attempt.settle(Outcome.cancelled());
      return;
    }
    Throwable e = WebClientMirrors.unwrap(failure);
    Outcome failed = Outcome.failure(HttpFailures.kind(e), e.getClass().getSimpleName());
    RetryDecision decision = replayable ? attempt.settle(failed) : attempt.settleFinal(failed);
    if (decision.shouldRetry()) {
      lastError = e;
      plan.resumeAfter(decision.backoffNanos(), this::attempt);
      return;
    }
    fail(HttpFailures.explainDeadline(failure, failed, plan, boundByCallDeadline));
  }

  private void fail(Throwable e) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    plan.end(
        e instanceof MeshHttpException m ? CallStatus.http(m.httpStatus()) : CallStatus.NO_RESPONSE,
        -1,
        -1);
    sink.error(e);
  }

  /** Sends the call's mirror copy, if the plan has one, when the first attempt goes out. */
  private void mirror() {
    if (plan.mirror() == null) {
      return;
    }
    Attempt copy = plan.mirrorAttempt();
    if (copy == null || !copy.admitted()) {
      // The engine reported the refusal to listeners; the call goes on without a copy.
      return;
    }
    ClientRequest sent;
    try {
      ClientRequest.Builder b =
          ClientRequest.from(request).url(targets.target(request.url(), copy.endpoint()));
      if (keepHost) {
        b.headers(h -> SpringHeaders.keepAuthority(h, request.url()));
      }
      sent = b.build();
    } catch (RuntimeException e) {
      copy.settleFinal(Outcome.failure(Outcome.Kind.CONNECT_FAILURE, e.getClass().getSimpleName()));
      return;
    }
    mirrors.send(next, copy, sent);
  }

  /**
   * Ends the call at once, when its subscriber cancels: the engine refuses any further attempt
   * and drops a pending wait, and the attempt in flight is settled as cancelled (the first
   * settling wins) and cancelled on the connector.
   */
  private void cancel() {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    plan.cancel();
    plan.end(CallStatus.NO_RESPONSE, -1, -1);
    Disposable d = inFlight;
    if (d != null) {
      d.dispose();
    }
    Attempt a = current;
    if (a != null) {
      // no effect on an attempt already settled on its answer
      a.settle(Outcome.cancelled());
    }
  }

  /** The headers of one attempt's request, which the engine's observers write (trace context). */
  private static final class AttemptHeaders
      implements io.mesh4j.core.call.HeaderSetter, java.util.function.Consumer<HttpHeaders> {
    private @Nullable HttpHeaders headers;

    @Override
    public void accept(HttpHeaders h) {
      headers = h;
    }

    @Override
    public void set(String name, String value) {
      HttpHeaders h = headers;
      if (h != null) {
        h.set(name, value);
      }
    }

    void keepAuthority(URI uri) {
      HttpHeaders h = headers;
      if (h != null) {
        SpringHeaders.keepAuthority(h, uri);
      }
    }
  }
}
