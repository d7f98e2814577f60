package io.mesh4j.core.call;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Path rewrites and redirect locations as Gateway API defines them. */
class UrlChangesTest {

  private static final PathRewrite PREFIX = new PathRewrite(null, "/original-prefix", "/replacement-prefix");

  @Test
  void aPrefixRewriteReplacesWholeLeadingPathElementsOnly() {
    assertThat(PREFIX.apply("/original-prefix/lemon")).isEqualTo("/replacement-prefix/lemon");
    assertThat(PREFIX.apply("/original-prefix")).isEqualTo("/replacement-prefix");
    assertThat(PREFIX.apply("/original-prefixed")).isEqualTo("/original-prefixed");
    assertThat(PREFIX.apply("/other")).isEqualTo("/other");
    PathRewrite toRoot = new PathRewrite(null, "/strip", "/");
    assertThat(toRoot.apply("/strip/me")).isEqualTo("/me");
    assertThat(toRoot.apply("/strip")).isEqualTo("/");
    assertThat(new PathRewrite(null, "/", "/api").apply("/items")).isEqualTo("/api/items");
    assertThat(new PathRewrite("/full", null, null).apply("/anything/at/all")).isEqualTo("/full");
    assertThat(PathRewrite.NONE.apply("/same")).isEqualTo("/same");
  }

  @Test
  void aRedirectKeepsWhatItDoesNotChangeAndLeavesOutDefaultPorts() {
    HttpRedirect hostOnly = new HttpRedirect(302, null, "example.org", 0, PathRewrite.NONE);
    assertThat(hostOnly.location("http", "echo.shop", 80, "/a", "x=1")).isEqualTo("http://example.org/a?x=1");
    assertThat(hostOnly.location("http", "echo.shop", 8080, "/a", null)).isEqualTo("http://example.org:8080/a");

    HttpRedirect https = new HttpRedirect(301, "https", null, 0, PathRewrite.NONE);
    // A new scheme without a port means that scheme's default port.
    assertThat(https.location("http", "echo.shop", 8080, "/a", null)).isEqualTo("https://echo.shop/a");

    HttpRedirect port = new HttpRedirect(302, null, null, 8443, PREFIX);
    assertThat(port.location("http", "echo.shop", 80, "/original-prefix/x", null))
        .isEqualTo("http://echo.shop:8443/replacement-prefix/x");
    assertThat(new HttpRedirect(302, "https", null, 443, PathRewrite.NONE).location("http", "h", 80, "/", null))
        .isEqualTo("https://h/");
  }
}
