package io.mesh4j.core.engine.authz;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class RequestPathsTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "/prices/42|/prices/42",
        "/prices/|/prices/",
        "/|/",
        "/prices/%61dmin/keys|/prices/admin/keys",
        "/prices/%C3%A9t%C3%A9|/prices/été",
        "/prices/admin;v=1/keys|/prices/admin/keys",
        "/prices;jsessionid=7|/prices",
        "/prices//admin/keys|/prices/admin/keys",
        "//prices|/prices",
        "/public/../admin/keys|/admin/keys",
        "/public/%2e%2e/admin|/admin",
        "/a/./b/.|/a/b/",
        "/a/b/..|/a/",
        "/prices/100%25|/prices/100%25",
        "/prices/%zz|/prices/%zz",
        "/prices/%4|/prices/%4",
        "/prices?x=/admin|/prices",
        "/prices#/admin|/prices",
        "/.well-known/x|/.well-known/x",
      })
  void normalizesAsContainersRoute(String raw, String expected) {
    assertThat(RequestPaths.normalize(raw)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "/admin/|/admin/",
        "/admin/.|/admin/",
        "//admin|/admin",
        "/%61dmin|/admin",
        "/x/../admin|/admin",
        "/admin/./|/admin/",
        "/a/b/../../admin|/admin",
        "/%7Euser/%41|/~user/A",
      })
  void bypassSpellingsOfAdminNormalizeToIt(String raw, String expected) {
    assertThat(RequestPaths.normalize(raw)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "/../../etc/passwd",
        "/..",
        "/a/../..",
        "/%2e%2e/admin",
        "/prices/a%2fb",
        "/prices/a%2Fb",
        "/prices/a%5cb",
        "/prices/a%5Cb",
      })
  void pathsThatEscapeTheRootOrEncodeASlashAreRefused(String raw) {
    assertThat(RequestPaths.normalize(raw)).isSameAs(RequestPaths.REFUSED);
  }

  @Test
  void refusedPathsAreQuotedWithABoundedLength() {
    String longPath = "/" + "a".repeat(10_000);
    assertThat(RequestPaths.quote(longPath)).hasSize(123).endsWith("...");
    assertThat(RequestPaths.quote("/a")).isEqualTo("/a");
  }

  @Test
  void aPathThatNeedsNothingIsTheSameInstance() {
    String path = "/prices/42/items";
    assertThat(RequestPaths.normalize(path)).isSameAs(path);
    assertThat(RequestPaths.normalize(null)).isNull();
    assertThat(RequestPaths.normalize("")).isEqualTo("/");
  }
}
