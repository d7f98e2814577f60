package io.mesh4j.controller;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code mesh-controller} command. Runs until the process is stopped; a shutdown hook closes
 * the streams so applications reconnect promptly to another replica.
 */
@Command(
    name = "mesh-controller",
    mixinStandardHelpOptions = true,
    versionProvider = MeshControllerMain.Version.class,
    description = {
      "Streams resolved mesh4j policy to applications over gRPC (protocol mesh4j.v1).",
      "",
      "Local mode (the only mode of this build): watches a directory of mesh4j YAML, the same",
      "documents an application can read itself; endpoints come from ServiceEndpoints resources.",
      "Invalid edits are never sent: the last good policy keeps being served and the problems",
      "(resource, field path, value) appear in the log and on the admin endpoint.",
      "",
      "Admin endpoint: /status (applications, versions, NACKs, resource conditions),",
      "/metrics (Prometheus), /healthz, /readyz."
    })
public final class MeshControllerMain implements Callable<Integer> {

  @Option(names = "--config-dir", required = true, paramLabel = "DIR",
      description = "Directory of mesh4j YAML (*.yaml, *.yml) to watch.")
  Path configDir = Path.of(".");

  @Option(names = "--address", paramLabel = "HOST", defaultValue = "0.0.0.0",
      description = "Address applications connect to (default: ${DEFAULT-VALUE}).")
  String address = "0.0.0.0";

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "15010",
      description = "Port of the policy stream (default: ${DEFAULT-VALUE}).")
  int port = 15010;

  @Option(names = "--admin-address", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "Address of the admin endpoint; loopback unless a probe needs it (default: ${DEFAULT-VALUE}).")
  String adminAddress = "127.0.0.1";

  @Option(names = "--admin-port", paramLabel = "PORT", defaultValue = "15014",
      description = "Port of the admin endpoint (default: ${DEFAULT-VALUE}).")
  int adminPort = 15014;

  /** Runs the command line; exits with its status. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new MeshControllerMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    MeshController controller =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                configDir,
                new InetSocketAddress(address, port),
                new InetSocketAddress(adminAddress, adminPort)));
    Runtime.getRuntime().addShutdownHook(new Thread(controller::close, "mesh4j-controller-shutdown"));
    controller.awaitTermination();
    return 0;
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = MeshControllerMain.class.getPackage().getImplementationVersion();
      return new String[] {"mesh-controller " + (v == null ? "(development build)" : v)};
    }
  }
}
