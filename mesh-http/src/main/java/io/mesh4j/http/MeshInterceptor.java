package io.mesh4j.http;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.base.Ticker;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.Outbound;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.telemetry.CallTelemetry;
import io.mesh4j.core.telemetry.ClientCallInfo;
import io.mesh4j.core.telemetry.ClientCallObserver;
import io.mesh4j.core.telemetry.Protocol;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;


/**
 * The mesh as an OkHttp application interceptor: plans each call with the engine, sends every
 * admitted attempt to its endpoint with one {@code proceed}, settles it, and retries when the
 * engine says so. A mirrored call's copy is handed to a {@link MirrorSender} as its first attempt
 * goes out. With telemetry on the mesh, each call is observed from its plan to its end and each
 * attempt carries the call's trace context in its headers. Thread-safe; one instance serves any
 * number of concurrent calls.
 */
final class MeshInterceptor implements Interceptor {

  private final Outbound outbound;
  private final Ticker ticker;
  private final MirrorSender mirrors;
  private final CallTelemetry telemetry;
  private final boolean https;

  /**
   * @param https send every attempt to its endpoint over {@code https} (mutual TLS), whatever
   *     the scheme the application wrote
   */
  MeshInterceptor(Outbound outbound, Ticker ticker, CallTelemetry telemetry, boolean https) {
    this.https = https;
    this.outbound = outbound;
    this.ticker = ticker;
    this.telemetry = telemetry;
    this.mirrors = new MirrorSender(ticker, MeshInterceptor::kind);
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    if (!outbound.knows(request.url().host())) {
      // Not a mesh destination: the request is none of the mesh's business.
      return chain.proceed(request);
    }
    long start = ticker.nanos();
    CallPlan plan = outbound.plan(describe(chain, request));
    if (!telemetry.enabled()) {
      return send(chain, request, plan, ClientCallObserver.NONE);
    }
    HttpUrl url = request.url();
    ClientCallObserver observer =
        telemetry.clientCall(
            new ClientCallInfo(
                Protocol.HTTP,
                url.host(),
                request.method(),
                url.encodedPath(),
                plan.rule(),
                plan.subset(),
                true,
                null));
    Response response;
    try {
      response = send(chain, request, plan, observer);
    } catch (MeshHttpException e) {
      observer.callEnded(
          Integer.toString(e.httpStatus()), ticker.nanos() - start, -1, -1, e.failure());
      throw e;
    } catch (IOException | RuntimeException | Error e) {
      observer.callEnded("0", ticker.nanos() - start, -1, -1, null);
      throw e;
    }
    RequestBody body = request.body();
    observer.callEnded(
        Integer.toString(response.code()),
        ticker.nanos() - start,
        body == null ? 0 : contentLength(body),
        response.body().contentLength(),
        null);
    return response;
  }

