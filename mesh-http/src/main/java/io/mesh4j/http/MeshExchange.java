package io.mesh4j.http;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.HeaderEdits;
import io.mesh4j.core.call.HttpRedirect;
import io.mesh4j.core.call.HttpRewrite;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One meshed call of Java's HttpClient, and the future its application holds. Each admitted
 * attempt is one {@code sendAsync} of the wrapped client; the engine's fault delay and backoffs
 * are scheduled on the mesh's sleeper ({@link CallPlan#resumeAfter}), so no thread waits.
 *
 * <p>An attempt is settled when its status and headers arrive, inside the body handler: an answer
 * the engine retries has its body discarded, and only the final answer reaches the caller's
 * handler, which therefore sees one response. A 429 or 503 reply's {@code Retry-After} goes to
 * the engine with the outcome ({@link RetryAfter}).
 *
 * <p>A request body is replayed by subscribing to the request's publisher again, as the JDK
 * itself does when it follows a redirect: a body of known length ({@code BodyPublishers.ofString},
 * {@code ofByteArray}, {@code ofFile}, {@code noBody}) is replayable; one of unknown length
 * ({@code ofInputStream}, {@code fromPublisher}) is streamed once, and its attempt is settled as
 * final, so it is neither retried nor mirrored.
 *
 * <p>Cancelling this future cancels the call at once: a pending fault delay or backoff is taken
 * off the sleeper, and the attempt in flight is cancelled on the wrapped client.
 */
final class MeshExchange<T> extends CompletableFuture<HttpResponse<T>> {

  /** Whether this JVM lets requests name their {@code Host} (it is a restricted header). */
  static final boolean HOST_SETTABLE = hostSettable();

  private final JdkTransport transport;
  private final CallPlan plan;
  private final HttpRequest request;
  private final HttpResponse.BodyHandler<T> handler;
  private final HeaderEdits responseEdits;
  private final boolean replayable;
  private final long requestBytes;
  // The logical authority for each attempt's Host, or null when the request names it or the JVM
  // does not allow it.
  private final @Nullable String host;

  // Written by one step of the call and read by the next, which a completion or the sleeper's
  // schedule orders after it.
  private boolean first = true;
  private @Nullable Throwable lastError;

  // The attempt in flight, for cancel().
  private volatile @Nullable CompletableFuture<?> inFlight;

  private MeshExchange(
      JdkTransport transport, CallPlan plan, HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    this.transport = transport;
    this.plan = plan;
    this.request = request;
    this.handler = handler;
    this.responseEdits = plan.responseHeaderEdits();
    long length = request.bodyPublisher().map(HttpRequest.BodyPublisher::contentLength).orElse(0L);
    this.replayable = length >= 0;
    this.requestBytes = length;
    this.host =
        HOST_SETTABLE && request.headers().firstValue("host").isEmpty()
            ? request.uri().getRawAuthority()
            : null;
  }

  /** Starts {@code request}'s call, planned as {@code plan}, and returns its future. */
  static <T> CompletableFuture<HttpResponse<T>> start(
      JdkTransport transport, CallPlan plan, HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    HttpRedirect redirect = plan.redirect();
    if (redirect != null) {
      return JdkResponses.redirect(plan, request, redirect, handler);
    }
    MeshExchange<T> call;
    try {
      call = new MeshExchange<>(transport, plan, prepared(plan, request), handler);
    } catch (RuntimeException e) {
      plan.end(CallStatus.NO_RESPONSE, -1, -1);
      return CompletableFuture.failedFuture(e);
    }
    long delay = plan.faultDelayNanos();
    if (delay > 0) {
      plan.resumeAfter(delay, call::attempt);
    } else {
      call.attempt();
    }
    return call;
  }

