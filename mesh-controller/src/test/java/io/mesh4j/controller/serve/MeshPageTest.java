package io.mesh4j.controller.serve;

import io.mesh4j.core.testing.HeadlessChromium;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live mesh page: its headers and policy from the admin endpoint, then the page itself in
 * headless Chromium against fixed {@code mesh.json} documents served next to it on 127.0.0.1 (the
 * same origin, as the admin endpoint serves both), read back from the DOM Chromium dumps.
 *
 * <p>The screenshot in the docs comes from {@link #screenshotOfTheFixture()}: run it with {@code
 * -Dmesh4j.screenshot=../docs/images/mesh-page.png} to write it there.
 */
@Timeout(120)
class MeshPageTest {

  /** Enough for the first fetch and two more polls (every 2 s); fetches do not use it up. */
  private static final Duration VIRTUAL_TIME = Duration.ofSeconds(5);

  static final String FIXTURE = """
      {
        "generatedAt": "2026-12-05T23:10:00Z",
        "windowSeconds": 30,
        "applications": [
          {"application": "frontend", "namespace": "shop", "identity": "spiffe://cluster.local/ns/shop/sa/frontend",
           "inSync": true, "sentVersion": 12, "ackedVersion": 12, "lastNack": null},
          {"application": "catalog", "namespace": "shop", "identity": "spiffe://cluster.local/ns/shop/sa/catalog",
           "inSync": true, "sentVersion": 12, "ackedVersion": 12,
           "lastNack": {"version": 9, "reasons": ["an older refusal"], "at": "2026-12-05T22:41:07Z"}},
          {"application": "checkout", "namespace": "shop", "identity": "spiffe://cluster.local/ns/shop/sa/checkout",
           "inSync": false, "sentVersion": 13, "ackedVersion": 12,
           "lastNack": {"version": 13, "reasons": ["TrafficRoute shop/catalog: subset v3 is not defined by any DestinationRule"],
                        "at": "2026-12-05T23:09:41Z"}},
          {"application": "pricing", "namespace": "shop", "identity": "spiffe://cluster.local/ns/shop/sa/pricing",
           "inSync": false, "sentVersion": 13, "ackedVersion": 12, "lastNack": null}
        ],
        "edges": [
          {"from": "frontend", "fromNamespace": "shop", "to": "pricing.shop",
           "requestsPerSecond": 12.5, "successRate": 1.0, "p50Ms": 1.2, "p90Ms": 2.0, "p99Ms": 4.1,
           "routes": [
             {"route": "", "subset": null, "requestsPerSecond": 12.5, "share": 1.0,
              "successRate": 1.0, "p50Ms": 1.2, "p90Ms": 2.0, "p99Ms": 4.1}
           ]},
          {"from": "frontend", "fromNamespace": "shop", "to": "catalog.shop",
           "requestsPerSecond": 41.2, "successRate": 0.998, "p50Ms": 3.1, "p90Ms": 7.9, "p99Ms": 20.0,
           "routes": [
             {"route": "TrafficRoute shop/catalog", "subset": "v1", "requestsPerSecond": 37.0, "share": 0.898,
              "successRate": 1.0, "p50Ms": 3.0, "p90Ms": 7.5, "p99Ms": 19.0},
             {"route": "TrafficRoute shop/catalog", "subset": "v2", "requestsPerSecond": 4.2, "share": 0.102,
              "successRate": 0.981, "p50Ms": 3.9, "p90Ms": 9.1, "p99Ms": 24.0}
           ]}
        ]
      }
      """;

  private static final String NO_TRAFFIC = """
      {"generatedAt": "2026-12-05T23:10:00Z", "windowSeconds": 30,
       "applications": [{"application": "frontend", "namespace": "shop", "identity": "spiffe://cluster.local/ns/shop/sa/frontend",
                         "inSync": true, "sentVersion": 3, "ackedVersion": 3, "lastNack": null}],
       "edges": []}
      """;

  private static final String IMG = "<img src=x onerror=alert(1)>";