  private static long contentLength(RequestBody body) {
    try {
      return body.contentLength();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Runs the plan's attempts; {@code observer} hears each attempt. */
  private Response send(Chain chain, Request request, CallPlan plan, ClientCallObserver observer)
      throws IOException {
    sleep(plan.faultDelayNanos());
    Attempt attempt = plan.nextAttempt();
    if (!attempt.admitted()
        && attempt.refusal().reason() == MeshFailure.Reason.UNKNOWN_DESTINATION) {
      // The destination left the policy between the two looks: treat it as a foreign host.
      return chain.proceed(request);
    }
    RequestBody body = request.body();
    boolean replayable = body == null || !body.isOneShot();
    @Nullable IOException lastError = null;
    boolean first = true;
    while (true) {
      if (!attempt.admitted()) {
        throw new MeshHttpException(attempt.refusal(), lastError);
      }
      Endpoint endpoint = attempt.endpoint();
      Request sent = pointAt(request, endpoint);
      if (observer != ClientCallObserver.NONE) {
        Request.Builder traced = sent.newBuilder();
        observer.attemptStarted(attempt, traced::header);
        sent = traced.build();
      }
      long timeout = attempt.timeoutNanos();
      Chain attemptChain = withTimeout(chain, timeout);
      // Otherwise a per-try timeout, shorter than the call's deadline, is what may cut it off.
      boolean boundByCallDeadline = timeout != Long.MAX_VALUE && timeout >= plan.remainingNanos();
      if (first) {
        first = false;
        mirror(chain, plan, request, replayable && (body == null || !body.isDuplex()));
      }
      long start = ticker.nanos();
      Response response;
      RetryDecision decision;
      try {
        response = attemptChain.proceed(sent);
      } catch (IOException e) {
        long latency = ticker.nanos() - start;
        if (chain.call().isCanceled()) {
          Outcome cancelled = Outcome.cancelled(latency);
          attempt.settle(cancelled);
          observer.attemptEnded(attempt, cancelled);
          throw e;
        }
        Outcome failed = outcome(e, latency);
        decision = attempt.settle(failed);
        observer.attemptEnded(attempt, failed);
        if (!decision.shouldRetry() || !replayable) {
          throw explainDeadline(e, failed, plan, boundByCallDeadline);
        }
        lastError = e;
        sleep(decision.backoffNanos());
        attempt = plan.nextAttempt();
        continue;
      } catch (RuntimeException | Error e) {
        // A later interceptor broke; the attempt's permits must still be released.
        Outcome broken =
            Outcome.failure(Outcome.Kind.RESET, e.getClass().getSimpleName(), ticker.nanos() - start);
        attempt.settle(broken);
        observer.attemptEnded(attempt, broken);
        throw e;
      }
      long latency = ticker.nanos() - start;
      int code = response.code();
      Outcome answered =
          code >= 400
              ? Outcome.failure(Outcome.Kind.STATUS, Integer.toString(code), latency)
              : Outcome.success(latency);
      decision = attempt.settle(answered);
      observer.attemptEnded(attempt, answered);
      if (!decision.shouldRetry() || !replayable) {
        return response;
      }
      response.close();
      lastError = null;
      sleep(decision.backoffNanos());
      attempt = plan.nextAttempt();
    }
  }

  /**
   * Sends the call's mirror copy, if the plan has one, when the first attempt goes out. A body
   * that cannot be written twice cannot be copied; then the copy's attempt is never taken, so it
   * holds nothing.
   */
  private void mirror(Chain chain, CallPlan plan, Request request, boolean copyable) {
    if (!copyable || plan.mirror() == null) {
      return;
    }
    Attempt copy = plan.mirrorAttempt();
    if (copy == null || !copy.admitted()) {
      // The engine reported the refusal to listeners; the call goes on without a copy.
      return;
    }
    mirrors.send(chain, copy, pointAt(request, copy.endpoint()));
  }

  private static OutboundCall describe(Chain chain, Request request) {
    HttpUrl url = request.url();
    OutboundCall.Builder call =
        OutboundCall.builder(url.host()).http(request.method(), url.encodedPath());
    for (int i = 0, n = request.headers().size(); i < n; i++) {
      call.header(request.headers().name(i), request.headers().value(i));
    }
    long callTimeout = chain.call().timeout().timeoutNanos();
    if (callTimeout > 0) {
      call.timeRemainingNanos(callTimeout);
    }
    return call.build();
  }

  /** The request sent to {@code endpoint}, still naming the logical host in {@code Host}. */
  private Request pointAt(Request request, Endpoint endpoint) {
    HttpUrl url = request.url();
    HttpUrl.Builder target = url.newBuilder().host(endpoint.address()).port(endpoint.port());
    if (https) {
      target.scheme("https");
    }
    Request.Builder sent = request.newBuilder().url(target.build());
    if (request.header("Host") == null) {
      boolean defaultPort = url.port() == HttpUrl.defaultPort(url.scheme());
      sent.header("Host", defaultPort ? url.host() : url.host() + ":" + url.port());
    }
    return sent.build();
  }

  /**
   * OkHttp's timeout exception does not say where the deadline came from; when it is the mesh's
   * default, the caller gets the mesh's failure (504, naming the setting) with the timeout as its
   * cause, so a call that nobody bounded does not look like a network fault.
   */
  private static IOException explainDeadline(
      IOException e, Outcome failed, CallPlan plan, boolean boundByCallDeadline) {
    if (!boundByCallDeadline || failed.kind() != Outcome.Kind.TIMEOUT) {
      return e;
    }
    MeshFailure f = plan.defaultDeadlineFailure();
    return f == null ? e : new MeshHttpException(f, e);
  }

  /** The chain whose connect, write and read timeouts are the attempt's per-try timeout. */
  private static Chain withTimeout(Chain chain, long timeoutNanos) {
    if (timeoutNanos == Long.MAX_VALUE) {
      return chain;
    }
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
    return chain
        .withConnectTimeout(millis, TimeUnit.MILLISECONDS)
        .withWriteTimeout(millis, TimeUnit.MILLISECONDS)
        .withReadTimeout(millis, TimeUnit.MILLISECONDS);
  }

  private static Outcome outcome(IOException e, long latency) {
    return Outcome.failure(kind(e), e.getClass().getSimpleName(), latency);
  }

  /** How the engine should count a failed attempt, from the exception OkHttp threw. */
  static Outcome.Kind kind(Exception e) {
    if (e instanceof ConnectException
        || e instanceof NoRouteToHostException
        || e instanceof UnknownHostException) {
      return Outcome.Kind.CONNECT_FAILURE;
    }
    if (e instanceof SocketTimeoutException || e instanceof InterruptedIOException) {
      return Outcome.Kind.TIMEOUT;
    }
    return Outcome.Kind.RESET;
  }

  private static void sleep(long nanos) throws InterruptedIOException {
    if (nanos <= 0) {
      return;
    }
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException ie = new InterruptedIOException("interrupted while waiting to retry");
      ie.initCause(e);
      throw ie;
    }
  }

}
