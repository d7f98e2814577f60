package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * A running {@code src/test/node/xds-client/client.js}: Node.js's {@code @grpc/grpc-js} with
 * {@code @grpc/grpc-js-xds} (installed by {@code scripts/install-node-xds-client.sh}) calling
 * {@code xds:///target} through a bootstrap naming the controller, one call at a time. Its answers
 * are decoded as {@code "ok <response>"} or {@code "err <status code name> <details>"}.
 */
final class NodeXdsClient implements AutoCloseable {

  private static final Path CLIENT = Path.of("src/test/node/xds-client");

  private final Process process;
  private final Writer requests;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  private NodeXdsClient(Process process) {
    this.process = process;
    this.requests = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          lines.add(decode(line));
        }
      } catch (IOException e) {
        lines.add("err reading the client: " + e);
      }
      lines.add("err the client exited");
    }, "node-xds-client");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Skips the calling test, saying why, when the machine has no Node.js and this is not CI; fails
   * it when Node.js or the client's packages are missing otherwise.
   */
  static void assumeNodeAndItsPackages() {
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    boolean node = commandWorks("node", "--version");
    if (!ci) {
      Assumptions.assumeTrue(node, "no Node.js on this machine: scripts/install-node-xds-client.sh installs it");
    }
    assertThat(node).as("Node.js (scripts/install-node-xds-client.sh installs it)").isTrue();
    assertThat(CLIENT.resolve("node_modules/@grpc/grpc-js-xds"))
        .as("the Node client's packages: run scripts/install-node-xds-client.sh")
        .isDirectory();
  }

  /**
   * Starts {@code client.js} against the controller's plaintext xDS on {@code port}, its bootstrap
   * written in {@code dir}: {@code calls} calls of {@code method} or, when negative, one call per
   * {@link #call} until closed. Each request is {@code request}, or with {@code numbered}, {@code request-<n>} for the
   * n-th call (0, 1, ...).
   */
  static NodeXdsClient start(Path dir, int port, String target, String method, String request, boolean numbered, int calls)
      throws IOException {
    return start(dir, port, target, method, request, numbered, calls, "node", "");
  }

  /**
   * The same with its bootstrap named after {@code name}, {@code bootstrapFields} appended to the
   * bootstrap's top-level fields (e.g. its certificate providers) and {@code options} to the command.
   */
  static NodeXdsClient start(Path dir, int port, String target, String method, String request, boolean numbered, int calls,
      String name, String bootstrapFields, String... options) throws IOException {
    Path bootstrap = Files.writeString(dir.resolve(name + "-bootstrap.json"), """
        {
          "xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
          "node": {"id": "node-client", "cluster": "claimed", "locality": {"zone": "local"}}%s
        }
        """.formatted(port, bootstrapFields));
    List<String> command = new ArrayList<>(List.of(
        "node", "client.js",
        "--target", "xds:///" + target,
        "--method", method,
        "--deadline-ms", "10000",
        "--calls", Integer.toString(calls)));
    command.addAll(numbered
        ? List.of("--request-prefix", request + "-")
        : List.of("--request-hex", HexFormat.of().formatHex(request.getBytes(StandardCharsets.UTF_8))));
    command.addAll(List.of(options));
    ProcessBuilder pb = new ProcessBuilder(command).directory(CLIENT.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("GRPC_XDS_BOOTSTRAP", bootstrap.toString());
    return new NodeXdsClient(pb.start());
  }

  /** Makes one call, of {@code method} or when null of the client's own, and gives its answer. */
  String call(@Nullable String method) throws IOException, InterruptedException {
    requests.write((method == null ? "" : method) + "\n");
    requests.flush();
    return next();
  }

  /** The next call's answer; a call waits at most its 10 s deadline, and the client's start a few seconds. */
  String next() throws InterruptedException {
    String line = lines.poll(30, TimeUnit.SECONDS);
    assertThat(line).as("an answer from the Node client within 30 s").isNotNull();
    return line;
  }

  @Override
  public void close() throws Exception {
    requests.close();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  private static String decode(String line) {
    if (line.startsWith("ok ")) {
      return "ok " + new String(HexFormat.of().parseHex(line.substring(3)), StandardCharsets.UTF_8);
    }
    String[] err = line.split(" ", 3);
    if (err.length >= 2 && err[0].equals("err") && err[1].chars().allMatch(Character::isDigit) && !err[1].isEmpty()) {
      return "err " + Status.fromCodeValue(Integer.parseInt(err[1])).getCode() + (err.length > 2 ? " " + err[2] : "");
    }
    return line;
  }

  private static boolean commandWorks(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