  /** Names and reasons as an attacker would send them, each trying to become markup. */
  private static final String HOSTILE = """
      {"generatedAt": "<b>now</b>", "windowSeconds": 30,
       "applications": [
         {"application": "<img src=x onerror=alert(1)>", "namespace": "\\"><script>document.title='owned'</script>",
          "identity": "<svg onload=alert(2)>", "inSync": false, "sentVersion": 4, "ackedVersion": 3,
          "lastNack": {"version": 4, "reasons": ["</li></ul><iframe src=javascript:alert(3)></iframe>", "&amp; <i>x</i>"],
                       "at": "<u>then</u>"}}
       ],
       "edges": [
         {"from": "<img src=x onerror=alert(1)>", "fromNamespace": "<script>alert(4)</script>",
          "to": "evil\\"'><svg onload=alert(5)>.shop", "requestsPerSecond": 1.0, "successRate": 0.5,
          "p50Ms": 1, "p90Ms": 2, "p99Ms": 3,
          "routes": [{"route": "<script>alert(6)</script>", "subset": "x\\" onmouseover=\\"alert(7)",
                      "requestsPerSecond": 1.0, "share": 1.0, "successRate": 0.5, "p50Ms": 1, "p90Ms": 2, "p99Ms": 3}]}
       ]}
      """;

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  // ---- without a browser ------------------------------------------------------------------------

