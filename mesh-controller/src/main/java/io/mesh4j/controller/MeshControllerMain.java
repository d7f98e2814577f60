package io.mesh4j.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.mesh4j.controller.ca.DirectoryRootStore;
import io.mesh4j.controller.ca.SecretRootStore;
import io.mesh4j.controller.ca.TokenFileAuthenticator;
import io.mesh4j.controller.ca.TokenReviewAuthenticator;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * The {@code mesh-controller} command. Runs until the process is stopped; a shutdown hook closes
 * the streams so applications reconnect promptly to another replica.
 */
@Command(
    name = "mesh-controller",
    mixinStandardHelpOptions = true,
    versionProvider = MeshControllerMain.Version.class,
    description = {
      "Streams resolved mesh4j policy to applications over gRPC (mesh4j.v1).",
      "",
      "Modes:",
      "  local       watches --config-dir, a directory of the same mesh4j YAML",
      "              an application can read itself; endpoints come from",
      "              ServiceEndpoints resources in it.",
      "  kubernetes  watches mesh4j custom resources, ConfigMaps labelled",
      "              mesh4j.io/config=true, Services, EndpointSlices and Pods;",
      "              the replica holding the Lease writes each resource's",
      "              Accepted condition; every replica serves streams.",
      "",
      "Invalid input is never sent: the last good version keeps being served,",
      "and the problems (resource, field path, value) appear in the log, on",
      "the admin endpoint and, in kubernetes mode, in the resource's status.",
      "",
      "Security: every policy stream and certificate request carries the",
      "workload's bearer token, checked against --token-file (local mode) or",
      "with a TokenReview for --token-audience (kubernetes mode); the identity",
      "it proves decides what the stream may read. --port is served over TLS",
      "with a certificate from the controller's own certificate authority",
      "(--ca-dir, or the Secret --ca-secret), which also signs workload",
      "certificates; --plaintext turns TLS off and says so at every start.",
      "",
      "Admin endpoint: /status (applications, versions, NACKs, resource",
      "conditions), /metrics (Prometheus), /healthz, /readyz.",
      ""
    })
public final class MeshControllerMain implements Callable<Integer> {

  /** Where the world comes from. */
  enum Mode {
    local,
    kubernetes
  }

  @Option(names = "--mode", paramLabel = "MODE", defaultValue = "local",
      description = "local or kubernetes (default: ${DEFAULT-VALUE}).")
  Mode mode = Mode.local;

  @Option(names = "--config-dir", paramLabel = "DIR",
      description = "local mode: directory of mesh4j YAML (*.yaml, *.yml) to watch.")
  @Nullable Path configDir;

  @Option(names = "--lease-namespace", paramLabel = "NS", defaultValue = "${env:POD_NAMESPACE:-mesh4j-system}",
      description = "kubernetes mode: namespace of the leader-election Lease (default: ${DEFAULT-VALUE}).")
  String leaseNamespace = "mesh4j-system";

  @Option(names = "--lease-name", paramLabel = "NAME", defaultValue = "mesh4j-controller",
      description = "kubernetes mode: name of the Lease (default: ${DEFAULT-VALUE}).")
  String leaseName = "mesh4j-controller";

  @Option(names = "--lease-duration", paramLabel = "SECONDS", defaultValue = "15",
      description = "kubernetes mode: lease duration; a new leader takes over within it (default: ${DEFAULT-VALUE}).")
  int leaseSeconds = 15;

  @Option(names = "--identity", paramLabel = "NAME", defaultValue = "${env:POD_NAME:-${env:HOSTNAME:-mesh4j-controller}}",
      description = "kubernetes mode: this replica's name in the Lease (default: ${DEFAULT-VALUE}).")
  String identity = "mesh4j-controller";

