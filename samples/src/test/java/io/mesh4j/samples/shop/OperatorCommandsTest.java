package io.mesh4j.samples.shop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.cli.Mesh4jCommand;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicyWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's questions against the running shop, with the {@code mesh4j} command: which
 * applications are in sync, and what config the frontend runs, compared with what it holds.
 */
class OperatorCommandsTest {

  @BeforeAll
  static void logging() {
    ShopDemo.quietLogging();
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void statusAndConfigAnswerFromTheControllerAndTheApplication(@TempDir Path dir) throws Exception {
    ShopDemo.copyYaml(Path.of("mesh"), dir);
    try (Shop shop = Shop.start(dir)) {
      String controller = shop.controllerAdmin();
      // the frontend says where its actuator listens once its web server has a port
      await().atMost(Duration.ofSeconds(30))
          .until(() -> mesh4j("status", "--controller", controller, "-o", "json").out().contains("/actuator/mesh\""));

      Result status = mesh4j("status", "--controller", controller);
      assertThat(status.code()).as(status.err()).isZero();
      assertThat(status.out()).containsPattern("(?m)^frontend +shop +mesh4j +127.0.0.1:\\d+ +\\d+ +\\d+ +SYNCED ");

      Result routes = mesh4j("config", "frontend", "routes", "--controller", controller);
      assertThat(routes.code()).as(routes.err()).isZero();
      assertThat(routes.out()).contains("Compared with the application at http://127.0.0.1:" + shop.frontendPort() + "/actuator/mesh");
      MeshResource held = shop.frontendMesh().policies().routes().stream()
          .filter(r -> r.ref().equals("TrafficRoute shop/catalog"))
          .findFirst()
          .orElseThrow();
      // what the controller resolved, printed, is exactly what the frontend's engine holds
      assertThat(routes.out()).contains("--- # TrafficRoute shop/catalog (application: SAME)\n" + PolicyWriter.toYaml(held));
      assertThat(routes.out()).doesNotContain("DestinationPolicy");

      Result summary = mesh4j("config", "frontend", "--controller", controller);
      System.out.println("$ mesh4j config frontend\n" + summary.out());
      assertThat(summary.out()).contains("The application holds exactly what the controller sent.");
      assertThat(summary.out()).containsPattern("(?m)^ServiceEndpoints +shop/catalog +SAME$");

      Result unknown = mesh4j("config", "nobody", "--controller", controller);
      assertThat(unknown.code()).isEqualTo(1);
      assertThat(unknown.err()).contains("no application 'nobody' is connected");

      // why would a call with x-canary: true go to v2? The frontend's live engine says.
      Result canary = mesh4j("explain", "frontend", "catalog.shop", "shop.Catalog/GetItem", "-H", "x-canary=true",
          "--controller", controller);
      System.out.println("$ mesh4j explain frontend catalog.shop shop.Catalog/GetItem -H x-canary=true\n" + canary.out());
      assertThat(canary.code()).as(canary.err()).isZero();
      assertThat(canary.out())
          .contains("ROUTED", "canary-header", "TrafficRoute shop/catalog spec.rules[0]")
          .containsPattern("(?m)^.*v2.*<- this call");

      // an ejected pricing instance, with the time its ejection has left
      try (TrafficDriver users = new TrafficDriver(shop.frontendPort(), 2)) {
        users.start();
        ShopDemo.mode(shop, users, "pricing-b", "fail");
        await().atMost(Duration.ofSeconds(30)).until(() -> shop.frontendMesh().status().destinations().stream()
            .filter(d -> d.name().equals("pricing.shop"))
            .flatMap(d -> d.subsets().stream())
            .flatMap(s -> s.endpoints().stream())
            .anyMatch(e -> e.ejected()));
        Result pricing = mesh4j("explain", "frontend", "GET", "pricing.shop/prices/sku-1", "--controller", controller);
        System.out.println("$ mesh4j explain frontend GET pricing.shop/prices/sku-1\n" + pricing.out());
        assertThat(pricing.code()).as(pricing.err()).isZero();
        assertThat(pricing.out())
            .contains("reads")
            .containsPattern("EJECTED.*\\d+(\\.\\d+)?s left");
        ShopDemo.mode(shop, users, "pricing-b", "ok");
      }
    }
  }

  record Result(int code, String out, String err) {}

  static Result mesh4j(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Mesh4jCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Result(code, out.toString(), err.toString());
  }
}