  @Test
  void theAdminEndpointServesThePageAsUtf8HtmlWithAStrictPolicy() throws Exception {
    AdminServer admin = admin(null);
    HttpResponse<String> page = get(admin, "/mesh", null);

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(page.body()).startsWith("<!DOCTYPE html>");
    String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp)
        .startsWith("default-src 'none'; ")
        .contains("; connect-src 'self'", "; base-uri 'none'", "; frame-ancestors 'none'", "; require-trusted-types-for 'script'")
        .doesNotContain("unsafe-inline", "unsafe-eval", "*", "http:", "https:");
    // the one inline script and style are allowed by their hashes, computed here independently
    assertThat(csp)
        .contains("script-src 'sha256-" + sha256(only(page.body(), "script")) + "'")
        .contains("style-src 'sha256-" + sha256(only(page.body(), "style")) + "'");
    assertThat(MeshPage.serving(ex -> {}).contentSecurityPolicy()).isEqualTo(csp);
  }

  @Test
  void rootRedirectsToThePageRelativelyAndOtherPathsStayUnknown() throws Exception {
    AdminServer admin = admin(null);

    HttpResponse<String> root = get(admin, "/", null);
    assertThat(root.statusCode()).isEqualTo(302);
    assertThat(root.headers().firstValue("Location")).hasValue("mesh");

    for (String path : List.of("/mesh/", "/meshes", "/mesh/x", "/nothing")) {
      HttpResponse<String> unknown = get(admin, path, null);
      assertThat(unknown.statusCode()).as(path).isEqualTo(404);
      assertThat(unknown.body()).as(path).isEqualTo("mesh4j: no such path; try /mesh, /mesh.json, /status, /config/APP, /metrics, /healthz or /readyz\n");
    }

    HttpResponse<String> post = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/mesh"))
            .POST(HttpRequest.BodyPublishers.ofString("x"))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");

    HttpResponse<String> head = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/mesh"))
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Content-Security-Policy")).isPresent();
  }

  @Test
  void withTokensThePageNeedsTheBearerTokenLikeStatus() throws Exception {
    String token = "admin-0123456789abcdef";
    Path file = Files.writeString(dir.resolve("admin-token"), token + "\n");
    AdminServer admin = admin(AdminTokens.load(file));

    assertThat(get(admin, "/mesh", null).statusCode()).isEqualTo(401);
    assertThat(get(admin, "/", null).statusCode()).isEqualTo(401);
    assertThat(get(admin, "/mesh", "Bearer " + token).statusCode()).isEqualTo(200);
  }

  @Test
  void thePageLoadsNothingFromElsewhereAndNeverParsesDataAsMarkup() throws Exception {
    String page;
    try (InputStream in = MeshPage.class.getResourceAsStream("mesh.html")) {
      assertThat(in).isNotNull();
      page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    // the SVG namespace is a name, not a fetch
    assertThat(page.replace("http://www.w3.org/2000/svg", ""))
        .doesNotContain("http://", "https://", "//cdn", "@import", "url(http", "src=")
        .doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function")
        .contains("fetch('mesh.json'");
  }

  // ---- in Chromium ------------------------------------------------------------------------------

  @Test
  void thePageDrawsEdgesSubsetSharesAndNacksFromMeshJson() throws Exception {
    HeadlessChromium chromium = HeadlessChromium.require();
    Fixture fixture = fixture(FIXTURE);

    Dom dom = new Dom(chromium.dumpDom(fixture.page(), VIRTUAL_TIME));

    assertThat(dom.with("data-updated")).singleElement().satisfies(b -> assertThat(b.get("data-updated")).isEqualTo("2026-12-05T23:10:00Z"));
    assertThat(dom.values("data-edge")).containsExactly("frontend->catalog.shop", "frontend->pricing.shop");
    assertThat(dom.values("data-edge-routes")).containsExactly("frontend->catalog.shop", "frontend->pricing.shop");
    Map<String, String> shares = new LinkedHashMap<>();
    dom.with("data-subset").forEach(e -> shares.put(e.get("data-subset"), e.get("data-share")));
    assertThat(shares).containsExactly(
        Map.entry("catalog.shop/v1", "0.898"), Map.entry("catalog.shop/v2", "0.102"), Map.entry("pricing.shop", "1"));
    assertThat(dom.text()).contains("89.8%", "10.2%", "41.2 rps", "99.8%", "98.1%", "TrafficRoute shop/catalog", "whole service");

    Map<String, String> states = new LinkedHashMap<>();
    dom.with("data-app").forEach(e -> states.put(e.get("data-app"), e.get("data-state")));
    // refusals first, then what is not applied yet, then the rest, by name
    assertThat(states).containsExactly(
        Map.entry("checkout", "NACKED"), Map.entry("pricing", "STALE"), Map.entry("catalog", "SYNCED"), Map.entry("frontend", "SYNCED"));
    assertThat(dom.text())
        .contains("TrafficRoute shop/catalog: subset v3 is not defined by any DestinationRule")
        .contains("earlier, version 9")
        .doesNotContain("No traffic reported yet", "Cannot read mesh.json");
    assertThat(dom.element("id", "error")).containsKey("hidden");
    assertThat(fixture.requests()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void hostileNamesAndReasonsAreShownAsTextNeverAsMarkup() throws Exception {
    HeadlessChromium chromium = HeadlessChromium.require();
    Fixture fixture = fixture(HOSTILE);

    Dom dom = new Dom(chromium.dumpDom(fixture.page(), VIRTUAL_TIME));

    assertThat(dom.with("data-updated")).hasSize(1);
    assertThat(dom.tags()).doesNotContain("img", "iframe", "b", "i", "u").containsOnlyOnce("script");
    assertThat(dom.tags().stream().filter("svg"::equals)).hasSize(1);
    assertThat(dom.attributeNames()).noneMatch(name -> name.startsWith("on"));
    assertThat(dom.values("data-app")).containsExactly(IMG);
    assertThat(dom.values("data-edge")).containsExactly(IMG + "->evil\"'><svg onload=alert(5)>.shop");
    assertThat(dom.values("data-subset")).containsExactly("evil\"'><svg onload=alert(5)>.shop/x\" onmouseover=\"alert(7)");
    assertThat(dom.text())
        .contains(IMG, "</li></ul><iframe src=javascript:alert(3)></iframe>", "&amp; <i>x</i>", "<script>alert(6)</script>",
            "<b>now</b>", "NACKED");
    assertThat(dom.serialized()).contains("&lt;img src=x onerror=alert(1)&gt;").doesNotContain("<title>owned");
  }

  @Test
  void withoutEdgesThePageSaysNoTrafficIsReportedYet() throws Exception {
    HeadlessChromium chromium = HeadlessChromium.require();
    Fixture fixture = fixture(NO_TRAFFIC);

    Dom dom = new Dom(chromium.dumpDom(fixture.page(), VIRTUAL_TIME));

    assertThat(dom.with("data-updated")).hasSize(1);
    assertThat(dom.element("data-empty", "edges")).isNotNull();
    assertThat(dom.text()).contains("No traffic reported yet: no application has reported calls in the last 30 s.");
    assertThat(dom.values("data-edge")).isEmpty();
    assertThat(dom.values("data-subset")).isEmpty();
    assertThat(dom.with("data-app")).singleElement().satisfies(e -> assertThat(e.get("data-state")).isEqualTo("SYNCED"));
  }

  @Test
  void whenMeshJsonFailsThePageShowsTheErrorBanner() throws Exception {
    HeadlessChromium chromium = HeadlessChromium.require();
    Fixture fixture = fixture(FIXTURE);
    fixture.failFrom(0);

    Dom dom = new Dom(chromium.dumpDom(fixture.page(), VIRTUAL_TIME));

    assertThat(dom.with("data-updated")).isEmpty();
    assertThat(dom.element("id", "error")).doesNotContainKey("hidden");
    assertThat(dom.text())
        .contains("Cannot read mesh.json: HTTP 500: mesh4j: the fixture fails on purpose. Nothing has been read yet.")
        .contains("No data: the controller did not answer.");
    assertThat(dom.values("data-edge")).isEmpty();
    // it keeps asking
    assertThat(fixture.requests()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void whenMeshJsonFailsAfterAnAnswerThePageKeepsTheLastOneUnderTheBanner() throws Exception {
    HeadlessChromium chromium = HeadlessChromium.require();
    Fixture fixture = fixture(FIXTURE);
    fixture.failFrom(1);

    Dom dom = new Dom(chromium.dumpDom(fixture.page(), VIRTUAL_TIME));

    assertThat(fixture.requests()).isGreaterThanOrEqualTo(2);
    assertThat(dom.element("id", "error")).doesNotContainKey("hidden");
    assertThat(dom.text()).contains("Cannot read mesh.json: HTTP 500", "Showing what was generated 2026-12-05T23:10:00Z.");
    assertThat(dom.values("data-edge")).containsExactly("frontend->catalog.shop", "frontend->pricing.shop");
  }

  @Test
  void screenshotOfTheFixture() throws Exception {
    HeadlessChromium chromium = HeadlessChromium.require();
    Fixture fixture = fixture(FIXTURE);
    String wanted = System.getProperty("mesh4j.screenshot");
    Path png = wanted == null || wanted.isBlank() ? dir.resolve("mesh-page.png") : Path.of(wanted);

    chromium.screenshot(fixture.page(), VIRTUAL_TIME, 1280, 900, png);

    byte[] bytes = Files.readAllBytes(png);
    assertThat(bytes).startsWith(0x89, 'P', 'N', 'G');
    assertThat(bytes.length).isGreaterThan(10_000);
  }

  // ---- harness ----------------------------------------------------------------------------------

  private AdminServer admin(AdminTokens tokens) throws IOException {
    SnapshotDistributor distributor = new SnapshotDistributor(InstantSource.system());
    AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), distributor, () -> "test", null, tokens);
    open.add(distributor);
    open.add(admin);
    return admin;
  }

  private HttpResponse<String> get(AdminServer admin, String path, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path)).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The page and a fixed {@code mesh.json} on one origin, as the admin endpoint serves them; {@link
   * #failFrom} makes {@code mesh.json} answer 500 from its n-th request on.
   */
  private final class Fixture implements AutoCloseable {
    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int failFrom = Integer.MAX_VALUE;

    Fixture(String json) throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", ex -> send(ex, 404, "text/plain", "no such path\n"));
      server.createContext(MeshPage.PATH, MeshPage.serving(ex -> send(ex, 404, "text/plain", "no such path\n")));
      server.createContext("/mesh.json", ex -> {
        int n = requests.getAndIncrement();
        if (n >= failFrom) {
          send(ex, 500, "text/plain", "mesh4j: the fixture fails on purpose\n");
        } else {
          send(ex, 200, "application/json", json);
        }
      });
      server.start();
    }

    URI page() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + MeshPage.PATH);
    }

    void failFrom(int request) {
      failFrom = request;
    }

    int requests() {
      return requests.get();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private Fixture fixture(String json) throws IOException {
    Fixture f = new Fixture(json);
    open.add(f);
    return f;
  }

  private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String only(String page, String tag) {
    Matcher m = Pattern.compile("<" + tag + ">(.*?)</" + tag + ">", Pattern.DOTALL).matcher(page);
    assertThat(m.find()).as("a <%s> element", tag).isTrue();
    String content = m.group(1);
    assertThat(m.find()).as("a second <%s> element", tag).isFalse();
    return content;
  }

  private static String sha256(String text) throws Exception {
    return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * The DOM Chromium dumped, read as the HTML serializer writes it: start tags with double-quoted,
   * escaped attribute values, escaped text, and raw text inside {@code script} and {@code style}.
   */
  static final class Dom {
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9:-]*");
    private final String serialized;
    private final List<String> tags = new ArrayList<>();
    private final List<Map<String, String>> elements = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();

    Dom(String serialized) {
      this.serialized = serialized;
      int i = 0;
      int n = serialized.length();
      while (i < n) {
        char c = serialized.charAt(i);
        if (c != '<') {
          int next = serialized.indexOf('<', i);
          int end = next < 0 ? n : next;
          text.append(unescape(serialized.substring(i, end)));
          i = end;
          continue;
        }
        if (serialized.startsWith("<!", i) || serialized.startsWith("</", i)) {
          int end = serialized.indexOf('>', i);
          i = end < 0 ? n : end + 1;
          text.append(' ');
          continue;
        }
        Matcher name = NAME.matcher(serialized).region(i + 1, n);
        if (!name.lookingAt()) {
          text.append('<');
          i++;
          continue;
        }
        String tag = name.group().toLowerCase(java.util.Locale.ROOT);
        Map<String, String> attributes = new LinkedHashMap<>();
        int j = name.end();
        while (j < n && serialized.charAt(j) != '>') {
          if (Character.isWhitespace(serialized.charAt(j)) || serialized.charAt(j) == '/') {
            j++;
            continue;
          }
          Matcher attr = NAME.matcher(serialized).region(j, n);
          if (!attr.lookingAt()) {
            throw new AssertionError("unexpected character in a start tag at " + j + ": " + serialized.substring(i, Math.min(n, j + 40)));
          }
          j = attr.end();
          String value = "";
          if (j < n && serialized.charAt(j) == '=') {
            if (serialized.charAt(j + 1) != '"') {
              throw new AssertionError("an unquoted attribute value at " + j);
            }
            int close = serialized.indexOf('"', j + 2);
            value = unescape(serialized.substring(j + 2, close));
            j = close + 1;
          }
          attributes.put(attr.group(), value);
        }
        tags.add(tag);
        elements.add(attributes);
        i = j + 1;
        text.append(' ');
        if (tag.equals("script") || tag.equals("style")) {
          int close = serialized.indexOf("</" + tag + ">", i);
          i = close < 0 ? n : close;
        }
      }
    }

    private static String unescape(String s) {
      return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
          .replace("&nbsp;", "\u00a0").replace("&amp;", "&");
    }

    String serialized() {
      return serialized;
    }

    /** Every start tag's name, in document order. */
    List<String> tags() {
      return tags;
    }

    List<String> attributeNames() {
      List<String> names = new ArrayList<>();
      elements.forEach(e -> names.addAll(e.keySet()));
      return names;
    }

    /** The text outside script and style, unescaped, with tags as spaces and each run of spaces as one. */
    String text() {
      return text.toString().replaceAll("\\s+", " ");
    }

    List<Map<String, String>> with(String attribute) {
      return elements.stream().filter(e -> e.containsKey(attribute)).toList();
    }

    List<String> values(String attribute) {
      return with(attribute).stream().map(e -> e.get(attribute)).toList();
    }

    Map<String, String> element(String attribute, String value) {
      return elements.stream()
          .filter(e -> value.equals(e.get(attribute)))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no element with " + attribute + "=\"" + value + "\""));
    }
  }
}
