package io.mesh4j.http;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Outcome;
import java.io.IOException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Dispatcher;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Sends the mirror copies of one {@link MeshInterceptor}'s calls, fire and forget, with OkHttp's
 * {@code enqueue}. Copies go through a client derived from the calling client's settings (its
 * connection pool, DNS, socket and TLS factories, proxy, hostname verifier and certificate
 * pinner) but without any interceptor of the application's, so a copy is neither planned by the
 * mesh again nor seen twice by the application's own interceptors; it never follows redirects.
 * Copies run on this sender's own dispatcher, whose daemon threads start on first use and end
 * after a minute without copies, so a copy never takes a slot of the application's dispatcher.
 *
 * <p>Thread-safe.
 */
final class MirrorSender {

  /**
   * Copies in flight at once, per interceptor. A copy beyond this is dropped rather than queued: a
   * slow shadow must not build up an unbounded backlog of copies in memory.
   */
  static final int MAX_IN_FLIGHT = 64;

  private final Function<Exception, Outcome.Kind> classify;
  private final Dispatcher dispatcher;
  // The derived client, rebuilt only when a call comes from a client with another connection pool.
  private volatile @Nullable OkHttpClient client;

  /**
   * The threads mirror copies run on: up to {@link #MAX_IN_FLIGHT} daemon threads, started on first
   * use and ended after a minute without copies; a copy beyond them is rejected, not queued.
   */
  static ThreadPoolExecutor newExecutor() {
    return new ThreadPoolExecutor(
        0,
        MAX_IN_FLIGHT,
        60,
        TimeUnit.SECONDS,
        new SynchronousQueue<>(),
        r -> {
          Thread t = new Thread(r, "mesh4j-http-mirror");
          t.setDaemon(true);
          return t;
        });
  }

  MirrorSender(Function<Exception, Outcome.Kind> classify) {
    this.classify = classify;
    this.dispatcher = new Dispatcher(newExecutor());
    dispatcher.setMaxRequests(MAX_IN_FLIGHT);
    dispatcher.setMaxRequestsPerHost(MAX_IN_FLIGHT);
  }

  /**
   * Sends {@code copy} for the admitted mirror attempt {@code attempt} and returns at once. The
   * attempt is settled with the copy's outcome, or as cancelled when the copy is dropped (the
   * engine takes only the first settling of an attempt). Never throws: nothing about the copy may fail the call it copies.
   */
  void send(Interceptor.Chain chain, Attempt attempt, Request copy) {
    try {
      if (dispatcher.runningCallsCount() + dispatcher.queuedCallsCount() >= MAX_IN_FLIGHT) {
        attempt.settleFinal(Outcome.cancelled());
        return;
      }
      Call call = client(chain).newCall(copy);
      long timeout = attempt.timeoutNanos();
      // The attempt's timeout is what is left of the call's deadline; without one, the copy is
      // still bounded by the client's connect, write and read timeouts.
      if (timeout != Long.MAX_VALUE) {
        call.timeout().timeout(Math.max(1, timeout), TimeUnit.NANOSECONDS);
      }
      call.enqueue(
          new Callback() {
            @Override
            public void onResponse(Call c, Response response) {
              // Closing discards the body and gives the connection back to the pool.
              try (response) {
                int code = response.code();
                attempt.settleFinal(
                    code >= 400 ? Outcome.status(CallStatus.http(code)) : Outcome.success());
              }
            }

            @Override
            public void onFailure(Call c, IOException e) {
              attempt.settleFinal(
                  Outcome.failure(classify.apply(e), e.getClass().getSimpleName()));
            }
          });
    } catch (RuntimeException e) {
      // A copy the client cannot even start must still give its permits back.
      attempt.settleFinal(
          Outcome.failure(Outcome.Kind.CONNECT_FAILURE, e.getClass().getSimpleName()));
    }
  }

  /** The client copies go through, derived from the settings of the client {@code chain} is in. */
  private OkHttpClient client(Interceptor.Chain chain) {
    OkHttpClient current = client;
    if (current != null && current.connectionPool() == chain.getConnectionPool()) {
      return current;
    }
    OkHttpClient.Builder builder =
        new OkHttpClient.Builder()
            .dispatcher(dispatcher)
            .connectionPool(chain.getConnectionPool())
            .dns(chain.getDns())
            .socketFactory(chain.getSocketFactory())
            .proxy(chain.getProxy())
            .proxySelector(chain.getProxySelector())
            .proxyAuthenticator(chain.getProxyAuthenticator())
            .hostnameVerifier(chain.getHostnameVerifier())
            .certificatePinner(chain.getCertificatePinner())
            .connectTimeout(chain.connectTimeoutMillis(), TimeUnit.MILLISECONDS)
            .readTimeout(chain.readTimeoutMillis(), TimeUnit.MILLISECONDS)
            .writeTimeout(chain.writeTimeoutMillis(), TimeUnit.MILLISECONDS)
            .followRedirects(false)
            .retryOnConnectionFailure(false);
    SSLSocketFactory ssl = chain.getSslSocketFactoryOrNull();
    X509TrustManager trust = chain.getX509TrustManagerOrNull();
    if (ssl != null && trust != null) {
      builder.sslSocketFactory(ssl, trust);
    }
    current = builder.build();
    client = current;
    return current;
  }

}
