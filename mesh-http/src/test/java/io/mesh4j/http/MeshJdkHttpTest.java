package io.mesh4j.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.http.testing.Servers;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What Java's HttpClient under the mesh does beyond the conformance kit, against WireMock on
 * loopback with the system clock: cancelling {@code sendAsync}'s future, or interrupting {@code
 * send}, inside a 10 s wait ends the call at once; a body of known length is replayed on every
 * retry and one of unknown length is sent once; the caller's body handler sees only the final
 * answer; the route's header changes and redirects reach the application as with OkHttp. The
 * client speaks HTTP/1.1, except in the case for the JDK's default client.
 */
@Timeout(30)
class MeshJdkHttpTest {

  private static final String BACKOFF_10S =
      "retries: {attempts: 3, retryOn: [503], backoff: {base: 10s, max: 10s}}";

  private static final String DELAY_10S = "fault: {delay: {percent: 100, duration: 10s}}";

  private static final String RETRY_3 =
      "retries: {attempts: 3, retryOn: [503], backoff: {base: 1ms, max: 1ms}}";

  private final TestMesh mesh = new TestMesh();
  private final Servers servers = new Servers();
  // HTTP/1.1: over cleartext HTTP/2 (the JDK's default, which WireMock accepts) Jetty resets a
  // stream whose body it did not read, and the JDK fails the exchange; see the last case.
  private final HttpClient client =
      MeshJdkHttp.wrap(
          mesh.mesh(), HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());

  @AfterEach
  void close() {
    servers.close();
    mesh.close();
  }

