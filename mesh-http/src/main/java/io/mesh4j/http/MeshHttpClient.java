package io.mesh4j.http;

import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.Outbound;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * Java's {@link HttpClient} under the mesh: a request whose host is a mesh destination is planned
 * by the engine and run by a {@link MeshExchange}, one wrapped-client {@code sendAsync} per
 * attempt; a request to any other host goes to the wrapped client untouched. Settings are the
 * wrapped client's. {@link #send} is {@link #sendAsync} and a wait, as in the JDK's own client,
 * so both run the same steps; interrupting a {@code send} cancels the call. Thread-safe.
 */
final class MeshHttpClient extends HttpClient {

  private final HttpClient delegate;
  private final Outbound outbound;
  private final JdkTransport transport;

  MeshHttpClient(Outbound outbound, HttpClient delegate, boolean https) {
    this.outbound = outbound;
    this.delegate = delegate;
    this.transport = new JdkTransport(delegate, new TargetUris(https), new JdkMirrorSender());
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    CallPlan plan = outbound.plan(describe(request));
    if (!plan.known()) {
      // Not a mesh destination: the request is none of the mesh's business.
      return delegate.send(request, handler);
    }
    CompletableFuture<HttpResponse<T>> call = MeshExchange.start(transport, plan, request, handler);
    try {
      return call.get();
    } catch (InterruptedException e) {
      call.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = JdkMirrorSender.unwrap(e);
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IOException(cause);
    }
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    CallPlan plan = outbound.plan(describe(request));
    if (!plan.known()) {
      return delegate.sendAsync(request, handler);
    }
    return MeshExchange.start(transport, plan, request, handler);
  }

  /**
   * Push promises are passed on for requests outside the mesh. A meshed call may take several
   * attempts, and a promise belongs to one of them, so none is accepted for it.
   */
  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request,
      HttpResponse.BodyHandler<T> handler,
      HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
    CallPlan plan = outbound.plan(describe(request));
    if (!plan.known()) {
      return delegate.sendAsync(request, handler, pushPromiseHandler);
    }
    return MeshExchange.start(transport, plan, request, handler);
  }

  private static JdkOutboundCall describe(HttpRequest request) {
    Optional<Duration> timeout = request.timeout();
    return new JdkOutboundCall(
        request, timeout.isPresent() ? nanos(timeout.get()) : Long.MAX_VALUE);
  }

  private static long nanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  // --- the wrapped client's settings

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return delegate.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return delegate.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return delegate.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return delegate.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return delegate.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return delegate.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return delegate.authenticator();
  }

  @Override
  public Version version() {
    return delegate.version();
  }

  @Override
  public Optional<Executor> executor() {
    return delegate.executor();
  }

  /** WebSockets are the wrapped client's: the mesh plans request/response calls only. */
  @Override
  public WebSocket.Builder newWebSocketBuilder() {
    return delegate.newWebSocketBuilder();
  }

  /**
   * Closes the wrapped client where {@link HttpClient} is {@link AutoCloseable} (Java 21 and
   * later; this overrides its {@code close} there), so that try-with-resources over the mesh's
   * client releases the wrapped one's connections and threads. {@code shutdown}, {@code
   * shutdownNow} and {@code awaitTermination} are not passed on: call them on the wrapped client.
   */
  public void close() {
    if (delegate instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        // HttpClient.close declares no checked exception; another AutoCloseable might
        throw new IllegalStateException(e);
      }
    }
  }

  @Override
  public String toString() {
    return "MeshHttpClient(" + delegate + ")";
  }
}
