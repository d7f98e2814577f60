package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
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
}
