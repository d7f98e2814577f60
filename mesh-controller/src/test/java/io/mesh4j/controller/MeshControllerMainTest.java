package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MeshControllerMainTest {

  @Test
  void helpDescribesBothModesAndEveryOption() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new MeshControllerMain()).setOut(new PrintWriter(out));

    int status = cli.execute("--help");

    assertThat(status).isZero();
    assertThat(out.toString())
        .contains("Usage: mesh-controller")
        .contains("local       watches --config-dir")
        .contains("kubernetes  watches mesh4j custom resources, ConfigMaps labelled")
        .contains("--mode=MODE", "--config-dir=DIR", "--port=PORT", "--admin-port=PORT", "--lease-name=NAME", "--identity=NAME")
        .contains("Admin endpoint: /status (applications, versions, NACKs, resource");
  }

  @Test
  void localModeWithoutADirectorySaysWhatIsMissing() {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new MeshControllerMain()).setErr(new PrintWriter(err));

    int status = cli.execute("--mode=local");

    assertThat(status).isEqualTo(2);
    assertThat(err.toString()).contains("--config-dir is required in local mode");
  }

  private static String errorOf(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new MeshControllerMain()).setErr(new PrintWriter(err));
    assertThat(cli.execute(args)).isEqualTo(2);
    return err.toString();
  }

  @Test
  void helpListsTheSecurityOptions() {
    StringWriter out = new StringWriter();
    new CommandLine(new MeshControllerMain()).setOut(new PrintWriter(out)).execute("--help");
    assertThat(out.toString())
        .contains("--ca-dir=DIR", "--token-file=FILE", "--ca-secret=NAME", "--ca-namespace=NS", "--token-audience=AUDIENCE", "--tls-name=NAME", "--ca-root-days=DAYS", "--plaintext")
        .contains("Security: every policy stream and certificate request carries the");
  }

  @Test
  void localModeRefusesToRunWithoutAuthenticationOrWithoutTlsUnlessPlaintextIsExplicit(@TempDir Path dir) throws Exception {
    String config = dir.toString();
    assertThat(errorOf("--config-dir=" + config))
        .contains("--token-file is required: every policy stream and certificate request must prove who it is");
    assertThat(errorOf("--config-dir=" + config, "--ca-dir=" + dir.resolve("ca")))
        .contains("--token-file is required");
    Path good = Files.writeString(dir.resolve("good-tokens"), "0123456789abcdef0123 shop/frontend\n");
    assertThat(errorOf("--config-dir=" + config, "--token-file=" + good))
        .contains("--ca-dir is required for TLS (its root signs the serving certificate); --plaintext turns TLS off");
    assertThat(errorOf("--config-dir=" + config, "--ca-secret=mesh4j-ca"))
        .contains("--ca-secret is for kubernetes mode; local mode uses --ca-dir");
    Path tokens = Files.writeString(dir.resolve("tokens"), "short shop/frontend\n");
    assertThat(errorOf("--config-dir=" + config, "--ca-dir=" + dir.resolve("ca"), "--token-file=" + tokens))
        .contains("--token-file: token file " + tokens + " line 1: the token has 5 characters; expected at least 16");
    assertThat(errorOf("--config-dir=" + config, "--ca-dir=" + dir.resolve("ca"), "--token-file=" + good, "--ca-root-days=0"))
        .contains("--ca-root-days: 0 is not a positive number of days");
  }
}
