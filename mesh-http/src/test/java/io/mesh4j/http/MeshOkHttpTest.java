package io.mesh4j.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.http.testing.OkHttpMesh;
import io.mesh4j.http.testing.Servers;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

class MeshOkHttpTest {

  @RegisterExtension final OkHttpMesh http = new OkHttpMesh();
  private final TestMesh mesh = http.mesh();
  private final Servers servers = http.servers();
  private final OkHttpClient client = http.client();

  private static String route(String settings) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          rules:
            - backends: [{}]
        """
        + (settings.isEmpty() ? "" : "      " + settings + "\n");
  }

  private static final String SUBSETS =
      "  subsets:\n"
          + "    - {name: v1, labels: {version: v1}}\n"
          + "    - {name: v2, labels: {version: v2}}\n";

  private Response get(String path) throws IOException {
    return client.newCall(new Request.Builder().url("http://catalog.shop" + path).build()).execute();
  }

  private String body(Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.code() + " " + response.body().string();
    }
  }

  private String getBody(String path) throws IOException {
    return body(new Request.Builder().url("http://catalog.shop" + path).build());
  }

  private static int served(WireMockServer server) {
    return server.countRequestsMatching(anyRequestedFor(anyUrl()).build()).getCount();
  }

  @Test
  @Timeout(120)
  void weightedRouteSplitsFiveThousandRequestsSeventyThirty() throws IOException {
    WireMockServer a = servers.start("v1-a");
    WireMockServer b = servers.start("v1-b");
    WireMockServer c = servers.start("v2");
    mesh.apply(
        endpoints(a.port(), "v1", b.port(), "v1", c.port(), "v2")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
            """
            + SUBSETS
            + """
              rules:
                - backends: [{subset: v1, weight: 70}, {subset: v2, weight: 30}]
            """);

    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 5000; i++) {
      counts.merge(getBody("/items"), 1, Integer::sum);
    }

    int v1 = counts.getOrDefault("200 v1-a", 0) + counts.getOrDefault("200 v1-b", 0);
    int v2 = counts.getOrDefault("200 v2", 0);
    assertThat(v1 + v2).isEqualTo(5000);
    assertThat(v1 / 5000.0).isBetween(0.68, 0.72);
    assertThat(counts.get("200 v1-a")).isPositive();
    assertThat(counts.get("200 v1-b")).isPositive();
    // The Host header keeps the logical name while the URL points at the endpoint.
    assertThat(a.getAllServeEvents().get(0).getRequest().getHeader("Host")).isEqualTo("catalog.shop");
  }

  @Test
  @Timeout(60)
  void failingServerIsRetriedAroundAndEjected() throws IOException {
    WireMockServer good1 = servers.start("good-1");
    WireMockServer good2 = servers.start("good-2");
    WireMockServer bad = servers.start(aResponse().withStatus(503).withBody("down"));
    mesh.apply(
        endpoints(good1.port(), "v1", good2.port(), "v1", bad.port(), "v1")
            + route("retries: {attempts: 3, retryOn: [5xx], backoff: {base: 1ms, max: 2ms}}")
            + """
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              # round robin keeps choosing bad until it is ejected (peak-EWMA would avoid it sooner)
              loadBalancer: {policy: ROUND_ROBIN}
              outlierDetection: {consecutiveFailures: 3, baseEjectionTime: 30s, maxEjectionPercent: 50}
            """);

    for (int i = 0; i < 200; i++) {
      assertThat(getBody("/items")).startsWith("200 good-");
    }
    assertThat(mesh.ejected()).containsExactly("127.0.0.1:" + bad.port());
    int badAfterEjection = served(bad);
    for (int i = 0; i < 50; i++) {
      assertThat(getBody("/items")).startsWith("200 good-");
    }
    assertThat(served(bad)).isEqualTo(badAfterEjection);
  }

  private Request post() {
    return new Request.Builder()
        .url("http://catalog.shop/orders")
        .post(RequestBody.create("{}", MediaType.get("application/json")))
        .build();
  }

  @Test
  @Timeout(60)
  void postIsNotRetriedUnlessTheRouteAllowsIt() throws IOException {
    WireMockServer good = servers.start("good");
    WireMockServer bad = servers.start(aResponse().withStatus(503).withBody("down"));
    String eps = endpoints(good.port(), "v1", bad.port(), "v1");
    mesh.apply(eps + route("retries: {attempts: 3, retryOn: [5xx], backoff: {base: 1ms, max: 2ms}}"));

    int failed = 0;
    for (int i = 0; i < 40; i++) {
      if (body(post()).startsWith("503")) {
        failed++;
      }
    }
    assertThat(failed).isPositive();
    assertThat(served(bad)).isEqualTo(failed);
    assertThat(served(good) + served(bad)).isEqualTo(40);

    mesh.apply(
        eps
            + route(
                "retries: {attempts: 3, retryOn: [5xx], retryNonIdempotent: true,"
                    + " backoff: {base: 1ms, max: 2ms}}"));
    for (int i = 0; i < 40; i++) {
      assertThat(body(post())).isEqualTo("200 good");
    }
  }

  @Test
  @Timeout(60)
  void openBreakerFailsFastWithTheMeshMessageAndRecoversAfterItsWait() throws IOException {
    WireMockServer server = servers.start(aResponse().withStatus(503).withBody("down"));
    mesh.apply(
        endpoints(server.port(), "v1")
            + route("")
            + """
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: DestinationPolicy
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              circuitBreaker:
                failureRateThreshold: 50
                minimumCalls: 10
                slidingWindowSize: 10
                waitInOpenState: 500ms
                permittedCallsInHalfOpen: 1
            """);

    for (int i = 0; i < 10; i++) {
      assertThat(getBody("/items")).isEqualTo("503 down");
    }
    assertThatThrownBy(() -> get("/items"))
        .isInstanceOfSatisfying(
            MeshHttpException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(MeshFailure.Reason.CIRCUIT_OPEN);
              assertThat(e.destination()).isEqualTo(TestMesh.CATALOG);
              assertThat(e).hasMessageStartingWith("mesh4j: circuit open for catalog.shop");
            });
    assertThat(served(server)).isEqualTo(10);

    Servers.answer(server, aResponse().withStatus(200).withBody("up"));
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(() -> getBody("/items").equals("200 up"));
    assertThat(mesh.breakerTransitions()).contains("CLOSED->OPEN", "HALF_OPEN->CLOSED");
  }


  @Test
  @Timeout(60)
  void overallTimeoutEndsTheCall() {
    WireMockServer slow = servers.start(aResponse().withStatus(200).withBody("slow").withFixedDelay(3000));
    mesh.apply(endpoints(slow.port(), "v1") + route("timeout: 200ms"));

    long start = System.nanoTime();
    assertThatThrownBy(() -> get("/items")).isInstanceOf(IOException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1500));
  }

  @Test
  @Timeout(60)
  void headerAndPathPrefixRoutesPickTheirSubsets() throws IOException {
    WireMockServer v1 = servers.start("v1");
    WireMockServer v2 = servers.start("v2");
    mesh.apply(
        endpoints(v1.port(), "v1", v2.port(), "v2")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
            """
            + SUBSETS
            + """
              rules:
                - name: canary
                  matches: [{headers: [{name: x-canary, exact: "true"}]}]
                  backends: [{subset: v2}]
                - name: beta
                  matches: [{path: {prefix: /beta/}}]
                  backends: [{subset: v2}]
                - backends: [{subset: v1}]
            """);

    for (int i = 0; i < 20; i++) {
      assertThat(getBody("/items")).isEqualTo("200 v1");
      assertThat(body(new Request.Builder().url("http://catalog.shop/items").header("x-canary", "true").build()))
          .isEqualTo("200 v2");
      assertThat(body(new Request.Builder().url("http://catalog.shop/items").header("x-canary", "false").build()))
          .isEqualTo("200 v1");
      assertThat(getBody("/beta/items")).isEqualTo("200 v2");
    }
  }


  @Test
  @Timeout(30)
  void hostsOutsideTheMeshPassThroughUntouched() throws IOException {
    WireMockServer server = servers.start("plain");
    mesh.apply(endpoints(server.port(), "v1") + route(""));

    assertThat(body(new Request.Builder().url("http://127.0.0.1:" + server.port() + "/x").build()))
        .isEqualTo("200 plain");
    assertThat(server.getAllServeEvents().get(0).getRequest().getHeader("Host"))
        .isEqualTo("127.0.0.1:" + server.port());
  }

  @Test
  @Timeout(30)
  void http2WithPriorKnowledgeGoesThroughTheMesh() throws IOException {
    WireMockServer v1 = servers.start("v1");
    WireMockServer v2 = servers.start("v2");
    mesh.apply(endpoints(v1.port(), "v1", v2.port(), "v1") + route(""));
    OkHttpClient h2 =
        MeshOkHttp.install(
                mesh.mesh(),
                new OkHttpClient.Builder().protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE)))
            .build();
    try {
      for (int i = 0; i < 20; i++) {
        try (Response response =
            h2.newCall(new Request.Builder().url("http://catalog.shop/items").build()).execute()) {
          assertThat(response.protocol()).isEqualTo(Protocol.H2_PRIOR_KNOWLEDGE);
          assertThat(response.body().string()).isIn("v1", "v2");
        }
      }
      assertThat(served(v1) + served(v2)).isEqualTo(20);
      // HTTP/2 carries the logical name as :authority
      WireMockServer any = served(v1) > 0 ? v1 : v2;
      assertThat(any.getAllServeEvents().get(0).getRequest().getAbsoluteUrl())
          .startsWith("http://catalog.shop/items");
    } finally {
      h2.dispatcher().executorService().shutdown();
      h2.connectionPool().evictAll();
    }
  }

  @Test
  @Timeout(30)
  void refusedConnectionIsRetriedElsewhereAsAConnectFailure() throws IOException {
    WireMockServer down = servers.start("down");
    WireMockServer up = servers.start("up");
    int downPort = down.port();
    down.stop();
    mesh.apply(
        endpoints(downPort, "v1", up.port(), "v1")
            + route("retries: {attempts: 2, retryOn: [connect-failure], backoff: {base: 1ms, max: 2ms}}"));

    for (int i = 0; i < 20; i++) {
      assertThat(getBody("/items")).isEqualTo("200 up");
    }
  }

  @Test
  @Timeout(30)
  void oneShotBodyIsNeverReplayed() throws IOException {
    WireMockServer bad = servers.start(aResponse().withStatus(503).withBody("down"));
    WireMockServer good = servers.start("good");
    mesh.apply(
        endpoints(bad.port(), "v1", good.port(), "v1")
            + route(
                "retries: {attempts: 3, retryOn: [5xx], retryNonIdempotent: true,"
                    + " backoff: {base: 1ms, max: 2ms}}"));
    RequestBody oneShot =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return MediaType.get("text/plain");
          }

          @Override
          public boolean isOneShot() {
            return true;
          }

          @Override
          public void writeTo(okio.BufferedSink sink) throws IOException {
            sink.writeUtf8("once");
          }
        };

    int failed = 0;
    for (int i = 0; i < 30; i++) {
      String result =
          body(new Request.Builder().url("http://catalog.shop/orders").post(oneShot).build());
      if (result.startsWith("503")) {
        failed++;
      }
    }
    assertThat(failed).isPositive();
    assertThat(served(bad)).isEqualTo(failed);
    assertThat(served(good) + served(bad)).isEqualTo(30);
  }

  private static final String MIRRORED =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: catalog, namespace: shop}
      spec:
        destination: catalog.shop
        subsets:
          - {name: v1, labels: {version: v1}}
          - {name: shadow, labels: {version: shadow}}
        rules:
          - backends: [{subset: v1}]
            mirror: {subset: shadow, percent: 100}
      """;

  @Test
  @Timeout(60)
  void mirroredCallsSendACopyToTheShadowKeepingTheLogicalHost() throws IOException {
    WireMockServer primary = servers.start("v1");
    WireMockServer shadow = servers.start("shadow");
    mesh.apply(endpoints(primary.port(), "v1", shadow.port(), "shadow") + MIRRORED);

    for (int i = 0; i < 10; i++) {
      assertThat(getBody("/items/" + i)).isEqualTo("200 v1");
    }
    assertThat(
            body(
                new Request.Builder()
                    .url("http://catalog.shop/items")
                    .post(RequestBody.create("{\"id\":7}", MediaType.get("application/json")))
                    .build()))
        .isEqualTo("200 v1");

    await().atMost(Duration.ofSeconds(10)).until(() -> served(shadow) == 11);
    assertThat(served(primary)).isEqualTo(11);
    var copies = shadow.getAllServeEvents();
    assertThat(copies).allSatisfy(
        e -> assertThat(e.getRequest().getHeader("Host")).isEqualTo("catalog.shop"));
    assertThat(copies)
        .anySatisfy(
            e -> {
              assertThat(e.getRequest().getMethod().getName()).isEqualTo("POST");
              assertThat(e.getRequest().getBodyAsString()).isEqualTo("{\"id\":7}");
            });
  }

  @Test
  @Timeout(60)
  void oneShotBodiesAreNotMirrored() throws IOException {
    WireMockServer primary = servers.start("v1");
    WireMockServer shadow = servers.start("shadow");
    mesh.apply(endpoints(primary.port(), "v1", shadow.port(), "shadow") + MIRRORED);

    assertThat(body(new Request.Builder().url("http://catalog.shop/upload").post(oneShot()).build()))
        .isEqualTo("200 v1");
    // The GET afterwards is copied; the shadow must see that copy and nothing else for a while.
    assertThat(getBody("/items")).isEqualTo("200 v1");
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(10))
        .until(() -> served(shadow) == 1);
    assertThat(shadow.getAllServeEvents())
        .extracting(e -> e.getRequest().getUrl())
        .containsExactly("/items");
  }

  @Test
  @Timeout(60)
  void slowShadowDoesNotSlowThePrimary() throws IOException {
    WireMockServer primary = servers.start("v1");
    WireMockServer shadow = servers.start(aResponse().withStatus(200).withFixedDelay(2000));
    mesh.apply(endpoints(primary.port(), "v1", shadow.port(), "shadow") + MIRRORED);

    for (int i = 0; i < 10; i++) {
      long start = System.nanoTime();
      assertThat(getBody("/items")).isEqualTo("200 v1");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(900));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> served(shadow) == 10);
  }

  @Test
  @Timeout(60)
  void failingShadowNeverFailsThePrimary() throws IOException {
    WireMockServer primary = servers.start("v1");
    WireMockServer shadow = servers.start(aResponse().withStatus(500));
    WireMockServer broken =
        servers.start(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    mesh.apply(
        endpoints(primary.port(), "v1", shadow.port(), "shadow", broken.port(), "shadow")
            + MIRRORED);

    for (int i = 0; i < 20; i++) {
      assertThat(getBody("/items")).isEqualTo("200 v1");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> served(shadow) + served(broken) == 20);

    // An unreachable shadow fails nothing either.
    shadow.stop();
    broken.stop();
    for (int i = 0; i < 5; i++) {
      assertThat(getBody("/items")).isEqualTo("200 v1");
    }
    assertThat(served(primary)).isEqualTo(25);
  }

  /** A body OkHttp may write only once, as a streamed upload is. */
  private static RequestBody oneShot() {
    return new RequestBody() {
      @Override
      public MediaType contentType() {
        return MediaType.get("application/octet-stream");
      }

      @Override
      public void writeTo(okio.BufferedSink sink) throws IOException {
        sink.writeUtf8("upload");
      }

      @Override
      public boolean isOneShot() {
        return true;
      }
    };
  }
}
