package io.mesh4j.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.http.testing.OkHttpMesh;
import io.mesh4j.http.testing.Servers;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An OkHttp call through the mesh ends at once when it is cancelled, or its thread interrupted,
 * while the mesh waits between attempts (a 10 s retry backoff, a 10 s fault delay), against
 * WireMock on loopback. OkHttp has no cancellation callback: the engine polls the call's flag every
 * 10 ms while it waits. Each case prints the time from the cancellation to the call's end; the
 * bound it asserts is generous, so a loaded machine does not fail it, while a wait that runs its
 * course (10 s) still does.
 */
class CancellationHttpTest {

  /** Far above the 10 ms poll, far below the 10 s waits. */
  private static final Duration PROMPT = Duration.ofSeconds(1);

  private static final String BACKOFF_10S =
      "retries: {attempts: 3, retryOn: [503], backoff: {base: 10s, max: 10s}}";

  private static final String DELAY_10S = "fault: {delay: {percent: 100, duration: 10s}}";

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

  /** How a call ended, and when (System.nanoTime). */
  private record Ended(IOException failure, long atNanos) {}

  /** A blocking call, on a thread of its own; the future completes when it fails. */
  private static final class Caller {
    final Call call;
    final CompletableFuture<Ended> ended = new CompletableFuture<>();
    final Thread thread;

    Caller(OkHttpClient client) {
      call = client.newCall(new Request.Builder().url("http://catalog.shop/items").build());
      thread =
          new Thread(
              () -> {
                try (Response response = call.execute()) {
                  ended.completeExceptionally(
                      new AssertionError("the call was answered: " + response.code()));
                } catch (IOException e) {
                  ended.complete(new Ended(e, System.nanoTime()));
                }
              },
              "okhttp-caller");
      thread.start();
    }

    Ended await() throws Exception {
      Ended e = ended.get(20, TimeUnit.SECONDS);
      thread.join(TimeUnit.SECONDS.toMillis(5));
      return e;
    }
  }

  /** Prints how long the call took to end after {@code since}; fails one not prompt. */
  private static void report(String format, Ended ended, long since) {
    long nanos = ended.atNanos() - since;
    System.out.printf(format + "%n", nanos / 1e6);
    assertThat(Duration.ofNanos(nanos)).isLessThan(PROMPT);
  }

  @Test
  @Timeout(30)
  void callCancelledDuringARetryBackoffEndsAtOnce() throws Exception {
    WireMockServer down = servers.start(aResponse().withStatus(503).withBody("down"));
    mesh.apply(endpoints(down.port(), "v1") + route(BACKOFF_10S));

    Caller caller = new Caller(client);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.waiting() == 1);
    // From this thread, not the caller's: what an application that gives up does.
    long cancelledAt = System.nanoTime();
    caller.call.cancel();
    Ended ended = caller.await();
    report(
        "OkHttp, 10 s retry backoff: ended %.3f ms after the cancellation", ended, cancelledAt);

    assertThat(ended.failure()).hasMessage("Canceled");
    assertThat(served(down)).isEqualTo(1);
    // The backoff was taken off the mesh's timer, not left to run out.
    assertThat(mesh.waiting()).isZero();
  }

  @Test
  @Timeout(30)
  void callCancelledDuringAFaultDelayEndsAtOnce() throws Exception {
    WireMockServer server = servers.start("only");
    mesh.apply(endpoints(server.port(), "v1") + route(DELAY_10S));

    Caller caller = new Caller(client);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.waiting() == 1);
    long cancelledAt = System.nanoTime();
    caller.call.cancel();
    Ended ended = caller.await();
    report("OkHttp, 10 s fault delay: ended %.3f ms after the cancellation", ended, cancelledAt);

    assertThat(ended.failure()).hasMessage("Canceled");
    assertThat(served(server)).isZero();
    assertThat(mesh.waiting()).isZero();
  }

  @Test
  @Timeout(30)
  void interruptedCallerDuringAFaultDelayEndsAtOnce() throws Exception {
    WireMockServer server = servers.start("only");
    mesh.apply(endpoints(server.port(), "v1") + route(DELAY_10S));

    Caller caller = new Caller(client);
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.waiting() == 1);
    long interruptedAt = System.nanoTime();
    caller.thread.interrupt();
    Ended ended = caller.await();
    report(
        "OkHttp, 10 s fault delay: ended %.3f ms after the caller's interruption",
        ended,
        interruptedAt);

    assertThat(ended.failure()).isInstanceOf(InterruptedIOException.class);
    assertThat(served(server)).isZero();
    assertThat(mesh.waiting()).isZero();
  }

  @Test
  @Timeout(30)
  void callTimeoutShorterThanAFaultDelayEndsTheCallAtTheTimeout() throws Exception {
    WireMockServer server = servers.start("only");
    mesh.apply(endpoints(server.port(), "v1") + route(DELAY_10S));
    OkHttpClient bounded = client.newBuilder().callTimeout(Duration.ofMillis(300)).build();

    long started = System.nanoTime();
    Ended ended = new Caller(bounded).await();
    report(
        "OkHttp, 300 ms call timeout in a 10 s fault delay: ended %.3f ms after the timeout",
        ended,
        started + TimeUnit.MILLISECONDS.toNanos(300));

    // OkHttp's own timeout cancels the call, or the engine's wait, capped at the call's deadline
    // (the timeout), ends first and refuses the attempt: either way the request is never sent.
    assertThat(Duration.ofNanos(ended.atNanos() - started)).isGreaterThan(Duration.ofMillis(250));
    assertThat(served(server)).isZero();
  }
}
