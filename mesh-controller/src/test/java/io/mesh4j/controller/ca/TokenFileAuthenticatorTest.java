package io.mesh4j.controller.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(30)
class TokenFileAuthenticatorTest {

  @TempDir Path dir;

  private Path write(String content) throws Exception {
    Path file = dir.resolve("tokens");
    Files.writeString(file, content);
    return file;
  }

  @Test
  void mapsEachListedTokenToItsServiceAccount() throws Exception {
    TokenFileAuthenticator a =
        TokenFileAuthenticator.load(
            write("# comment\n\n  frontend-0123456789abcdef\tshop/frontend  \ncatalog-0123456789abcdef shop/catalog.v2\n"));

    assertThat(a.authenticate("frontend-0123456789abcdef")).isEqualTo(new CallerIdentity("shop", "frontend"));
    assertThat(a.authenticate("catalog-0123456789abcdef")).isEqualTo(new CallerIdentity("shop", "catalog.v2"));
    assertThatThrownBy(() -> a.authenticate("frontend-0123456789abcdeX"))
        .isInstanceOf(AuthenticationException.class)
        .hasMessage("the bearer token is not listed in the controller's token file");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "frontend-0123456789abcdef|line 1: has 1 fields; expected '<token> <namespace>/<serviceAccount>'",
        "short shop/frontend|line 1: the token has 5 characters; expected at least 16",
        "frontend-0123456789abcdef shop-frontend|line 1: identity 'shop-frontend' is not '<namespace>/<serviceAccount>'",
        "frontend-0123456789abcdef Shop/frontend|line 1: namespace 'Shop' is not a DNS label (lower-case letters, digits, '-')",
        "frontend-0123456789abcdef shop/front_end|line 1: service account 'front_end' is not a DNS subdomain (lower-case letters, digits, '-', '.')",
      })
  void aMalformedLineIsRefusedNamingFileLineAndExpectation(String line, String problem) throws Exception {
    Path file = write(line + "\n");
    assertThatThrownBy(() -> TokenFileAuthenticator.load(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("token file " + file + " " + problem);
  }

  @Test
  void aDuplicateTokenIsRefused() throws Exception {
    Path file = write("frontend-0123456789abcdef shop/a\nfrontend-0123456789abcdef shop/b\n");
    assertThatThrownBy(() -> TokenFileAuthenticator.load(file))
        .hasMessage("token file " + file + " line 2: the token is listed twice; tokens must be unique");
  }

  @Test
  void anEditIsPickedUpAndABrokenEditKeepsTheLastGoodTokens() throws Exception {
    Path file = write("frontend-0123456789abcdef shop/frontend\n");
    TokenFileAuthenticator a = TokenFileAuthenticator.load(file);

    Files.writeString(file, "catalog-0123456789abcdef shop/catalog\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2030-01-01T00:00:00Z")));
    assertThat(a.authenticate("catalog-0123456789abcdef")).isEqualTo(new CallerIdentity("shop", "catalog"));
    assertThatThrownBy(() -> a.authenticate("frontend-0123456789abcdef")).isInstanceOf(AuthenticationException.class);

    Files.writeString(file, "broken\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2030-01-02T00:00:00Z")));
    assertThat(a.authenticate("catalog-0123456789abcdef")).isEqualTo(new CallerIdentity("shop", "catalog"));
  }

  @Test
  void aMissingFileIsRefusedNamingIt() {
    Path file = dir.resolve("absent");
    assertThatThrownBy(() -> TokenFileAuthenticator.load(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("token file " + file + ": cannot read it (java.nio.file.NoSuchFileException");
  }
}
