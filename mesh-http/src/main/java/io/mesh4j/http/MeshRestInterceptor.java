package io.mesh4j.http;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.HeaderEdits;
import io.mesh4j.core.call.HttpRedirect;
import io.mesh4j.core.call.HttpRewrite;
import io.mesh4j.core.call.Outbound;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;

/**
 * The mesh as an interceptor of Spring's RestClient and RestTemplate, whatever their request
 * factory: plans each call with the engine, sends every admitted attempt to its endpoint with one
 * {@code execute} of the rest of the chain, settles it on its status, and retries when the engine
 * says so. The call runs on the caller's thread, as the client's does: fault delays and backoffs
 * are waited on the mesh's sleeper, and a per-try timeout interrupts the thread ({@link
 * AttemptDeadline}). Interrupting the caller cancels the call. Spring buffers the request body
 * before interceptors run, so every body is replayed for a retry and copied for a mirror.
 * Thread-safe; one instance serves any number of concurrent calls.
 */
final class MeshRestInterceptor implements ClientHttpRequestInterceptor {

  private final Outbound outbound;
  private final TargetUris targets;
  private final RestMirrorSender mirrors = new RestMirrorSender();

  /**
   * @param https send every attempt to its endpoint over {@code https} (mutual TLS), whatever
   *     the scheme the application wrote
   */
  MeshRestInterceptor(Outbound outbound, boolean https) {
    this.outbound = outbound;
    this.targets = new TargetUris(https);
  }

  @Override
  public ClientHttpResponse intercept(
      HttpRequest request, byte[] body, ClientHttpRequestExecution execution) throws IOException {
    CallPlan plan =
        outbound.plan(new SpringOutboundCall(request.getMethod(), request.getURI(), request.getHeaders()));
    if (!plan.known()) {
      // Not a mesh destination: the request is none of the mesh's business.
      return execution.execute(request, body);
    }
    HttpRedirect redirect = plan.redirect();
    if (redirect != null) {
      plan.end(CallStatus.http(redirect.status()), 0, 0);
      return RestResponses.redirect(redirect.status(), TargetUris.location(request.getURI(), redirect));
    }
    ClientHttpResponse response;
    try {
      response = send(prepared(plan, request), body, execution, plan);
    } catch (MeshHttpException e) {
      plan.end(CallStatus.http(e.httpStatus()), -1, -1);
      throw e;
    } catch (IOException | RuntimeException | Error e) {
      plan.end(CallStatus.NO_RESPONSE, -1, -1);
      throw e;
    }
    plan.end(
        CallStatus.http(response.getStatusCode().value()),
        body.length,
        response.getHeaders().getContentLength());
    return response;
  }

  /**
   * The request with the matched rule's path rewrite and header changes, made once, after
   * matching saw the application's own request; the request itself when the rule changes
   * nothing. Each attempt copies its headers ({@link SpringHeaders#forAttempt}).
   */
  private static RestRequest prepared(CallPlan plan, HttpRequest request) {
    URI uri = request.getURI();
    HttpRewrite rewrite = plan.rewrite();
    HeaderEdits edits = plan.requestHeaderEdits();
    if (rewrite == null && edits.isEmpty()) {
      return new RestRequest(request.getMethod(), uri, request.getHeaders(), request.getAttributes());
    }
    HttpHeaders headers = SpringHeaders.copy(request.getHeaders());
    if (rewrite != null) {
      uri = TargetUris.rewritten(uri, rewrite);
      String hostname = rewrite.hostname();
      if (hostname != null) {
        headers.set(HttpHeaders.HOST, hostname);
      }
    }
    SpringHeaders.edit(headers, edits);
    return new RestRequest(request.getMethod(), uri, headers, request.getAttributes());
  }

