package io.mesh4j.http;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.testing.conformance.ClientAdapterConformance;
import io.mesh4j.http.testing.Servers;
import io.mesh4j.http.testing.WireMockPeer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The client conformance kit against WebClient with the mesh's filter on Reactor Netty, WireMock
 * peers on loopback; a pending call is cancelled by cancelling its subscription.
 */
class WebClientConformanceTest extends ClientAdapterConformance {

  /** Runs round robin only: the transport below the interceptor does not change balancing. */
  @Override
  protected List<String> fairnessBalancers() {
    return List.of("ROUND_ROBIN");
  }

  private final Servers servers = closing(new Servers());

  @Override
  protected Peer peer(String name) {
    return new WireMockPeer(servers, name);
  }

  @Override
  protected Client client(Mesh mesh) {
    ConnectionProvider pool = ConnectionProvider.create("conformance", 64);
    WebClient client =
        MeshWebClient.install(
                mesh,
                WebClient.builder()
                    .clientConnector(new ReactorClientHttpConnector(HttpClient.create(pool))))
            .build();
    return new Client() {
      @Override
      public Result call(Map<String, String> headers) throws InterruptedException {
        return await(exchange(client, headers).toFuture());
      }

      @Override
      public Pending start() {
        CompletableFuture<Result> call = exchange(client, Map.of()).toFuture();
        return new Pending() {
          @Override
          public void cancel() {
            // toFuture's cancel cancels the subscription
            call.cancel(true);
          }

          @Override
          public Result await() throws InterruptedException {
            return WebClientConformanceTest.await(call);
          }
        };
      }

      @Override
      public void close() {
        pool.disposeLater().block(Duration.ofSeconds(10));
      }
    };
  }

  private static Mono<Result> exchange(WebClient client, Map<String, String> headers) {
    return client
        .get()
        .uri("http://catalog.shop/items")
        .headers(h -> headers.forEach(h::set))
        .exchangeToMono(
            response ->
                response
                    .bodyToMono(String.class)
                    .defaultIfEmpty("")
                    .map(body -> new Result(Integer.toString(response.statusCode().value()), null, body)));
  }

  private static Result await(CompletableFuture<Result> call) throws InterruptedException {
    try {
      return call.get();
    } catch (CancellationException e) {
      return new Result("CANCELLED", null, String.valueOf(e.getMessage()));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof MeshHttpException m) {
        return new Result(Integer.toString(m.httpStatus()), m.reason(), String.valueOf(m.getMessage()));
      }
      return new Result("0", null, String.valueOf(cause));
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
