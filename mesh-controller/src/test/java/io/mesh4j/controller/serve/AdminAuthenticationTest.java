package io.mesh4j.controller.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.controller.MeshControllerMainAccess;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin endpoint: open on loopback, behind a bearer token when told to (which a non-loopback
 * address forces). Tested on 127.0.0.1 with the token required, since not every machine routes
 * another address to itself.
 */
@Timeout(60)
class AdminAuthenticationTest {

  private static final String TOKEN = "admin-0123456789abcdef";

  @TempDir Path dir;
  private final SnapshotDistributor distributor = new SnapshotDistributor(InstantSource.system());
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private AdminServer admin;

  @AfterEach
  void stop() {
    if (admin != null) {
      admin.close();
    }
    distributor.close();
  }

  private HttpResponse<String> get(String path, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path)).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private Path tokenFile(String content) throws Exception {
    Path tmp = dir.resolve("admin-token.tmp");
    Files.writeString(tmp, content);
    // Moved in place, as a mounted Secret changes: a new file, never a half-written one.
    return Files.move(tmp, dir.resolve("admin-token"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void onLoopbackWithoutTokensEveryPathIsOpen() throws Exception {
    admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), distributor, () -> "test", null, null);

    assertThat(get("/status", null).statusCode()).isEqualTo(200);
    assertThat(get("/metrics", null).statusCode()).isEqualTo(200);
    assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
  }

  @Test
  void withTokensEveryPathButTheProbesNeedsTheBearerTokenAndRefusalsAreCounted() throws Exception {
    admin = AdminServer.start(
        new InetSocketAddress("127.0.0.1", 0), distributor, () -> "test", null, AdminTokens.load(tokenFile("# operators\n" + TOKEN + "\n")));

    HttpResponse<String> none = get("/status", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body())
        .isEqualTo("mesh4j: /status needs 'Authorization: Bearer <token>' with a token from the controller's admin"
            + " token file; only /healthz and /readyz are open\n");
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"mesh4j-controller\"");
    assertThat(admin.missingTokenCount()).isEqualTo(1);

    HttpResponse<String> wrong = get("/metrics", "Bearer admin-0123456789abcdeX");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).isEqualTo("mesh4j: /metrics refused: the bearer token is not in the controller's admin token file\n");
    assertThat(admin.wrongTokenCount()).isEqualTo(1);

    assertThat(get("/no-such-path", null).statusCode()).isEqualTo(401);
    assertThat(admin.missingTokenCount()).isEqualTo(2);
    assertThat(get("/mesh.json", null).statusCode()).isEqualTo(401);
    assertThat(admin.missingTokenCount()).isEqualTo(3);

    assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
    assertThat(get("/readyz", null).statusCode()).isEqualTo(503);

    assertThat(get("/status", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
    HttpResponse<String> mesh = get("/mesh.json", "Bearer " + TOKEN);
    assertThat(mesh.statusCode()).isEqualTo(200);
    assertThat(mesh.body()).startsWith("{\"generatedAt\":").contains("\"windowSeconds\":30,\"applications\":[],\"edges\":[]}");
    HttpResponse<String> metrics = get("/metrics", "bearer " + TOKEN);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("mesh4j_controller_admin_refusals_total{reason=\"missing_token\"} 3\n")
        .contains("mesh4j_controller_admin_refusals_total{reason=\"wrong_token\"} 1\n");
  }

  @Test
  void aChangedTokenFileIsReadAgainAndABrokenEditKeepsTheLastGoodTokens() throws Exception {
    admin = AdminServer.start(
        new InetSocketAddress("127.0.0.1", 0), distributor, () -> "test", null, AdminTokens.load(tokenFile(TOKEN + "\n")));
    assertThat(get("/status", "Bearer " + TOKEN).statusCode()).isEqualTo(200);

    tokenFile("admin-fedcba9876543210\n");
    assertThat(get("/status", "Bearer " + TOKEN).statusCode()).isEqualTo(401);
    assertThat(get("/status", "Bearer admin-fedcba9876543210").statusCode()).isEqualTo(200);

    tokenFile("# emptied by mistake\n");
    assertThat(get("/status", "Bearer admin-fedcba9876543210").statusCode()).isEqualTo(200);
  }

  @Test
  void aNonLoopbackAddressWithoutTokensIsRefusedBeforeBinding() {
    assertThatThrownBy(() -> AdminServer.start(new InetSocketAddress("0.0.0.0", 0), distributor, () -> "test", null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("mesh4j: the admin endpoint would listen on 0.0.0.0, which is not a loopback address, without"
            + " authentication; give it a token file (--admin-token-file) or bind it to 127.0.0.1 (--admin-address)");
  }

  @Test
  void theCommandRefusesANonLoopbackAdminAddressWithoutATokenFile() throws Exception {
    Path workloadTokens = Files.writeString(dir.resolve("workload-tokens"), "0123456789abcdef0123 shop/frontend\n");
    String err = MeshControllerMainAccess.errorOf(
        "--config-dir", dir.toString(), "--token-file", workloadTokens.toString(), "--plaintext", "--admin-address", "0.0.0.0");

    assertThat(err).contains("--admin-address 0.0.0.0 is not loopback: the admin endpoint there needs --admin-token-file");
  }

  @Test
  void aTokenFileWithoutATokenIsRefused() throws Exception {
    Path file = tokenFile("# nothing yet\n");
    assertThatThrownBy(() -> AdminTokens.load(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("admin token file " + file + ": holds no token; expected one token per line");
  }
}
