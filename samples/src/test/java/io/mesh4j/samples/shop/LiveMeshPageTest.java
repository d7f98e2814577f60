package io.mesh4j.samples.shop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.core.testing.HeadlessChromium;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's live mesh page in a real headless Chromium while the shop serves the demo's
 * users: the graph's edges, catalog's v1/v2 split next to the route's live weights, and the NACK
 * of an application that refuses what it is sent. With {@code -Dmesh4j.screenshot=FILE} it also
 * writes a screenshot of the page (the one in the docs comes from here).
 */
class LiveMeshPageTest {

  private static final int PAGES = 600;

  private static final String REFUSAL = "TrafficRoute shop/catalog: spec.rules[1]: an older engine cannot apply it";

  @BeforeAll
  static void logging() {
    ShopDemo.quietLogging();
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void thePageShowsTheShopsEdgesTheCanarySplitAndANack(@TempDir Path dir) throws Exception {
    HeadlessChromium chromium = HeadlessChromium.require();
    ShopDemo.copyYaml(Path.of("mesh"), dir);
    try (Shop shop = Shop.start(dir);
        TrafficDriver users = new TrafficDriver(shop.frontendPort(), 4);
        ControllerConfigSource legacy = refusingApplication(shop)) {
      users.start();
      String page = shop.controllerAdmin() + "/mesh";
      // enough pages for a 10% share to be known within a point or two (4 standard deviations
      // of 600 draws is 5 points), then the frontend's next report (every second in the shop)
      await().atMost(Duration.ofSeconds(120)).until(() -> users.total().calls() >= PAGES);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
        String json = get(shop.controllerAdmin() + "/mesh.json");
        return json.contains("\"to\":\"catalog.shop\"") && json.contains("\"to\":\"pricing.shop\"")
            && json.contains(REFUSAL) && catalogCalls(json) >= PAGES;
      });

      String dom = chromium.dumpDom(URI.create(page), Duration.ofSeconds(5));

      assertThat(dom).as("the page rendered data").contains("data-updated");
      assertThat(dom).contains("data-edge=\"frontend-&gt;catalog.shop\"", "data-edge=\"frontend-&gt;pricing.shop\"");
      // the route's weights are 90/10 (samples/mesh/catalog.yaml)
      assertThat(share(dom, "catalog.shop/v1")).isCloseTo(0.90, within(0.05));
      assertThat(share(dom, "catalog.shop/v2")).isCloseTo(0.10, within(0.05));
      assertThat(dom).containsPattern("data-app=\"legacy\"[^>]*data-state=\"NACKED\"|data-state=\"NACKED\"[^>]*data-app=\"legacy\"");
      assertThat(dom).contains(REFUSAL);

      String screenshot = System.getProperty("mesh4j.screenshot");
      if (screenshot != null && !screenshot.isBlank()) {
        chromium.screenshot(URI.create(page), Duration.ofSeconds(5), 1280, 1100, Path.of(screenshot));
      }
    }
  }

  /** An application on the shop's controller whose engine refuses every version it is sent. */
  private static ControllerConfigSource refusingApplication(Shop shop) {
    ControllerConfigSource source = ControllerConfigSource.builder(shop.controllerTarget())
        .application("legacy")
        .namespace("shop")
        .calls("catalog")
        .tokenFile(shop.tokenFile("frontend"))
        .trustedRoots(shop.trustedRootsFile())
        .build();
    source.start(new ConfigSource.Listener() {
      @Override
      public ApplyResult onUpdate(PolicySet policies) {
        return ApplyResult.refused(List.of(new Problem(
            "TrafficRoute shop/catalog", "spec.rules[1]", "an older engine cannot apply it", null)));
      }

      @Override
      public void onRejected(List<Problem> problems) {}
    });
    return source;
  }

  private static double share(String dom, String subset) {
    Matcher m = Pattern.compile("data-subset=\"" + Pattern.quote(subset) + "\"[^>]*data-share=\"([0-9.]+)\"").matcher(dom);
    Matcher reversed = Pattern.compile("data-share=\"([0-9.]+)\"[^>]*data-subset=\"" + Pattern.quote(subset) + "\"").matcher(dom);
    if (m.find()) {
      return Double.parseDouble(m.group(1));
    }
    assertThat(reversed.find()).as("a row for subset " + subset + " in\n" + dom).isTrue();
    return Double.parseDouble(reversed.group(1));
  }

  /** The catalog edge's calls in the window: its rate over the window the controller keeps. */
  @SuppressWarnings("unchecked")
  private static double catalogCalls(String json) {
    java.util.Map<String, Object> doc = new org.yaml.snakeyaml.Yaml(
        new org.yaml.snakeyaml.constructor.SafeConstructor(new org.yaml.snakeyaml.LoaderOptions())).load(json);
    double window = ((Number) doc.get("windowSeconds")).doubleValue();
    for (Object e : (List<Object>) doc.get("edges")) {
      java.util.Map<String, Object> edge = (java.util.Map<String, Object>) e;
      if ("catalog.shop".equals(edge.get("to"))) {
        return ((Number) edge.get("requestsPerSecond")).doubleValue() * window;
      }
    }
    return 0;
  }

  private static String get(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
