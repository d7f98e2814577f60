package io.mesh4j.controller.gamma;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mesh4j.controller.testing.Utf8;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One Pod of the conformance profile's echo Deployments: an HTTP and a gRPC server on 127.0.0.1
 * that answer every request with what they received (pod, path, host and headers), as the
 * profile's echo image does, so a test sees which backend answered and what the mesh changed.
 */
final class EchoPod implements AutoCloseable {

  /** The gRPC echo method; its answer is the same text the HTTP server writes. */
  static final MethodDescriptor<String, String> ECHO =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("conformance.Echo", "Echo"))
          .setRequestMarshaller(Utf8.INSTANCE)
          .setResponseMarshaller(Utf8.INSTANCE)
          .build();

  final String name;
  final String namespace;
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private final HttpServer http;
  private final Server grpc;

  EchoPod(String name, String namespace) throws IOException {
    this.name = name;
    this.namespace = namespace;
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    http.createContext("/", this::answer);
    http.setExecutor(executor);
    http.start();
    ServerCallHandler<String, String> echo = (call, headers) -> {
      call.request(1);
      return new ServerCall.Listener<>() {
        @Override
        public void onMessage(String message) {
          Map<String, String> seen = new TreeMap<>();
          for (String key : headers.keys()) {
            if (!key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
              Iterable<String> values = headers.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
              seen.put(key, String.join(",", values == null ? List.of() : values));
            }
          }
          call.sendHeaders(new Metadata());
          call.sendMessage(describe(call.getMethodDescriptor().getFullMethodName(), call.getAuthority(), seen));
          call.close(Status.OK, new Metadata());
        }
      };
    };
    grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerServiceDefinition.builder("conformance.Echo").addMethod(ECHO, echo).build())
        .build()
        .start();
  }

  int httpPort() {
    return http.getAddress().getPort();
  }

  int grpcPort() {
    return grpc.getPort();
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      Map<String, String> seen = new TreeMap<>();
      exchange.getRequestHeaders().forEach((key, values) -> seen.put(key.toLowerCase(Locale.ROOT), String.join(",", values)));
      byte[] body = describe(exchange.getRequestURI().getRawPath()
          + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()),
          exchange.getRequestHeaders().getFirst("Host"), seen).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private String describe(String path, @Nullable String host, Map<String, String> headers) {
    StringBuilder out = new StringBuilder()
        .append("pod=").append(name).append('\n')
        .append("namespace=").append(namespace).append('\n')
        .append("path=").append(path).append('\n')
        .append("host=").append(host).append('\n');
    headers.forEach((k, v) -> out.append("header.").append(k).append('=').append(v).append('\n'));
    return out.toString();
  }

  /** What an echo server received, read back from its answer. */
  record Echoed(String pod, String namespace, String path, String host, Map<String, String> headers) {

    static Echoed parse(String answer) {
      Map<String, String> fields = new LinkedHashMap<>();
      Map<String, String> headers = new TreeMap<>();
      for (String line : answer.split("\n")) {
        int eq = line.indexOf('=');
        String key = line.substring(0, eq);
        String value = line.substring(eq + 1);
        if (key.startsWith("header.")) {
          headers.put(key.substring("header.".length()), value);
        } else {
          fields.put(key, value);
        }
      }
      return new Echoed(fields.get("pod"), fields.get("namespace"), fields.get("path"), fields.get("host"), headers);
    }

    /** The header's values as the server saw them, joined with commas; names are case-insensitive. */
    @Nullable String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  @Override
  public void close() throws InterruptedException {
    http.stop(0);
    grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    executor.shutdownNow();
  }
}
