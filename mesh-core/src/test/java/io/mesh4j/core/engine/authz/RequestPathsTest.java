package io.mesh4j.core.engine.authz;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
        "/../../etc/passwd|/etc/passwd",
        "/a/./b/.|/a/b/",
        "/a/b/..|/a/",
        "/prices/a%2fb|/prices/a%2Fb",
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

  @Test
  void aPathThatNeedsNothingIsTheSameInstance() {
    String path = "/prices/42/items";
    assertThat(RequestPaths.normalize(path)).isSameAs(path);
    assertThat(RequestPaths.normalize(null)).isNull();
  }
}
