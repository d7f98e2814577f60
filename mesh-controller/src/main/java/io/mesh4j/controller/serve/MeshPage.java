package io.mesh4j.controller.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The live mesh page on the admin endpoint's {@code /mesh}: one static HTML file (the classpath
 * resource {@code mesh.html} beside this class, with its CSS and script inline and nothing fetched
 * from elsewhere) that reads {@code mesh.json} next to it every two seconds and draws the service
 * graph, each application's sync state with its last NACK, and each edge's routes and subsets.
 *
 * <p>The page holds no data, so it is the same bytes for every request; the resource is read once.
 * What it shows comes from applications over the network, so the script writes it as text through
 * DOM calls only, and the {@link #contentSecurityPolicy() Content-Security-Policy} lets nothing
 * else run: only the page's own script and style (by SHA-256 hash), fetches only to the same
 * origin, no frames, forms or base URL, and Trusted Types so that no string can become markup.
 *
 * <p>It is served behind the same bearer-token check as {@code /status}. A browser sends no
 * bearer token, so on an admin endpoint with tokens the page is reached through something that
 * adds the header (the page and its fetch use relative URLs, so a proxy or a path prefix works);
 * on loopback it opens directly.
 */
public final class MeshPage implements HttpHandler {

  /** Where the admin endpoint serves the page. */
  public static final String PATH = "/mesh";

  private static final String RESOURCE = "mesh.html";

  private final byte[] html;
  private final String policy;
  private final HttpHandler notFound;

  private MeshPage(byte[] html, String policy, HttpHandler notFound) {
    this.html = html;
    this.policy = policy;
    this.notFound = notFound;
  }

  /**
   * The page, read from the classpath once per JVM.
   *
   * @param notFound answers paths under {@link #PATH} that are not the page itself
   */
  public static MeshPage serving(HttpHandler notFound) {
    return new MeshPage(Loaded.HTML, Loaded.POLICY, notFound);
  }

  /**
   * {@code otherwise} for every path but {@code /}, which is sent on to the page with a relative
   * {@code Location}, so that it also lands right behind a path prefix.
   */
  public static HttpHandler redirectingRoot(HttpHandler otherwise) {
    return ex -> {
      if (!ex.getRequestURI().getPath().equals("/")) {
        otherwise.handle(ex);
        return;
      }
      ex.getResponseHeaders().set("Location", PATH.substring(1));
      ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      byte[] body = ("mesh4j: the live mesh page is at " + PATH + "\n").getBytes(StandardCharsets.UTF_8);
      send(ex, 302, body);
    };
  }

  /** The {@code Content-Security-Policy} header the page is served with. */
  public String contentSecurityPolicy() {
    return policy;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    if (!ex.getRequestURI().getPath().equals(PATH)) {
      notFound.handle(ex);
      return;
    }
    String method = ex.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      ex.getResponseHeaders().set("Allow", "GET, HEAD");
      ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      send(ex, 405, ("mesh4j: " + PATH + " answers GET and HEAD only\n").getBytes(StandardCharsets.UTF_8));
      return;
    }
    var headers = ex.getResponseHeaders();
    headers.set("Content-Type", "text/html; charset=utf-8");
    headers.set("Content-Security-Policy", policy);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("Cache-Control", "no-cache");
    if (method.equals("HEAD")) {
      ex.sendResponseHeaders(200, -1);
      ex.close();
      return;
    }
    send(ex, 200, html);
  }

  private static void send(HttpExchange ex, int code, byte[] body) throws IOException {
    ex.sendResponseHeaders(code, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /**
   * The policy for {@code page}: its one inline {@code <script>} and one {@code <style>} allowed by
   * hash, nothing else loaded, fetches to the same origin only.
   *
   * @throws IllegalArgumentException when the page has not exactly one script and one style element
   */
  static String policyFor(String page) {
    return "default-src 'none'"
        + "; script-src '" + hashOf(page, "script") + "'"
        + "; style-src '" + hashOf(page, "style") + "'"
        + "; connect-src 'self'"
        + "; base-uri 'none'"
        + "; form-action 'none'"
        + "; frame-ancestors 'none'"
        + "; require-trusted-types-for 'script'"
        + "; trusted-types 'none'";
  }

  /** {@code sha256-<base64>} of the one {@code <tag>} element's content, as browsers hash it. */
  private static String hashOf(String page, String tag) {
    String open = "<" + tag + ">";
    String close = "</" + tag + ">";
    int start = page.indexOf(open);
    int end = start < 0 ? -1 : page.indexOf(close, start);
    if (start < 0 || end < 0 || page.indexOf(open, end) >= 0 || page.indexOf("<" + tag + " ") >= 0) {
      throw new IllegalArgumentException(
          "mesh4j: the mesh page must have exactly one plain <" + tag + "> element, whose hash the policy allows");
    }
    // Browsers hash the element's text as parsed, where every CR LF and lone CR is a LF.
    String content = page.substring(start + open.length(), end).replace("\r\n", "\n").replace('\r', '\n');
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8));
      return "sha256-" + Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("mesh4j: no SHA-256 in this JVM", e);
    }
  }

  /** The resource and its policy, read on first use. */
  private static final class Loaded {
    static final byte[] HTML;
    static final String POLICY;

    static {
      try (InputStream in = MeshPage.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException("mesh4j: the resource " + RESOURCE + " is missing beside " + MeshPage.class.getName());
        }
        HTML = in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException("mesh4j: cannot read the resource " + RESOURCE, e);
      }
      POLICY = policyFor(new String(HTML, StandardCharsets.UTF_8));
    }

    private Loaded() {}
  }
}
