package io.mesh4j.benchmarks.load;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Server;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The backend of every row, run by the harness in its own JVM so that its CPU time is measured
 * apart from the client's. It serves the echo call on three loopback ports: gRPC in plain text,
 * gRPC with mTLS (client certificates required) and HTTP/1.1 ({@code PUT /echo}, for the OkHttp
 * rows), prints {@code READY grpc=<port> grpcTls=<port> http=<port>} and runs until its stdin
 * closes.
 *
 * <pre>
 * java -cp benchmarks.jar io.mesh4j.benchmarks.load.BenchServer &lt;certificate directory&gt;
 * </pre>
 */
public final class BenchServer {

  private BenchServer() {}

  /** Starts the servers; {@code args[0]} is the directory {@link BenchCertificates} wrote. */
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      throw new IllegalArgumentException(
          "usage: BenchServer <certificate directory>, got " + args.length + " arguments");
    }
    Path certs = Path.of(args[0]);
    // The handlers never block, so they run on the transport threads: one hop less on the
    // server, which every row shares.
    Server plain = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .directExecutor()
        .addService(Echo.service())
        .build()
        .start();
    Server tls = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            TlsServerCredentials.newBuilder()
                .keyManager(certs.resolve(BenchCertificates.SERVER_CERT).toFile(),
                    certs.resolve(BenchCertificates.SERVER_KEY).toFile())
                .trustManager(certs.resolve(BenchCertificates.CA).toFile())
                .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                .build())
        .directExecutor()
        .addService(Echo.service())
        .build()
        .start();
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
    http.createContext("/echo", BenchServer::echo);
    // A small pool, so one slow exchange does not hold up the others' keep-alive connections.
    http.setExecutor(Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "bench-http");
      t.setDaemon(true);
      return t;
    }));
    http.start();
    System.out.printf("READY grpc=%d grpcTls=%d http=%d%n",
        plain.getPort(), tls.getPort(), http.getAddress().getPort());
    System.out.flush();
    // The harness closes our stdin when it is done or dies; that ends this JVM.
    while (System.in.read() >= 0) {
      // ignore input
    }
    http.stop(0);
    plain.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    tls.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    System.exit(0);
  }

  private static void echo(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
      exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }
}
