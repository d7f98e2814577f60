package io.mesh4j.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.http.testing.OkHttpMesh;
import io.mesh4j.http.testing.Servers;
import java.io.IOException;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a hedging rule does through OkHttp, whose interceptor runs one attempt at a time: an
 * idempotent call failing non-fatally goes to the next endpoint at once, up to the rule's
 * attempts; a call that is not safe to replay is sent once.
 */
@Timeout(30)
class HedgingRuleHttpTest {

  @RegisterExtension final OkHttpMesh http = new OkHttpMesh();
  private final TestMesh mesh = http.mesh();
  private final Servers servers = http.servers();
  private final OkHttpClient client = http.client();

  private void hedgingRoute(WireMockServer failing, WireMockServer ok) {
    mesh.apply(
        endpoints(failing.port(), "v1", ok.port(), "v1")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              loadBalancer: {policy: ROUND_ROBIN}
              outlierDetection: {enabled: false}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              rules:
                - hedging: {delay: 50ms}
            """);
  }

  private static int served(WireMockServer server) {
    return server.countRequestsMatching(anyRequestedFor(anyUrl()).build()).getCount();
  }

  @Test
  void anIdempotentCallFailingNonFatallyGoesToTheNextEndpointAtOnce() throws IOException {
    WireMockServer failing = servers.start(aResponse().withStatus(503));
    WireMockServer ok = servers.start("ok");
    hedgingRoute(failing, ok);
    for (int i = 0; i < 4; i++) {
      try (Response response =
          client.newCall(new Request.Builder().url("http://catalog.shop/items").build()).execute()) {
        assertThat(response.code()).isEqualTo(200);
      }
    }
    // each call that met the failing endpoint went on to the other, once
    assertThat(served(failing)).isBetween(1, 4);
    assertThat(served(ok)).isEqualTo(4);
  }

  @Test
  void aCallThatIsNotSafeToReplayIsSentOnce() throws IOException {
    WireMockServer failing = servers.start(aResponse().withStatus(503));
    WireMockServer ok = servers.start("ok");
    hedgingRoute(failing, ok);
    int codes = 0;
    for (int i = 0; i < 2; i++) {
      RequestBody order = RequestBody.create("{}", MediaType.get("application/json"));
      try (Response response =
          client
              .newCall(new Request.Builder().url("http://catalog.shop/orders").post(order).build())
              .execute()) {
        codes += response.code();
      }
    }
    assertThat(codes).isEqualTo(503 + 200);
    assertThat(served(failing) + served(ok)).isEqualTo(2);
  }
}
