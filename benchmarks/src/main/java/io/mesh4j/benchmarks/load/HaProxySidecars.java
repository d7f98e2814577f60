package io.mesh4j.benchmarks.load;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The sidecar anchor: two HAProxy processes between a plain grpc-java client and the echo server,
 * as a two-sidecar mesh puts them: client &rarr; client-side proxy &rarr; server-side proxy
 * &rarr; server. HTTP/2 end to end (HAProxy's HTTP mode, {@code proto h2} on every clear-text
 * hop), with or without TLS between the two proxies. Each proxy runs one thread, as a sidecar
 * usually gets a small share of the pod's CPU.
 */
// Splits fixed-format text (command output, /proc, option lists) whose separators never trail.
@SuppressWarnings("StringSplitter")
public final class HaProxySidecars implements AutoCloseable {

  private final List<ChildProcess> proxies;
  private final int clientPort;

  private HaProxySidecars(List<ChildProcess> proxies, int clientPort) {
    this.proxies = proxies;
    this.clientPort = clientPort;
  }

  /**
   * The {@code haproxy} executable: on the {@code PATH}, or in {@code /usr/sbin} where Debian
   * puts it (not on a normal user's {@code PATH}); empty when HAProxy is not installed.
   */
  public static Optional<Path> findExecutable() {
    List<Path> candidates = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty()) {
        candidates.add(Path.of(dir, "haproxy"));
      }
    }
    candidates.add(Path.of("/usr/sbin/haproxy"));
    candidates.add(Path.of("/usr/local/sbin/haproxy"));
    return candidates.stream().filter(Files::isExecutable).findFirst();
  }

  /**
   * Starts both proxies in {@code workDir} in front of the gRPC server on {@code serverPort};
   * with {@code tls}, the hop between them is TLS (the first proxy verifies the second's
   * certificate against {@code certs}' CA).
   */
  public static HaProxySidecars start(Path haproxy, Path workDir, Path certs, int serverPort,
      boolean tls) throws IOException, InterruptedException {
    Files.createDirectories(workDir);
    int clientPort = freePort();
    int serverSidePort = freePort();
    String suffix = tls ? "tls" : "h2c";
    Path clientConfig = workDir.resolve("client-sidecar-" + suffix + ".cfg");
    Path serverConfig = workDir.resolve("server-sidecar-" + suffix + ".cfg");
    Files.writeString(clientConfig, clientSideConfig(clientPort, serverSidePort, tls, certs));
    Files.writeString(serverConfig, serverSideConfig(serverSidePort, serverPort, tls, certs));
    List<ChildProcess> started = new ArrayList<>();
    try {
      started.add(ChildProcess.start("haproxy-server-side-" + suffix,
          List.of(haproxy.toString(), "-f", serverConfig.toString(), "-db"), workDir));
      started.add(ChildProcess.start("haproxy-client-side-" + suffix,
          List.of(haproxy.toString(), "-f", clientConfig.toString(), "-db"), workDir));
      awaitListening(started.get(0), serverSidePort);
      awaitListening(started.get(1), clientPort);
      return new HaProxySidecars(List.copyOf(started), clientPort);
    } catch (IOException | RuntimeException | InterruptedException e) {
      started.forEach(ChildProcess::close);
      throw e;
    }
  }

  /** The client-side proxy's configuration: HTTP/2 in, HTTP/2 (clear or TLS) to the next proxy. */
  static String clientSideConfig(int listenPort, int nextPort, boolean tls, Path certs) {
    String server = tls
        ? String.format(Locale.ROOT,
            "  server next 127.0.0.1:%d ssl verify required ca-file %s verifyhost localhost"
                + " sni str(localhost) alpn h2%n",
            nextPort, certs.resolve(BenchCertificates.CA).toAbsolutePath())
        : String.format(Locale.ROOT, "  server next 127.0.0.1:%d proto h2%n", nextPort);
    return common() + String.format(Locale.ROOT,
        "frontend from_app%n  bind 127.0.0.1:%d proto h2%n  default_backend to_server_sidecar%n"
            + "backend to_server_sidecar%n", listenPort) + server;
  }

  /** The server-side proxy's configuration: HTTP/2 (clear or TLS) in, clear HTTP/2 to the app. */
  static String serverSideConfig(int listenPort, int appPort, boolean tls, Path certs) {
    String bind = tls
        ? String.format(Locale.ROOT, "  bind 127.0.0.1:%d ssl crt %s alpn h2%n", listenPort,
            certs.resolve(BenchCertificates.SERVER_BUNDLE).toAbsolutePath())
        : String.format(Locale.ROOT, "  bind 127.0.0.1:%d proto h2%n", listenPort);
    return common() + "frontend from_client_sidecar\n" + bind
        + "  default_backend to_app\nbackend to_app\n"
        + String.format(Locale.ROOT, "  server app 127.0.0.1:%d proto h2%n", appPort);
  }

  private static String common() {
    return """
        global
          nbthread 1
          maxconn 4096
        defaults
          mode http
          timeout connect 5s
          timeout client 60s
          timeout server 60s
        """;
  }

  /** The port the client connects to (the client-side proxy). */
  public int clientPort() {
    return clientPort;
  }

  /** Both proxies, server side first. */
  public List<ChildProcess> processes() {
    return proxies;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void awaitListening(ChildProcess proxy, int port) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!proxy.alive()) {
        throw new IllegalStateException(proxy.name() + " exited before listening on 127.0.0.1:"
            + port + "; its output: " + proxy.output());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return;
      } catch (IOException e) {
        Thread.sleep(20);
      }
    }
    throw new IllegalStateException(proxy.name() + " did not listen on 127.0.0.1:" + port
        + " within 10 s; its output: " + proxy.output());
  }

  @Override
  public void close() {
    proxies.forEach(ChildProcess::close);
  }
}