  @Option(names = "--ca-dir", paramLabel = "DIR",
      description = "local mode: run the certificate authority with its root in DIR (ca.key, ca.crt,"
          + " optional bundle.crt); generated there on first start. Needs --token-file.")
  @Nullable Path caDir;

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "local mode: bootstrap tokens, one '<token> <namespace>/<serviceAccount>' per line;"
          + " re-read when it changes.")
  @Nullable Path tokenFile;

  @Option(names = "--ca-secret", paramLabel = "NAME", defaultValue = "mesh4j-ca",
      description = "kubernetes mode: the certificate authority's root lives in this Secret of"
          + " --ca-namespace, created on first start (default: ${DEFAULT-VALUE}).")
  String caSecret = "mesh4j-ca";

  @Option(names = "--plaintext",
      description = "Serve --port without TLS: workload tokens and policy cross the network in clear."
          + " Logged as a warning at every start. Streams are still authenticated.")
  boolean plaintext;

  @Option(names = "--ca-namespace", paramLabel = "NS", defaultValue = "${env:POD_NAMESPACE:-mesh4j-system}",
      description = "kubernetes mode: namespace of the CA Secret (default: ${DEFAULT-VALUE}).")
  String caNamespace = "mesh4j-system";

  @Option(names = "--token-audience", paramLabel = "AUDIENCE", defaultValue = "mesh4j-controller",
      description = "kubernetes mode: audience workloads' projected tokens must carry (default: ${DEFAULT-VALUE}).")
  String tokenAudience = "mesh4j-controller";

  @Option(names = "--tls-name", paramLabel = "NAME", split = ",",
      description = "DNS names or IP addresses of the TLS serving certificate (repeatable or"
          + " comma-separated). Default: localhost,127.0.0.1 in local mode;"
          + " mesh4j-controller.<--ca-namespace> (also with .svc and .svc.cluster.local) in kubernetes mode.")
  List<String> tlsNames = new ArrayList<>();

  @Option(names = "--ca-root-days", paramLabel = "DAYS", defaultValue = "365",
      description = "Lifetime of a generated CA root (default: ${DEFAULT-VALUE}).")
  int caRootDays = 365;

  @Spec CommandSpec spec;

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

  @Option(names = "--xds-plaintext-port", paramLabel = "PORT",
      description = "local mode: also serve xDS without TLS on this port of --xds-plaintext-address, for loopback"
          + " tests and peers that cannot do TLS (streams are still authenticated by token). Off unless set;"
          + " logged as a warning at every start.")
  @Nullable Integer xdsPlaintextPort;

  @Option(names = "--xds-plaintext-address", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "Address of --xds-plaintext-port (default: ${DEFAULT-VALUE}).")
  String xdsPlaintextAddress = "127.0.0.1";

  /** Runs the command line; exits with its status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  // Certificate authority operations and admin endpoint authentication.
  @Option(names = "--admin-token-file", paramLabel = "FILE",
      description = "Bearer tokens (one per line, re-read when it changes) that every admin path but /healthz and"
          + " /readyz requires; needed when --admin-address is not loopback.")
  @Nullable Path adminTokenFile;

  /** The command line with its subcommands: {@code ca rotate begin|promote|retire}. */
  static CommandLine commandLine() {
    return new CommandLine(new MeshControllerMain()).addSubcommand(new CaCommand());
  }

  private io.mesh4j.controller.serve.@Nullable AdminTokens adminTokens() {
    Path file = adminTokenFile;
    if (file == null) {
      boolean loopback;
      try {
        loopback = java.net.InetAddress.getByName(adminAddress).isLoopbackAddress();
      } catch (java.net.UnknownHostException e) {
        throw new ParameterException(spec.commandLine(), "--admin-address: cannot resolve '" + adminAddress + "'");
      }
      if (!loopback) {
        throw new ParameterException(
            spec.commandLine(),
            "--admin-address " + adminAddress + " is not loopback: the admin endpoint there needs --admin-token-file"
                + " (/status names every application and peer)");
      }
      return null;
    }
    try {
      return io.mesh4j.controller.serve.AdminTokens.load(file);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--admin-token-file: " + e.getMessage());
    }
  }

  @Override
  public Integer call() throws Exception {
    InetSocketAddress grpc = new InetSocketAddress(address, port);
    InetSocketAddress admin = new InetSocketAddress(adminAddress, adminPort);
    MeshController controller;
    KubernetesClient client = null;
    if (mode == Mode.local) {
      Path dir = configDir;
      if (dir == null) {
        throw new ParameterException(spec.commandLine(), "--config-dir is required in local mode");
      }
      MeshController.LocalOptions options = new MeshController.LocalOptions(dir, grpc, admin, localSecurity(), adminTokens());
      Integer xdsPort = xdsPlaintextPort;
      if (xdsPort != null) {
        options = options.withXdsPlaintext(new InetSocketAddress(xdsPlaintextAddress, xdsPort));
      }
      controller = MeshController.startLocal(options);
    } else {
      if (xdsPlaintextPort != null) {
        throw new ParameterException(spec.commandLine(), "--xds-plaintext-port is for local mode; kubernetes mode serves xDS on --port");
      }
      if (caDir != null || tokenFile != null) {
        throw new ParameterException(
            spec.commandLine(), "--ca-dir and --token-file are for local mode; kubernetes mode uses --ca-secret and TokenReview");
      }
      client = new KubernetesClientBuilder().build();
      List<String> names =
          tlsNames.isEmpty()
              ? List.of(
                  "mesh4j-controller." + caNamespace,
                  "mesh4j-controller." + caNamespace + ".svc",
                  "mesh4j-controller." + caNamespace + ".svc.cluster.local")
              : tlsNames;
      SecretRootStore roots = new SecretRootStore(client, caNamespace, caSecret, rootLifetime(), InstantSource.system());
      TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(client, tokenAudience);
      MeshController.Security security =
          plaintext ? MeshController.Security.plaintext(authenticator, roots) : MeshController.Security.tls(roots, authenticator, names);
      controller =
          MeshController.startKubernetes(
              new MeshController.KubernetesOptions(
                  client, leaseNamespace, leaseName, identity, Duration.ofSeconds(leaseSeconds), grpc, admin, security,
                  adminTokens()));
    }
    KubernetesClient c = client;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  controller.close();
                  if (c != null) {
                    c.close();
                  }
                },
                "mesh4j-controller-shutdown"));
    controller.awaitTermination();
    return 0;
  }

  /**
   * Local mode: tokens are always checked; the certificate authority (and with it TLS) runs when
   * --ca-dir is given, which only --plaintext may leave out. The trust bundle is written beside the
   * token file, where local applications find it.
   */
  private MeshController.Security localSecurity() {
    Path dir = caDir;
    Path tokens = tokenFile;
    if (spec.commandLine().getParseResult().hasMatchedOption("--ca-secret")) {
      throw new ParameterException(spec.commandLine(), "--ca-secret is for kubernetes mode; local mode uses --ca-dir");
    }
    if (tokens == null) {
      throw new ParameterException(
          spec.commandLine(), "--token-file is required: every policy stream and certificate request must prove who it is");
    }
    if (dir == null && !plaintext) {
      throw new ParameterException(
          spec.commandLine(), "--ca-dir is required for TLS (its root signs the serving certificate); --plaintext turns TLS off");
    }
    TokenFileAuthenticator authenticator;
    try {
      authenticator = TokenFileAuthenticator.load(tokens);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--token-file: " + e.getMessage());
    }
    if (dir == null) {
      return MeshController.Security.plaintext(authenticator, null);
    }
    DirectoryRootStore roots = new DirectoryRootStore(dir, rootLifetime(), InstantSource.system());
    MeshController.Security security =
        plaintext
            ? MeshController.Security.plaintext(authenticator, roots)
            : MeshController.Security.tls(roots, authenticator, tlsNames.isEmpty() ? List.of("localhost", "127.0.0.1") : tlsNames);
    Path parent = Objects.requireNonNull(tokens.toAbsolutePath().getParent(), "token file's directory");
    return security.withRootFile(parent.resolve(MeshController.ROOT_FILE));
  }

  private Duration rootLifetime() {
    if (caRootDays <= 0) {
      throw new ParameterException(spec.commandLine(), "--ca-root-days: " + caRootDays + " is not a positive number of days");
    }
    return Duration.ofDays(caRootDays);
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