  private static String route(String settings) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          rules:
            - timeout: 60s
              backends: [{}]
        """
        + "      "
        + settings
        + "\n";
  }

  private static int served(WireMockServer server) {
    return server.countRequestsMatching(anyRequestedFor(anyUrl()).build()).getCount();
  }

  private static HttpRequest get() {
    return HttpRequest.newBuilder(URI.create("http://catalog.shop/items")).build();
  }

  @Test
  void cancellingTheFutureDuringARetryBackoffEndsTheCallAtOnce() {
    WireMockServer down = servers.start(aResponse().withStatus(503).withBody("down"));
    mesh.apply(endpoints(down.port(), "v1") + route(BACKOFF_10S));

    CompletableFuture<HttpResponse<String>> call =
        client.sendAsync(get(), HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.waiting() == 1);

    assertThat(call.cancel(true)).isTrue();

    // Done on return from cancel: nobody waits for the backoff to run out.
    assertThat(call).isCancelled();
    assertThat(mesh.waiting()).isZero();
    assertThat(served(down)).isEqualTo(1);
  }

  @Test
  void cancellingTheFutureDuringAFaultDelayEndsTheCallAtOnceAndSendsNothing() {
    WireMockServer server = servers.start("only");
    mesh.apply(endpoints(server.port(), "v1") + route(DELAY_10S));

    CompletableFuture<HttpResponse<String>> call =
        client.sendAsync(get(), HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.waiting() == 1);
    call.cancel(true);

    assertThat(call).isCancelled();
    assertThat(mesh.waiting()).isZero();
    assertThat(served(server)).isZero();
  }

  @Test
  void sendAsyncReturnsBeforeAFaultDelayIsOver() {
    WireMockServer server = servers.start("only");
    mesh.apply(endpoints(server.port(), "v1") + route(DELAY_10S));

    long started = System.nanoTime();
    CompletableFuture<HttpResponse<String>> call =
        client.sendAsync(get(), HttpResponse.BodyHandlers.ofString());

    // The delay is scheduled on the mesh's sleeper, not slept on the caller's thread.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    assertThat(call).isNotDone();
    call.cancel(true);
  }

  @Test
  void cancellingTheFutureCancelsTheAttemptInFlight() throws Exception {
    WireMockServer hanging =
        servers.start(aResponse().withStatus(200).withBody("late").withFixedDelay(60_000));
    mesh.apply(endpoints(hanging.port(), "v1") + route(BACKOFF_10S));

    CompletableFuture<HttpResponse<String>> call =
        client.sendAsync(get(), HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(10)).until(() -> served(hanging) == 1);
    call.cancel(true);

    assertThat(call).isCancelled();
    assertThatThrownBy(() -> call.get(1, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
    // No retry follows a cancelled attempt.
    assertThat(mesh.waiting()).isZero();
    assertThat(served(hanging)).isEqualTo(1);
  }

  @Test
  void interruptingSendDuringAFaultDelayEndsTheCallAtOnce() throws Exception {
    WireMockServer server = servers.start("only");
    mesh.apply(endpoints(server.port(), "v1") + route(DELAY_10S));
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    Thread caller =
        new Thread(
            () -> {
              try {
                client.send(get(), HttpResponse.BodyHandlers.ofString());
                ended.complete(new AssertionError("answered"));
              } catch (Exception e) {
                ended.complete(e);
              }
            },
            "jdk-http-caller");
    caller.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.waiting() == 1);

    caller.interrupt();

    assertThat(ended.get(2, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
    assertThat(mesh.waiting()).isZero();
    assertThat(served(server)).isZero();
  }

  @Test
  void aBodyOfKnownLengthIsReplayedOnEveryRetry() throws Exception {
    WireMockServer down = servers.start(aResponse().withStatus(503).withBody("down"));
    mesh.apply(endpoints(down.port(), "v1") + route(RETRY_3));

    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create("http://catalog.shop/items"))
                .PUT(HttpRequest.BodyPublishers.ofString("item 42"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(down.findAll(WireMock.anyRequestedFor(anyUrl())))
        .extracting(LoggedRequest::getBodyAsString)
        .containsExactly("item 42", "item 42", "item 42");
  }

  @Test
  void aBodyOfUnknownLengthIsSentOnceAndNotRetried() throws Exception {
    WireMockServer down = servers.start(aResponse().withStatus(503).withBody("down"));
    mesh.apply(endpoints(down.port(), "v1") + route(RETRY_3));

    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create("http://catalog.shop/items"))
                .PUT(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream("item 42".getBytes(StandardCharsets.UTF_8))))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(down.findAll(WireMock.anyRequestedFor(anyUrl())))
        .extracting(LoggedRequest::getBodyAsString)
        .containsExactly("item 42");
    assertThat(mesh.retriesScheduled()).isEmpty();
  }

  @Test
  void theCallersBodyHandlerSeesOnlyTheFinalAnswer() throws Exception {
    WireMockServer down = servers.start(aResponse().withStatus(503).withBody("down"));
    WireMockServer up = servers.start("up");
    mesh.apply(endpoints(down.port(), "v1", up.port(), "v1") + route(RETRY_3));
    List<Integer> seen = new CopyOnWriteArrayList<>();
    HttpResponse.BodyHandler<String> counting =
        info -> {
          seen.add(info.statusCode());
          return HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);
        };

    // Several calls, so that some start on the failing endpoint and are retried on the other.
    for (int i = 0; i < 6; i++) {
      HttpResponse<String> response = client.sendAsync(get(), counting).get(10, TimeUnit.SECONDS);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("up");
    }

    assertThat(served(down)).isPositive();
    assertThat(seen).containsOnly(200).hasSize(6);
  }

  @Test
  void aRetryIsTheMeshsAndTheFailureThatEndsTheCallReachesTheCaller() {
    WireMockServer down = servers.start(aResponse().withStatus(503));
    int port = down.port();
    down.stop();
    mesh.apply(
        endpoints(port, "v1")
            + route("retries: {attempts: 2, retryOn: [connect-failure], backoff: {base: 1ms, max: 1ms}}"));

    assertThatThrownBy(() -> client.send(get(), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(java.net.ConnectException.class);
    assertThat(mesh.retriesScheduled()).hasSize(1);
  }

  @Test
  void aHostOutsideTheMeshIsCalledDirectly() throws Exception {
    WireMockServer server = servers.start("direct");
    mesh.apply(endpoints(server.port(), "v1") + route(DELAY_10S));

    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/x")).build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.body()).isEqualTo("direct");
  }

  @Test
  void aResponseHeaderModifierChangesWhatTheCallersHandlerAndResponseSee() throws Exception {
    WireMockServer server =
        servers.start(
            aResponse()
                .withStatus(200)
                .withHeader("x-server", "origin")
                .withHeader("x-internal", "secret")
                .withBody("ok"));
    echo(
        server,
        """
        - filters:
            - type: ResponseHeaderModifier
              responseHeaderModifier:
                set: [{name: x-server, value: mesh}]
                add: [{name: x-route, value: echo}]
                remove: [x-internal]
          backendRefs: [{name: echo, port: 80}]
        """);
    AtomicReference<HttpResponse.ResponseInfo> info = new AtomicReference<>();

    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create("http://echo.shop/items")).build(),
            i -> {
              info.set(i);
              return HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);
            });

    assertThat(response.body()).isEqualTo("ok");
    for (java.net.http.HttpHeaders headers : List.of(response.headers(), info.get().headers())) {
      assertThat(headers.allValues("x-server")).containsExactly("mesh");
      assertThat(headers.allValues("x-route")).containsExactly("echo");
      assertThat(headers.firstValue("x-internal")).isEmpty();
    }
  }

  @Test
  void aRequestRedirectIsAnsweredWithTheCallersBodyTypeAndNothingIsSent() throws Exception {
    WireMockServer server = servers.start("echo");
    echo(
        server,
        """
        - matches: [{path: {type: PathPrefix, value: /moved}}]
          filters:
            - type: RequestRedirect
              requestRedirect: {hostname: example.org, statusCode: 301, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}
        - backendRefs: [{name: echo, port: 80}]
        """);

    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create("http://echo.shop/moved/a?b=c")).build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(301);
    assertThat(response.headers().firstValue("location")).hasValue("http://example.org/new/a?b=c");
    assertThat(response.body()).isEmpty();
    assertThat(served(server)).isZero();
  }

  @Test
  void aUrlRewriteSendsTheNewPath() throws Exception {
    WireMockServer server = servers.start("echo");
    echo(
        server,
        """
        - matches: [{path: {type: PathPrefix, value: /prefix/one}}]
          filters:
            - type: URLRewrite
              urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}
          backendRefs: [{name: echo, port: 80}]
        """);

    client.send(
        HttpRequest.newBuilder(URI.create("http://echo.shop/prefix/one/two?q=1")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(server.findAll(WireMock.anyRequestedFor(anyUrl())))
        .extracting(LoggedRequest::getUrl)
        .containsExactly("/one/two?q=1");
  }

  /** {@code echo.shop} on {@code server}, with an HTTPRoute of {@code rules}. */
  private void echo(WireMockServer server, String rules) {
    mesh.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: echo, namespace: shop}
        spec: {service: echo, endpoints: [{address: 127.0.0.1, port: %d}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: echo, namespace: shop}
        spec:
          parentRefs: [{kind: Service, name: echo}]
          rules:
        """
                .formatted(server.port())
            + rules.indent(4));
  }

  @Test
  void aMeshRefusalIsAMeshHttpExceptionFromSendAndFromTheFuture() {
    WireMockServer server = servers.start("only");
    mesh.apply(
        endpoints(server.port(), "v1")
            + route("fault: {abort: {percent: 100, httpStatus: 503, grpcStatus: UNAVAILABLE}}"));

    assertThatThrownBy(() -> client.send(get(), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(MeshHttpException.class)
        .hasMessageContaining("mesh4j");
    assertThatThrownBy(() -> client.sendAsync(get(), HttpResponse.BodyHandlers.ofString()).get())
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(MeshHttpException.class);
    assertThat(served(server)).isZero();
  }

  @Test
  void theJdksDefaultClientRetriesOverCleartextHttp2() throws Exception {
    WireMockServer down = servers.start(aResponse().withStatus(503).withBody("down"));
    WireMockServer up = servers.start("up");
    mesh.apply(endpoints(down.port(), "v1", up.port(), "v1") + route(RETRY_3));
    HttpClient defaults = MeshJdkHttp.client(mesh.mesh());

    for (int i = 0; i < 4; i++) {
      HttpResponse<String> response =
          defaults.sendAsync(get(), HttpResponse.BodyHandlers.ofString()).get(10, TimeUnit.SECONDS);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("up");
    }
    assertThat(served(down)).isPositive();
  }
}
