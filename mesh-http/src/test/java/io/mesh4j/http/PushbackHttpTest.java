package io.mesh4j.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.http.testing.OkHttpMesh;
import io.mesh4j.http.testing.Servers;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A server's {@code Retry-After} through OkHttp on loopback, in real time: the retry waits at
 * least what the server asked, and a call whose deadline comes first fails at once with the
 * server's reply and the mesh's reason.
 */
@Timeout(30)
class PushbackHttpTest {

  @RegisterExtension final OkHttpMesh http = new OkHttpMesh();
  private final TestMesh mesh = http.mesh();
  private final Servers servers = http.servers();
  private final OkHttpClient client = http.client();

  /** A server answering 429 with {@code Retry-After: 1} once, then 200 "ok". */
  private WireMockServer tooManyOnceThenOk() {
    WireMockServer server = servers.start("unused");
    server.resetMappings();
    server.stubFor(
        any(anyUrl())
            .inScenario("pushback")
            .whenScenarioStateIs(STARTED)
            .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1").withBody("slow down"))
            .willSetStateTo("answered"));
    server.stubFor(
        any(anyUrl())
            .inScenario("pushback")
            .whenScenarioStateIs("answered")
            .willReturn(aResponse().withStatus(200).withBody("ok")));
    return server;
  }

  private static String route(String settings) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          rules:
        """
        + "    - " + settings + "\n";
  }

  private static int served(WireMockServer server) {
    return server.countRequestsMatching(anyRequestedFor(anyUrl()).build()).getCount();
  }

  private Response get() throws IOException {
    return client.newCall(new Request.Builder().url("http://catalog.shop/items").build()).execute();
  }

  @Test
  void a429WithRetryAfterIsRetriedNoSoonerThanTheServerAsked() throws IOException {
    WireMockServer server = tooManyOnceThenOk();
    // no backends: the rule goes to all the destination's endpoints
    mesh.apply(endpoints(server.port(), "v1") + route("retries: {attempts: 2, retryOn: [429]}"));

    long start = System.nanoTime();
    try (Response response = get()) {
      long elapsed = System.nanoTime() - start;
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).isEqualTo("ok");
      assertThat(Duration.ofNanos(elapsed)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }
    assertThat(served(server)).isEqualTo(2);
    assertThat(mesh.retriesScheduled()).containsExactly(TestMesh.CATALOG + "#2");
  }

  @Test
  void aRetryAfterPastTheDeadlineFailsTheCallAtOnceWithTheMeshsReason() throws IOException {
    WireMockServer server = tooManyOnceThenOk();
    mesh.apply(
        endpoints(server.port(), "v1")
            + route("{timeout: 500ms, retries: {attempts: 2, retryOn: [429]}}"));

    long start = System.nanoTime();
    try (Response response = get()) {
      long elapsed = System.nanoTime() - start;
      assertThat(response.code()).as("the server's own reply").isEqualTo(429);
      assertThat(response.body().string()).isEqualTo("slow down");
      assertThat(response.message())
          .startsWith("Too Many Requests; mesh4j: not retried: the server asked to wait 1000 ms"
              + " before a retry, longer than the ")
          .endsWith(" left until the deadline of the call to catalog.shop");
      assertThat(Duration.ofNanos(elapsed)).isLessThan(Duration.ofMillis(450));
    }
    assertThat(served(server)).isEqualTo(1);
    assertThat(mesh.retriesScheduled()).isEmpty();
  }

  @Test
  void aRetryAfterOnAStatusNotInRetryOnChangesNothing() throws IOException {
    WireMockServer server = tooManyOnceThenOk();
    mesh.apply(endpoints(server.port(), "v1") + route("{timeout: 500ms, retries: {attempts: 2}}"));

    try (Response response = get()) {
      assertThat(response.code()).isEqualTo(429);
      assertThat(response.message()).as("not retryable: nothing to explain").isEqualTo("Too Many Requests");
    }
    assertThat(served(server)).isEqualTo(1);
  }
}
