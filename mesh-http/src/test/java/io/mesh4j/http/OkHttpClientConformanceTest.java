package io.mesh4j.http;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.testing.conformance.ClientAdapterConformance;
import io.mesh4j.http.testing.Servers;
import io.mesh4j.http.testing.WireMockPeer;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** The client conformance kit against the OkHttp interceptor: WireMock peers on loopback. */
class OkHttpClientConformanceTest extends ClientAdapterConformance {

  private final Servers servers = closing(new Servers());

  /** Every balancer with each peer failing in turn: the loopback check of fairness. */
  @Override
  protected boolean everyFailingPosition() {
    return true;
  }

  @Override
  protected Peer peer(String name) {
    return new WireMockPeer(servers, name);
  }

  @Override
  protected Client client(Mesh mesh) {
    OkHttpClient client = MeshOkHttp.client(mesh);
    return new Client() {
      @Override
      public Result call(Map<String, String> headers) {
        Request.Builder request = new Request.Builder().url("http://catalog.shop/items");
        headers.forEach(request::header);
        return result(client.newCall(request.build()));
      }

      @Override
      public Pending start() {
        Call call = client.newCall(new Request.Builder().url("http://catalog.shop/items").build());
        // a thread of its own: the common pool may have one thread, and pending calls block
        CompletableFuture<Result> result =
            CompletableFuture.supplyAsync(
                () -> result(call),
                task -> {
                  Thread t = new Thread(task, "conformance-pending-call");
                  t.setDaemon(true);
                  t.start();
                });
        return new Pending() {
          @Override
          public void cancel() {
            call.cancel();
          }

          @Override
          public Result await() throws InterruptedException, ExecutionException {
            return result.get();
          }
        };
      }

      @Override
      public void close() {
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
      }
    };
  }

  private static Result result(Call call) {
    try (Response response = call.execute()) {
      return new Result(Integer.toString(response.code()), null, response.body().string());
    } catch (MeshHttpException e) {
      return new Result(Integer.toString(e.httpStatus()), e.reason(), String.valueOf(e.getMessage()));
    } catch (IOException e) {
      return new Result(call.isCanceled() ? "CANCELLED" : "0", null, String.valueOf(e.getMessage()));
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
