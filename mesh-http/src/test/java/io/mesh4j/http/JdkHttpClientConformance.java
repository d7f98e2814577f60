package io.mesh4j.http;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.testing.conformance.ClientAdapterConformance;
import io.mesh4j.http.testing.Servers;
import io.mesh4j.http.testing.WireMockPeer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The client conformance kit against Java's HttpClient under the mesh, WireMock peers on
 * loopback; once through {@code send} ({@link JdkHttpSendConformanceTest}) and once through
 * {@code sendAsync} ({@link JdkHttpSendAsyncConformanceTest}).
 */
abstract class JdkHttpClientConformance extends ClientAdapterConformance {

  private final Servers servers = closing(new Servers());

  @Override
  protected Peer peer(String name) {
    return new WireMockPeer(servers, name);
  }

  static HttpRequest request(Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://catalog.shop/items"));
    headers.forEach(request::header);
    return request.build();
  }

  /** What the application saw of a call that answered. */
  static Result answered(HttpResponse<String> response) {
    return new Result(Integer.toString(response.statusCode()), null, response.body());
  }

  /** What the application saw of a call that failed; {@code e} unwrapped from its future. */
  static Result failed(Throwable e) {
    if (e instanceof MeshHttpException m) {
      return new Result(Integer.toString(m.httpStatus()), m.reason(), String.valueOf(m.getMessage()));
    }
    if (e instanceof CancellationException || e instanceof InterruptedException) {
      return new Result("CANCELLED", null, String.valueOf(e.getMessage()));
    }
    return new Result("0", null, String.valueOf(e.getMessage()));
  }

  /**
   * The client the mesh wraps, on a pool of threads: the JDK client settles each attempt on a
   * thread of its executor, so the breaker's window takes outcomes from several threads (and the
   * kit's four sequential failures must still fill a window of four). HTTP/1.1, as OkHttp
   * speaks to these peers: with the JDK's default, each new connection first upgrades to
   * cleartext HTTP/2, which can take longer than the real-time cases' 100 ms per-try timeout
   * while the JDK's HTTP/2 classes load.
   */
  static HttpClient wrapped(ExecutorService executor) {
    return HttpClient.newBuilder().executor(executor).version(HttpClient.Version.HTTP_1_1).build();
  }

  /** The wrapped client, closed with the mesh's client on a JDK whose HttpClient closes. */
  static void close(HttpClient wrapped, ExecutorService executor) throws Exception {
    if (wrapped instanceof AutoCloseable c) {
      c.close();
    }
    executor.shutdownNow();
  }

  @Override
  protected String retryableStatus() {
    return "503";
  }

  @Override
  protected String okStatus() {
    return "200";
  }

  @Override
  protected String gatewayRouteKind() {
    return "HTTPRoute";
  }
}

/** The kit through the blocking {@code send}; a pending call is cancelled by interrupting it. */
class JdkHttpSendConformanceTest extends JdkHttpClientConformance {

  @Override
  protected Client client(Mesh mesh) {
    ExecutorService executor = Executors.newFixedThreadPool(4);
    HttpClient wrapped = wrapped(executor);
    HttpClient client = MeshJdkHttp.wrap(mesh, wrapped);
    return new Client() {
      @Override
      public Result call(Map<String, String> headers) {
        return send(client, request(headers));
      }

      @Override
      public Pending start() {
        CompletableFuture<Result> result = new CompletableFuture<>();
        Thread caller =
            new Thread(() -> result.complete(send(client, request(Map.of()))), "conformance-send");
        caller.setDaemon(true);
        caller.start();
        return new Pending() {
          @Override
          public void cancel() {
            caller.interrupt();
          }

          @Override
          public Result await() throws InterruptedException, ExecutionException {
            return result.get();
          }
        };
      }

      @Override
      public void close() throws Exception {
        JdkHttpClientConformance.close(wrapped, executor);
      }
    };
  }

  private static Result send(HttpClient client, HttpRequest request) {
    try {
      return answered(client.send(request, HttpResponse.BodyHandlers.ofString()));
    } catch (IOException | InterruptedException e) {
      return failed(e);
    }
  }
}

/** The kit through {@code sendAsync}; a pending call is cancelled through its future. */
class JdkHttpSendAsyncConformanceTest extends JdkHttpClientConformance {

  /** Runs round robin only: {@code send} runs every balancer on the same mesh path. */
  @Override
  protected List<String> fairnessBalancers() {
    return List.of("ROUND_ROBIN");
  }

  @Override
  protected Client client(Mesh mesh) {
    ExecutorService executor = Executors.newFixedThreadPool(4);
    HttpClient wrapped = wrapped(executor);
    HttpClient client = MeshJdkHttp.wrap(mesh, wrapped);
    return new Client() {
      @Override
      public Result call(Map<String, String> headers) throws InterruptedException {
        return await(client.sendAsync(request(headers), HttpResponse.BodyHandlers.ofString()));
      }

      @Override
      public Pending start() {
        CompletableFuture<HttpResponse<String>> call =
            client.sendAsync(request(Map.of()), HttpResponse.BodyHandlers.ofString());
        return new Pending() {
          @Override
          public void cancel() {
            call.cancel(true);
          }

          @Override
          public Result await() throws InterruptedException {
            return JdkHttpSendAsyncConformanceTest.await(call);
          }
        };
      }

      @Override
      public void close() throws Exception {
        JdkHttpClientConformance.close(wrapped, executor);
      }
    };
  }

  private static Result await(CompletableFuture<HttpResponse<String>> call)
      throws InterruptedException {
    try {
      return answered(call.get());
    } catch (CancellationException e) {
      return failed(e);
    } catch (ExecutionException e) {
      return failed(JdkMirrorSender.unwrap(e));
    }
  }
}
