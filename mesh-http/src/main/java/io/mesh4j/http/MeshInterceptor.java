package io.mesh4j.http;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.HeaderEdits;
import io.mesh4j.core.call.HttpRedirect;
import io.mesh4j.core.call.HttpRewrite;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Outbound;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;


/**
 * The mesh as an OkHttp application interceptor: plans each call with the engine, sends every
 * admitted attempt to its endpoint with one {@code proceed}, settles it, and retries when the
 * engine says so. The engine observes the call and owns its waits (fault delay, backoff) and
 * cancellation; this class only moves requests. A 429 or 503 reply's {@code Retry-After} goes to
 * the engine with the attempt's outcome ({@link RetryAfter}). A mirrored call's copy is handed to a
 * {@link MirrorSender} as its first attempt goes out. Thread-safe; one instance serves any number of
 * concurrent calls.
 */
final class MeshInterceptor implements Interceptor {

  private final Outbound outbound;
  private final MirrorSender mirrors;
  private final TargetUrls targets;

  /**
   * @param https send every attempt to its endpoint over {@code https} (mutual TLS), whatever
   *     the scheme the application wrote
   */
  MeshInterceptor(Outbound outbound, boolean https) {
    this.targets = new TargetUrls(https);
    this.outbound = outbound;
    this.mirrors = new MirrorSender(MeshInterceptor::kind);
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    HttpOutboundCall call = describe(chain, request);
    CallPlan plan = outbound.plan(call);
    if (!plan.known()) {
      // Not a mesh destination: the request is none of the mesh's business.
      return chain.proceed(request);
    }
    HttpRedirect redirect = plan.redirect();
    if (redirect != null) {
      Response answer = redirect(request, redirect);
      plan.end(CallStatus.http(answer.code()), 0, 0);
      return answer;
    }
    HttpRewrite rewrite = plan.rewrite();
    if (rewrite != null) {
      request = rewritten(request, rewrite);
    }
    HeaderEdits requestEdits = plan.requestHeaderEdits();
    if (!requestEdits.isEmpty()) {
      // After matching, which saw the application's own headers.
      Request.Builder edited = request.newBuilder();
      requestEdits.applyTo(new HeadersEditor(edited::header, edited::addHeader, edited::removeHeader));
      request = edited.build();
    }
    Response response;
    try {
      response = send(chain, request, call, plan);
      HeaderEdits responseEdits = plan.responseHeaderEdits();
      if (!responseEdits.isEmpty()) {
        Response.Builder edited = response.newBuilder();
        responseEdits.applyTo(new HeadersEditor(edited::header, edited::addHeader, edited::removeHeader));
        response = edited.build();
      }
    } catch (MeshHttpException e) {
      plan.end(CallStatus.http(e.httpStatus()), -1, -1);
      throw e;
    } catch (IOException | RuntimeException | Error e) {
      plan.end(CallStatus.NO_RESPONSE, -1, -1);
      throw e;
    }
    RequestBody body = request.body();
    plan.end(
        CallStatus.http(response.code()),
        body == null ? 0 : contentLength(body),
        response.body().contentLength());
    return response;
  }