  /**
   * The request with the matched rule's path rewrite and header changes, made once, after
   * matching saw the application's own request. Headers the JDK refuses to set ({@code Host}
   * unless the JVM allows it, {@code Connection}, ...) are left out.
   */
  private static HttpRequest prepared(CallPlan plan, HttpRequest request) {
    HttpRewrite rewrite = plan.rewrite();
    HeaderEdits edits = plan.requestHeaderEdits();
    if (rewrite == null && edits.isEmpty()) {
      return request;
    }
    Map<String, List<String>> headers = JdkResponses.mutable(request.headers());
    URI uri = request.uri();
    if (rewrite != null) {
      uri = TargetUris.rewritten(uri, rewrite);
      String hostname = rewrite.hostname();
      if (hostname != null && HOST_SETTABLE) {
        headers.put("Host", new java.util.ArrayList<>(List.of(hostname)));
      }
    }
    edits.applyTo(new JdkResponses.MapEditor(headers));
    HttpRequest.Builder b = HttpRequest.newBuilder(request, (name, value) -> false).uri(uri);
    headers.forEach(
        (name, values) -> {
          for (String value : values) {
            try {
              b.header(name, value);
            } catch (IllegalArgumentException restricted) {
              // the JDK sets this header itself
            }
          }
        });
    return b.build();
  }

  /** Takes the next attempt and sends it; runs on the caller's thread, the sleeper's or the client's. */
  @SuppressWarnings("FutureReturnValueIgnored") // the attempt's end is handled in whenComplete
  private void attempt() {
    if (isDone()) {
      return;
    }
    HttpRequest.Builder sending = HttpRequest.newBuilder(request, MeshExchange::all);
    Attempt attempt;
    try {
      attempt = plan.nextAttempt(sending::setHeader);
    } catch (RuntimeException e) {
      fail(e);
      return;
    }
    if (!attempt.admitted()) {
      fail(new MeshHttpException(attempt.refusal(), lastError));
      return;
    }
    try {
      long timeout = attempt.timeoutNanos();
      HttpRequest sent = pointAt(sending, attempt.endpoint(), timeout);
      boolean boundByCallDeadline = attempt.timeoutIsCallDeadline();
      if (first) {
        first = false;
        if (replayable) {
          mirror();
        }
      }
      AttemptHandler answer = new AttemptHandler(attempt);
      CompletableFuture<HttpResponse<T>> exchange = transport.delegate().sendAsync(sent, answer);
      inFlight = exchange;
      if (isDone()) {
        // cancelled while the attempt was being sent: cancel() may have missed it
        exchange.cancel(true);
      }
      exchange.whenComplete((response, failure) -> answered(answer, response, failure, boundByCallDeadline));
    } catch (RuntimeException | Error e) {
      // The attempt's permits must be released even though it never went out.
      attempt.settleFinal(Outcome.failure(Outcome.Kind.RESET, e.getClass().getSimpleName()));
      fail(e);
    }
  }

  /** {@code b} aimed at {@code endpoint}, naming the logical host, bounded by {@code timeoutNanos}. */
  private HttpRequest pointAt(HttpRequest.Builder b, Endpoint endpoint, long timeoutNanos) {
    b.uri(transport.targets().target(request.uri(), endpoint));
    String h = host;
    if (h != null) {
      b.setHeader("Host", h);
    }
    if (timeoutNanos != Long.MAX_VALUE) {
      b.timeout(Duration.ofNanos(Math.max(1, timeoutNanos)));
    }
    return b.build();
  }

  /** Decides on an attempt once the wrapped client is done with it. */
  private void answered(
      AttemptHandler answer,
      @Nullable HttpResponse<T> response,
      @Nullable Throwable failure,
      boolean boundByCallDeadline) {
    inFlight = null;
    Attempt attempt = answer.attempt;
    if (isDone()) {
      // Cancelled: the first settling wins, so an attempt settled on its answer stays so.
      attempt.settle(Outcome.cancelled());
      return;
    }
    RetryDecision decision = answer.decision;
    if (decision != null && decision.shouldRetry()) {
      // Its body was discarded; whether that went well does not matter.
      lastError = null;
      retry(decision.backoffNanos());
      return;
    }
    if (failure != null) {
      Throwable e = JdkMirrorSender.unwrap(failure);
      if (decision != null) {
        // The final answer's body failed: the attempt was settled on its status already.
        fail(e);
        return;
      }
      Outcome failed = Outcome.failure(HttpFailures.kind(e), e.getClass().getSimpleName());
      decision = replayable ? attempt.settle(failed) : attempt.settleFinal(failed);
      if (decision.shouldRetry()) {
        lastError = e;
        retry(decision.backoffNanos());
        return;
      }
      fail(HttpFailures.explainDeadline(e, failed, plan, boundByCallDeadline));
      return;
    }
    HttpResponse<T> r = Objects.requireNonNull(response);
    HttpHeaders edited = answer.editedHeaders;
    plan.end(
        CallStatus.http(r.statusCode()),
        requestBytes,
        r.headers().firstValueAsLong("content-length").orElse(-1));
    complete(edited == null ? r : new JdkResponses.Edited<>(r, edited));
  }

