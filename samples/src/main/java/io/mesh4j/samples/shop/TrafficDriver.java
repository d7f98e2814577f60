package io.mesh4j.samples.shop;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shop's users: a fixed number of threads, each asking the frontend for one product page
 * after another (no mesh on this side: it is the outside world). Each call is counted in the
 * tallies current when it started, so a call counts for the phase whose policy planned it.
 */
final class TrafficDriver implements AutoCloseable {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final String frontend;
  private final OkHttpClient http;
  private final List<Thread> users = new ArrayList<>();
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicReference<Tally> phase = new AtomicReference<>(new Tally(System.nanoTime()));
  private final AtomicReference<Tally> second = new AtomicReference<>(new Tally(System.nanoTime()));
  private final Tally total = new Tally(System.nanoTime());
  private volatile boolean running = true;

  /** Users of the frontend at {@code http://127.0.0.1:port}, {@code concurrency} at a time. */
  TrafficDriver(int frontendPort, int concurrency) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("the driver's concurrency must be at least 1, got " + concurrency);
    }
    this.frontend = "http://127.0.0.1:" + frontendPort;
    this.http =
        new OkHttpClient.Builder()
            .connectionPool(new ConnectionPool(concurrency, 30, TimeUnit.SECONDS))
            .callTimeout(Duration.ofSeconds(30))
            .build();
    for (int i = 0; i < concurrency; i++) {
      Thread user = new Thread(this::browse, "shop-user-" + i);
      user.setDaemon(true);
      users.add(user);
    }
  }

  void start() {
    users.forEach(Thread::start);
  }

  /** Starts a new phase tally and returns the one that ended, once its calls in flight ended. */
  Tally nextPhase() throws InterruptedException {
    Tally ended = phase.getAndSet(new Tally(System.nanoTime()));
    ended.settle(TimeUnit.SECONDS.toMillis(15));
    return ended;
  }

  /** Calls counted in the current phase so far. */
  long phaseCalls() {
    return phase.get().calls();
  }

  /** Starts a new per-second tally and returns the one that ended. */
  Tally nextSecond() {
    return second.getAndSet(new Tally(System.nanoTime()));
  }

  /** Every call since the start. */
  Tally total() {
    return total;
  }

  /** The HTTP client the demo also uses for admin calls (plain, not meshed). */
  OkHttpClient http() {
    return http;
  }

  private void browse() {
    while (running) {
      Tally p = phase.get();
      Tally s = second.get();
      String id = "sku-" + (sequence.getAndIncrement() % 100);
      p.begin();
      s.begin();
      total.begin();
      long start = System.nanoTime();
      Request request = new Request.Builder().url(frontend + "/product/" + id).build();
      try (Response response = http.newCall(request).execute()) {
        String body = response.body().string();
        long nanos = System.nanoTime() - start;
        if (response.code() != 200) {
          String why = "GET /product/" + id + " answered " + response.code() + ": " + body;
          p.failed(why, nanos);
          s.failed(why, nanos);
          total.failed(why, nanos);
          continue;
        }
        JsonNode page = JSON.readTree(body);
        String version = page.path("catalogVersion").asString("?");
        if (page.path("degraded").asBoolean(false)) {
          p.degraded(version, nanos);
          s.degraded(version, nanos);
          total.degraded(version, nanos);
        } else {
          p.served(version, nanos);
          s.served(version, nanos);
          total.served(version, nanos);
        }
      } catch (IOException e) {
        long nanos = System.nanoTime() - start;
        String why = "GET /product/" + id + " failed: " + e;
        p.failed(why, nanos);
        s.failed(why, nanos);
        total.failed(why, nanos);
      }
    }
  }

  /** Stops the users (each finishes its call in flight) and releases the client. */
  @Override
  public void close() throws InterruptedException {
    running = false;
    for (Thread user : users) {
      user.join(TimeUnit.SECONDS.toMillis(10));
    }
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }
}