  /** Runs the plan's attempts. */
  private ClientHttpResponse send(
      RestRequest request, byte[] body, ClientHttpRequestExecution execution, CallPlan plan)
      throws IOException {
    pause(plan, plan.faultDelayNanos());
    @Nullable IOException lastError = null;
    boolean first = true;
    while (true) {
      HttpHeaders headers = SpringHeaders.forAttempt(request.headers(), request.uri());
      Attempt attempt = plan.nextAttempt(headers::set);
      if (!attempt.admitted()) {
        throw new MeshHttpException(attempt.refusal(), lastError);
      }
      RestRequest sent = request.to(targets.target(request.uri(), attempt.endpoint()), headers);
      long timeout = attempt.timeoutNanos();
      boolean boundByCallDeadline = attempt.timeoutIsCallDeadline();
      if (first) {
        first = false;
        mirror(plan, request, body, execution);
      }
      ClientHttpResponse response = null;
      int code;
      AttemptDeadline deadline = AttemptDeadline.start(timeout);
      try {
        response = execution.execute(sent, body);
        // Some factories (HttpURLConnection's) read the status only when asked.
        code = response.getStatusCode().value();
        if (deadline != null) {
          // An answer that came as the timeout passed is still the answer.
          deadline.finish();
        }
      } catch (IOException | RuntimeException e) {
        boolean timedOut = deadline != null && deadline.finish();
        if (response != null) {
          response.close();
        }
        if (!timedOut && interrupted(e)) {
          // The application interrupted its thread: the call is cancelled.
          plan.cancel();
          attempt.settle(Outcome.cancelled());
          throw cancelled(e);
        }
        if (!timedOut && !(e instanceof IOException)) {
          // A later interceptor broke; the attempt's permits must still be released.
          attempt.settleFinal(Outcome.failure(Outcome.Kind.RESET, e.getClass().getSimpleName()));
          throw (RuntimeException) e;
        }
        IOException failure = timedOut ? perTryTimeout(timeout, e) : (IOException) e;
        Outcome failed = Outcome.failure(HttpFailures.kind(failure), failure.getClass().getSimpleName());
        RetryDecision decision = attempt.settle(failed);
        if (!decision.shouldRetry()) {
          Throwable explained = HttpFailures.explainDeadline(failure, failed, plan, boundByCallDeadline);
          throw explained instanceof IOException io ? io : failure;
        }
        lastError = failure;
        pause(plan, decision.backoffNanos());
        continue;
      } catch (Error e) {
        if (deadline != null) {
          deadline.finish();
        }
        attempt.settleFinal(Outcome.failure(Outcome.Kind.RESET, e.getClass().getSimpleName()));
        throw e;
      }
      HttpHeaders answer = response.getHeaders();
      RetryDecision decision =
          attempt.settle(
              HttpFailures.answered(
                  code, answer.getFirst(HttpHeaders.RETRY_AFTER), answer.getFirst(HttpHeaders.DATE)));
      if (!decision.shouldRetry()) {
        return finalAnswer(response, plan.responseHeaderEdits(), decision.message());
      }
      response.close();
      lastError = null;
      pause(plan, decision.backoffNanos());
    }
  }

  /**
   * The server's reply as the caller gets it: with the route's changes to its headers, and, when
   * the engine did not retry a retryable failure (the server's {@code Retry-After} passes the
   * deadline), the engine's reason in its reason phrase, so the caller can tell the mesh's choice
   * from the server's answer.
   */
  private static ClientHttpResponse finalAnswer(
      ClientHttpResponse response, HeaderEdits edits, String why) throws IOException {
    if (edits.isEmpty() && why.isEmpty()) {
      return response;
    }
    HttpHeaders headers = response.getHeaders();
    if (!edits.isEmpty()) {
      headers = SpringHeaders.copy(headers);
      SpringHeaders.edit(headers, edits);
    }
    String phrase = response.getStatusText();
    if (!why.isEmpty()) {
      phrase = phrase.isEmpty() ? why : phrase + "; " + why;
    }
    return new RestResponses.Edited(response, headers, phrase);
  }

  /** Sends the call's mirror copy, if the plan has one, when the first attempt goes out. */
  private void mirror(CallPlan plan, RestRequest request, byte[] body, ClientHttpRequestExecution execution) {
    if (plan.mirror() == null) {
      return;
    }
    Attempt copy = plan.mirrorAttempt();
    if (copy == null || !copy.admitted()) {
      // The engine reported the refusal to listeners; the call goes on without a copy.
      return;
    }
    RestRequest sent =
        request.to(
            targets.target(request.uri(), copy.endpoint()),
            SpringHeaders.forAttempt(request.headers(), request.uri()));
    mirrors.send(execution, copy, sent, body);
  }

  /** Waits on the engine's sleeper; an interrupt cancels the call. */
  private static void pause(CallPlan plan, long nanos) throws IOException {
    boolean goOn;
    try {
      goOn = plan.pause(nanos, () -> false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      plan.cancel();
      InterruptedIOException ie = new InterruptedIOException("interrupted while the mesh waited");
      ie.initCause(e);
      throw ie;
    }
    if (!goOn) {
      throw new InterruptedIOException("Canceled");
    }
  }

  /** Whether {@code e} is the client's answer to an interrupt of the calling thread. */
  private static boolean interrupted(Throwable e) {
    if (Thread.currentThread().isInterrupted()) {
      return true;
    }
    // Reactor's block() takes the interrupt and throws it wrapped.
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InterruptedException) {
        return true;
      }
    }
    return false;
  }

  private static InterruptedIOException cancelled(Throwable e) {
    Thread.currentThread().interrupt();
    InterruptedIOException ie = new InterruptedIOException("mesh4j: call cancelled by an interrupt");
    ie.initCause(e);
    return ie;
  }

  private static SocketTimeoutException perTryTimeout(long timeoutNanos, Throwable cause) {
    SocketTimeoutException e =
        new SocketTimeoutException(
            "mesh4j: attempt timed out after " + timeoutNanos / 1_000_000 + " ms");
    e.initCause(cause);
    return e;
  }
}
