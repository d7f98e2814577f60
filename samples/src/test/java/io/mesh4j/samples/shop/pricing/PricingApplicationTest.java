package io.mesh4j.samples.shop.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.samples.shop.ShopDemo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import okhttp3.FormBody;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/** The pricing application on a loopback port: prices, and the switch that makes it slow or fail. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PricingApplicationTest {

  @TempDir static Path emptyPolicy;

  private static ConfigurableApplicationContext app;
  private static String base;
  private static final OkHttpClient HTTP = new OkHttpClient();

  @BeforeAll
  static void start() {
    ShopDemo.quietLogging();
    app = PricingApplication.builder().run(
        "--server.port=0", "--pricing.instance=pricing-t", "--pricing.slow-delay=200ms",
        "--mesh4j.controller.address=", "--mesh4j.config-dir=" + emptyPolicy, "--spring.main.banner-mode=off");
    base = "http://127.0.0.1:" + ((WebServerApplicationContext) app).getWebServer().getPort();
  }

  @AfterAll
  static void stop() {
    app.close();
    HTTP.dispatcher().executorService().shutdown();
    HTTP.connectionPool().evictAll();
  }

  @Test
  void theSwitchMakesPricesFailSlowOrNormalAgain() throws IOException {
    try (Response ok = get("/prices/sku-7")) {
      assertThat(ok.code()).isEqualTo(200);
      assertThat(ok.body().string()).contains("\"instance\":\"pricing-t\"").contains("\"currency\":\"EUR\"");
    }

    try (Response switched = post("/admin/mode?value=fail")) {
      assertThat(switched.body().string()).contains("\"mode\":\"fail\"").contains("\"previous\":\"ok\"");
    }
    try (Response failing = get("/prices/sku-7")) {
      assertThat(failing.code()).isEqualTo(503);
      assertThat(failing.body().string()).contains("pricing-t is in fail mode");
    }

    post("/admin/mode?value=slow").close();
    long start = System.nanoTime();
    try (Response slow = get("/prices/sku-7")) {
      assertThat(slow.code()).isEqualTo(200);
    }
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(200);

    post("/admin/mode?value=ok").close();
    try (Response again = get("/prices/sku-7")) {
      assertThat(again.code()).isEqualTo(200);
    }
  }

  @Test
  void aBadSwitchValueIsRefusedWithTheChoices() throws IOException {
    try (Response bad = post("/admin/mode?value=broken")) {
      assertThat(bad.code()).isEqualTo(400);
      assertThat(bad.body().string())
          .contains("POST /admin/mode?value=: mode must be one of ok, slow, fail, got 'broken'");
    }
  }

  private static Response get(String path) throws IOException {
    return HTTP.newCall(new Request.Builder().url(base + path).build()).execute();
  }

  private static Response post(String path) throws IOException {
    return HTTP.newCall(new Request.Builder().url(base + path).post(new FormBody.Builder().build()).build()).execute();
  }
}
