package io.mesh4j.http;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.testing.conformance.ClientAdapterConformance;
import io.mesh4j.http.testing.Servers;
import io.mesh4j.http.testing.WireMockPeer;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.client.ReactorClientHttpRequestFactory;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/**
 * The client conformance kit against RestClient with the mesh's interceptor, WireMock peers on
 * loopback; once per request factory: Java's HttpClient ({@link RestClientJdkConformanceTest}),
 * {@code HttpURLConnection} ({@link RestClientSimpleConformanceTest}) and Reactor Netty ({@link
 * RestClientReactorConformanceTest}). A pending call is cancelled by interrupting its thread.
 */
abstract class RestClientConformance extends ClientAdapterConformance {

  private final Servers servers = closing(new Servers());

  /** Runs round robin only: the transport below the interceptor does not change balancing. */
  @Override
  protected List<String> fairnessBalancers() {
    return List.of("ROUND_ROBIN");
  }

  @Override
  protected Peer peer(String name) {
    return new WireMockPeer(servers, name);
  }

  /** The request factory under test. */
  abstract ClientHttpRequestFactory factory();

  @Override
  protected Client client(Mesh mesh) {
    RestClient client = MeshRestClient.install(mesh, RestClient.builder().requestFactory(factory())).build();
    return new Client() {
      @Override
      public Result call(Map<String, String> headers) {
        return send(client, headers);
      }

      @Override
      public Pending start() {
        CompletableFuture<Result> result = new CompletableFuture<>();
        Thread caller = new Thread(() -> result.complete(send(client, Map.of())), "conformance-call");
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
      public void close() {}
    };
  }

  static Result send(RestClient client, Map<String, String> headers) {
    try {
      return client
          .get()
          .uri("http://catalog.shop/items")
          .headers(h -> headers.forEach(h::set))
          .exchange(
              (request, response) ->
                  new Result(
                      Integer.toString(response.getStatusCode().value()),
                      null,
                      new String(response.getBody().readAllBytes(), StandardCharsets.UTF_8)));
    } catch (ResourceAccessException e) {
      Throwable cause = e.getCause();
      if (cause instanceof MeshHttpException m) {
        return new Result(Integer.toString(m.httpStatus()), m.reason(), String.valueOf(m.getMessage()));
      }
      if (cause instanceof InterruptedIOException && Thread.interrupted()) {
        return new Result("CANCELLED", null, String.valueOf(cause.getMessage()));
      }
      return new Result("0", null, String.valueOf(e.getMessage()));
    }
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

/** On Java's HttpClient, HTTP/1.1 as in {@link JdkHttpClientConformance}. */
class RestClientJdkConformanceTest extends RestClientConformance {
  @Override
  ClientHttpRequestFactory factory() {
    return new JdkClientHttpRequestFactory(
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());
  }
}

/** On {@code HttpURLConnection}, with the mesh's factory that applies per-try timeouts. */
class RestClientSimpleConformanceTest extends RestClientConformance {
  @Override
  ClientHttpRequestFactory factory() {
    return MeshRestClient.simpleRequestFactory();
  }
}

/** On Reactor Netty. */
class RestClientReactorConformanceTest extends RestClientConformance {
  @Override
  ClientHttpRequestFactory factory() {
    return new ReactorClientHttpRequestFactory();
  }
}