  private static long contentLength(RequestBody body) {
    try {
      return body.contentLength();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Runs the plan's attempts; observers write each attempt's headers through {@code call}. */
  private Response send(Chain chain, Request request, HttpOutboundCall call, CallPlan plan)
      throws IOException {
    pause(chain, plan, plan.faultDelayNanos());
    RequestBody body = request.body();
    boolean replayable = body == null || !body.isOneShot();
    @Nullable IOException lastError = null;
    boolean first = true;
    while (true) {
      Request.Builder sending = pointAt(request);
      call.startingAttempt(sending);
      Attempt attempt;
      try {
        attempt = plan.nextAttempt(call);
      } finally {
        call.startingAttempt(null);
      }
      if (!attempt.admitted()) {
        throw new MeshHttpException(attempt.refusal(), lastError);
      }
      Request sent = sending.url(targets.target(request.url(), attempt.endpoint())).build();
      long timeout = attempt.timeoutNanos();
      Chain attemptChain = withTimeout(chain, timeout, body != null);
      boolean boundByCallDeadline = attempt.timeoutIsCallDeadline();
      if (first) {
        first = false;
        mirror(chain, plan, request, replayable && (body == null || !body.isDuplex()));
      }
      Response response;
      RetryDecision decision;
      try {
        response = attemptChain.proceed(sent);
      } catch (IOException e) {
        if (chain.call().isCanceled()) {
          plan.cancel();
          attempt.settle(Outcome.cancelled());
          throw e;
        }
        Outcome failed = Outcome.failure(kind(e), e.getClass().getSimpleName());
        decision = replayable ? attempt.settle(failed) : attempt.settleFinal(failed);
        if (!decision.shouldRetry()) {
          throw explainDeadline(e, failed, plan, boundByCallDeadline);
        }
        lastError = e;
        pause(chain, plan, decision.backoffNanos());
        continue;
      } catch (RuntimeException | Error e) {
        // A later interceptor broke; the attempt's permits must still be released.
        attempt.settleFinal(Outcome.failure(Outcome.Kind.RESET, e.getClass().getSimpleName()));
        throw e;
      }
      int code = response.code();
      Outcome answered =
          code >= 400
              ? RetryAfter.apply(Outcome.status(CallStatus.http(code)), response)
              : Outcome.success();
      decision = replayable ? attempt.settle(answered) : attempt.settleFinal(answered);
      if (!decision.shouldRetry()) {
        return explainStop(response, decision);
      }
      response.close();
      lastError = null;
      pause(chain, plan, decision.backoffNanos());
    }
  }

  /**
   * The server's reply as the caller gets it when the engine stopped retrying: unchanged, unless
   * the engine says why it did not retry a retryable failure (the server's {@code Retry-After}
   * passes the deadline); then its reason phrase carries the engine's message too, so the caller
   * can tell the mesh's choice from the server's answer.
   */
  private static Response explainStop(Response response, RetryDecision decision) {
    String why = decision.message();
    if (why.isEmpty()) {
      return response;
    }
    String phrase = response.message();
    return response.newBuilder().message(phrase.isEmpty() ? why : phrase + "; " + why).build();
  }

  /**
   * Waits on the engine's sleeper; OkHttp has no cancellation callback, so the engine polls the
   * call's flag while it waits.
   */
  private static void pause(Chain chain, CallPlan plan, long nanos) throws IOException {
    boolean goOn;
    try {
      // No wait, no look at the call's flag: nothing to make for it.
      goOn = plan.pause(nanos, nanos <= 0 ? MeshInterceptor::neverCancelled : chain.call()::isCanceled);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException ie = new InterruptedIOException("interrupted while the mesh waited");
      ie.initCause(e);
      throw ie;
    }
    if (!goOn) {
      throw new IOException("Canceled");
    }
  }

  /** What a wait of nothing is given for the call's flag; it is never read. */
  private static boolean neverCancelled() {
    return false;
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
    mirrors.send(
        chain,
        copy,
        pointAt(request).url(targets.target(request.url(), copy.endpoint())).build());
  }

  private static HttpOutboundCall describe(Chain chain, Request request) {
    long callTimeout = chain.call().timeout().timeoutNanos();
    return new HttpOutboundCall(request, callTimeout > 0 ? callTimeout : Long.MAX_VALUE);
  }

  /** A copy of the request that still names the logical host in {@code Host}. */
  private static Request.Builder pointAt(Request request) {
    Request.Builder sent = request.newBuilder();
    if (request.header("Host") == null) {
      HttpUrl url = request.url();
      boolean defaultPort = url.port() == HttpUrl.defaultPort(url.scheme());
      sent.header("Host", defaultPort ? url.host() : url.host() + ":" + url.port());
    }
    return sent;
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

  /**
   * The chain whose connect, write and read timeouts are the attempt's per-try timeout. Each
   * change copies the chain, so a timeout that cannot matter is left alone: one already equal, and
   * the write timeout of a request without a body, which writes only its head (a socket buffer
   * takes it at once).
   */
  private static Chain withTimeout(Chain chain, long timeoutNanos, boolean hasBody) {
    if (timeoutNanos == Long.MAX_VALUE) {
      return chain;
    }
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
    Chain c = chain;
    if (millis != c.connectTimeoutMillis()) {
      c = c.withConnectTimeout(millis, TimeUnit.MILLISECONDS);
    }
    if (hasBody && millis != c.writeTimeoutMillis()) {
      c = c.withWriteTimeout(millis, TimeUnit.MILLISECONDS);
    }
    if (millis != c.readTimeoutMillis()) {
      c = c.withReadTimeout(millis, TimeUnit.MILLISECONDS);
    }
    return c;
  }


  /** How the engine should count a failed attempt, from the exception OkHttp threw. */
  static Outcome.Kind kind(Exception e) {
    return HttpFailures.kind(e);
  }

  /** The redirect the application gets instead of a response; nothing is sent. */
  private static Response redirect(Request request, HttpRedirect redirect) {
    HttpUrl url = request.url();
    String location = redirect.location(url.scheme(), url.host(), url.port(), url.encodedPath(), url.encodedQuery());
    return new Response.Builder()
        .request(request)
        .protocol(Protocol.HTTP_1_1)
        .code(redirect.status())
        .message("mesh4j: redirected by the route")
        .header("Location", location)
        .body(ResponseBody.create(new byte[0], null))
        .build();
  }

  /** The request with the rule's host and path; matching saw the original. */
  private static Request rewritten(Request request, HttpRewrite rewrite) {
    HttpUrl url = request.url();
    String path = rewrite.path().apply(url.encodedPath());
    Request.Builder b = request.newBuilder();
    if (!path.equals(url.encodedPath())) {
      b.url(url.newBuilder().encodedPath(path).build());
    }
    if (rewrite.hostname() != null) {
      b.header("Host", java.util.Objects.requireNonNull(rewrite.hostname()));
    }
    return b.build();
  }

  /** Applies a route's header changes through one OkHttp builder's methods. */
  private record HeadersEditor(
      java.util.function.BiConsumer<String, String> setter,
      java.util.function.BiConsumer<String, String> adder,
      java.util.function.Consumer<String> remover)
      implements HeaderEdits.Editor {
    @Override
    public void set(String name, String value) {
      setter.accept(name, value);
    }

    @Override
    public void add(String name, String value) {
      adder.accept(name, value);
    }

    @Override
    public void remove(String name) {
      remover.accept(name);
    }
  }
}