  private void retry(long backoffNanos) {
    plan.resumeAfter(backoffNanos, this::attempt);
  }

  private void fail(Throwable e) {
    plan.end(
        e instanceof MeshHttpException m ? CallStatus.http(m.httpStatus()) : CallStatus.NO_RESPONSE,
        -1,
        -1);
    completeExceptionally(e);
  }

  /**
   * Sends the call's mirror copy, if the plan has one, when the first attempt goes out; only a
   * replayable body can be copied.
   */
  private void mirror() {
    if (plan.mirror() == null) {
      return;
    }
    Attempt copy = plan.mirrorAttempt();
    if (copy == null || !copy.admitted()) {
      // The engine reported the refusal to listeners; the call goes on without a copy.
      return;
    }
    HttpRequest sent;
    try {
      sent = pointAt(HttpRequest.newBuilder(request, MeshExchange::all), copy.endpoint(), copy.timeoutNanos());
    } catch (RuntimeException e) {
      copy.settleFinal(Outcome.failure(Outcome.Kind.CONNECT_FAILURE, e.getClass().getSimpleName()));
      return;
    }
    transport.mirrors().send(transport.delegate(), copy, sent);
  }

  /**
   * Ends the call at once: the engine refuses any further attempt and drops a pending wait, and
   * the attempt in flight is cancelled on the wrapped client (its completion settles it).
   */
  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    if (isDone()) {
      return false;
    }
    plan.cancel();
    plan.end(CallStatus.NO_RESPONSE, -1, -1);
    boolean cancelled = super.cancel(mayInterruptIfRunning);
    CompletableFuture<?> f = inFlight;
    if (f != null) {
      f.cancel(true);
    }
    return cancelled;
  }

  /**
   * Settles one attempt when its status and headers arrive and chooses who reads its body: the
   * caller's handler for the final answer, a discarding one for an answer that is retried.
   */
  private final class AttemptHandler implements HttpResponse.BodyHandler<T> {
    final Attempt attempt;
    volatile @Nullable RetryDecision decision;
    volatile @Nullable HttpHeaders editedHeaders;

    AttemptHandler(Attempt attempt) {
      this.attempt = attempt;
    }

    @Override
    public HttpResponse.BodySubscriber<T> apply(HttpResponse.ResponseInfo info) {
      int code = info.statusCode();
      HttpHeaders headers = info.headers();
      Outcome answered =
          HttpFailures.answered(
              code, headers.firstValue("retry-after").orElse(null), headers.firstValue("date").orElse(null));
      RetryDecision d = replayable ? attempt.settle(answered) : attempt.settleFinal(answered);
      decision = d;
      if (d.shouldRetry() || isDone()) {
        return HttpResponse.BodySubscribers.replacing(null);
      }
      if (responseEdits.isEmpty()) {
        return handler.apply(info);
      }
      HttpHeaders edited = JdkResponses.edited(headers, responseEdits);
      editedHeaders = edited;
      return handler.apply(new JdkResponses.Info(code, edited, info.version()));
    }
  }

  /** Copies every header of a request. */
  private static boolean all(String name, String value) {
    return true;
  }

  private static boolean hostSettable() {
    try {
      HttpRequest.newBuilder().header("Host", "mesh4j.invalid");
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
