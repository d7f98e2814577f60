package io.mesh4j.http.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.core.telemetry.AccessLog;
import io.mesh4j.grpc.MeshChannels;
import io.mesh4j.grpc.MeshServerInterceptors;
import io.mesh4j.http.MeshOkHttp;
import io.mesh4j.http.MeshServletFilter;
import io.mesh4j.http.PeerIdentityResolver;
import io.mesh4j.opentelemetry.MeshTracing;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.FilterHolder;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One trace across three hops and both protocols, each hop with a mesh of its own: an OkHttp
 * client ({@code frontend}) calls a servlet app ({@code catalog.shop}) over HTTP, which calls a
 * gRPC server ({@code inventory.shop}) through a mesh channel. Real servers on 127.0.0.1, spans in
 * OpenTelemetry's in-memory exporter.
 */
@Timeout(60)
class TracingAcrossProtocolsTest {

  private static final MethodDescriptor.Marshaller<String> UTF8 =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private static final MethodDescriptor<String, String> GET_STOCK =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setIdempotent(true)
          .setFullMethodName("shop.Inventory/GetStock")
          .setRequestMarshaller(UTF8)
          .setResponseMarshaller(UTF8)
          .build();

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private final List<String> baggageSeenByGrpc = new CopyOnWriteArrayList<>();
  private final List<String> accessLines = new CopyOnWriteArrayList<>();
  private StaticConfigSource frontendPolicy;
  private OkHttpClient client;
  private int servletPort;

  @BeforeEach
  void startThreeHops() throws Exception {
    // Hop 3: the gRPC server, under its own mesh (default settings: 1% sampling of new traces).
    Mesh inventoryMesh = mesh(StaticConfigSource.empty());
    ServerServiceDefinition inventory =
        ServerServiceDefinition.builder("shop.Inventory")
            .addMethod(
                GET_STOCK,
                ServerCalls.asyncUnaryCall(
                    (request, reply) -> {
                      baggageSeenByGrpc.add(
                          String.valueOf(Baggage.current().getEntryValue("tenant")));
                      if (failuresLeft.getAndDecrement() > 0) {
                        reply.onError(Status.UNAVAILABLE.withDescription("warming up").asException());
                        return;
                      }
                      reply.onNext("stock of " + request);
                      reply.onCompleted();
                    }))
            .build();
    Server grpcServer =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                ServerInterceptors.intercept(
                    inventory, MeshServerInterceptors.forService(inventoryMesh, "inventory.shop")))
            .build()
            .start();
    resources.add(() -> grpcServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));

    // Hop 2: the servlet app, calling inventory through a mesh channel with retries.
    Mesh catalogMesh =
        mesh(
            StaticConfigSource.parse(
                """
                apiVersion: mesh4j.io/v1alpha1
                kind: ServiceEndpoints
                metadata: {name: inventory, namespace: shop}
                spec:
                  service: inventory.shop
                  endpoints:
                    - {address: 127.0.0.1, port: %d}
                ---
                apiVersion: mesh4j.io/v1alpha1
                kind: TrafficRoute
                metadata: {name: inventory, namespace: shop}
                spec:
                  destination: inventory.shop
                  rules:
                    - name: stock
                      backends: [{}]
                      retries: {attempts: 3, retryOn: [UNAVAILABLE], backoff: {base: 1ms, max: 2ms}}
                """
                    .formatted(grpcServer.getPort())));
    ManagedChannel channel = MeshChannels.forService(catalogMesh, "inventory.shop");
    resources.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    org.eclipse.jetty.server.Server jetty = new org.eclipse.jetty.server.Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.addFilter(
        new FilterHolder(
            MeshServletFilter.forService(
                catalogMesh, "catalog.shop", PeerIdentityResolver.fromAttribute("none"))),
        "/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(
        new ServletHolder(
            new HttpServlet() {
              @Override
              protected void doGet(HttpServletRequest req, HttpServletResponse resp)
                  throws IOException {
                String stock =
                    ClientCalls.blockingUnaryCall(
                        channel, GET_STOCK, CallOptions.DEFAULT, req.getRequestURI());
                resp.setContentType("text/plain");
                resp.getWriter().write(stock);
              }
            }),
        "/*");
    jetty.setHandler(context);
    jetty.start();
    resources.add(jetty::stop);
    servletPort = connector.getLocalPort();

    // Hop 1: the frontend's OkHttp client; its mesh samples every new trace.
    frontendPolicy =
        StaticConfigSource.parse(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: ServiceEndpoints
            metadata: {name: catalog, namespace: shop}
            spec:
              service: catalog.shop
              endpoints:
                - {address: 127.0.0.1, port: %d}
            ---
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata: {name: mesh}
            spec:
              tracing: {samplingPercent: 100}
              accessLog: {enabled: true}
            """
                .formatted(servletPort));
    Mesh frontendMesh = mesh(frontendPolicy);
    client = MeshOkHttp.client(frontendMesh);
    resources.add(
        () -> {
          client.dispatcher().executorService().shutdown();
          client.connectionPool().evictAll();
        });
  }

  /**
   * A mesh with an access log into {@link #accessLines} and tracing on an SDK of its own that
   * exports to the shared in-memory exporter.
   */
  private Mesh mesh(StaticConfigSource source) {
    MeshTracing tracing = MeshTracing.withSpanProcessor(SimpleSpanProcessor.create(spans));
    Mesh mesh =
        Mesh.builder()
            .configSource(source)
            .listener(AccessLog.builder().sink(accessLines::add).build())
            .listener(tracing)
            .build();
    resources.add(0, tracing);
    resources.add(0, mesh);
    return mesh;
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private String get(String path) throws IOException {
    try (Response response =
        client.newCall(new Request.Builder().url("http://catalog.shop" + path).build()).execute()) {
      return response.code() + " " + response.body().string();
    }
  }

  private static SpanData only(List<SpanData> all, SpanKind kind, String name) {
    List<SpanData> found =
        all.stream().filter(s -> s.getKind() == kind && s.getName().equals(name)).toList();
    assertThat(found).as("%s spans named %s", kind, name).hasSize(1);
    return found.get(0);
  }

  @Test
  void oneTraceLinksHttpClientServletGrpcClientAndGrpcServerAndCarriesBaggage() throws Exception {
    String answer;
    try (Scope scope = Baggage.builder().put("tenant", "acme").build().makeCurrent()) {
      answer = get("/items/42");
    }
    assertThat(answer).isEqualTo("200 stock of /items/42");

    await().atMost(10, TimeUnit.SECONDS).until(() -> spans.getFinishedSpanItems().size() == 4);
    List<SpanData> all = spans.getFinishedSpanItems();
    SpanData httpClient = only(all, SpanKind.CLIENT, "GET");
    SpanData servlet = only(all, SpanKind.SERVER, "GET");
    SpanData grpcClient = only(all, SpanKind.CLIENT, "shop.Inventory/GetStock");
    SpanData grpcServer = only(all, SpanKind.SERVER, "shop.Inventory/GetStock");

    assertThat(all).extracting(SpanData::getTraceId).containsOnly(httpClient.getTraceId());
    assertThat(httpClient.getParentSpanContext().isValid()).isFalse();
    assertThat(servlet.getParentSpanId()).isEqualTo(httpClient.getSpanId());
    assertThat(grpcClient.getParentSpanId()).isEqualTo(servlet.getSpanId());
    assertThat(grpcServer.getParentSpanId()).isEqualTo(grpcClient.getSpanId());
    // Downstream meshes sample 1% of new traces, yet follow the caller's decision.
    assertThat(all).allMatch(s -> s.getSpanContext().isSampled());
    assertThat(baggageSeenByGrpc).containsExactly("acme");

    assertThat(httpClient.getAttributes().get(AttributeKey.stringKey("http.request.method")))
        .isEqualTo("GET");
    assertThat(httpClient.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
        .isEqualTo(200L);
    assertThat(httpClient.getAttributes().get(AttributeKey.stringKey("server.address")))
        .isEqualTo("catalog.shop");
    assertThat(httpClient.getAttributes().get(AttributeKey.stringKey("mesh4j.route")))
        .isEqualTo("default");
    assertThat(servlet.getAttributes().get(AttributeKey.stringKey("url.path")))
        .isEqualTo("/items/42");
    assertThat(grpcClient.getAttributes().get(AttributeKey.stringKey("rpc.system")))
        .isEqualTo("grpc");
    assertThat(grpcClient.getAttributes().get(AttributeKey.stringKey("rpc.service")))
        .isEqualTo("shop.Inventory");
    assertThat(grpcClient.getAttributes().get(AttributeKey.stringKey("rpc.method")))
        .isEqualTo("GetStock");
    assertThat(grpcClient.getAttributes().get(AttributeKey.stringKey("mesh4j.route")))
        .isEqualTo("stock");
    assertThat(grpcServer.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code")))
        .isEqualTo(0L);

    // Only the frontend's mesh logs access (the others keep the default: off); its line carries
    // the trace id.
    assertThat(accessLines).hasSize(1);
    assertThat(accessLines.get(0))
        .startsWith("{\"start_time\":\"")
        .contains("\"direction\":\"outbound\",\"protocol\":\"http\",\"method\":\"GET\"")
        .contains("\"path\":\"/items/42\",\"status\":\"200\",\"destination\":\"catalog.shop\"")
        .contains("\"route\":\"default\"")
        .contains("\"endpoint\":\"127.0.0.1:" + servletPort + "\",\"attempts\":1")
        .contains("\"trace_id\":\"" + httpClient.getTraceId() + "\"")
        .contains("\"bytes_received\":" + "stock of /items/42".length());
  }

  @Test
  void aRetriedGrpcCallShowsEachAttemptAndEachServerSpanIsItsChild() throws Exception {
    failuresLeft.set(1);

    assertThat(get("/items/7")).isEqualTo("200 stock of /items/7");

    await().atMost(10, TimeUnit.SECONDS).until(() -> spans.getFinishedSpanItems().size() == 5);
    List<SpanData> all = spans.getFinishedSpanItems();
    SpanData grpcClient = only(all, SpanKind.CLIENT, "shop.Inventory/GetStock");
    List<SpanData> grpcServers =
        all.stream().filter(s -> s.getKind() == SpanKind.SERVER && s.getName().startsWith("shop.")).toList();
    assertThat(grpcServers).hasSize(2);
    assertThat(grpcServers).allMatch(s -> s.getParentSpanId().equals(grpcClient.getSpanId()));
    assertThat(grpcServers)
        .extracting(s -> s.getStatus().getStatusCode())
        .containsExactlyInAnyOrder(StatusCode.ERROR, StatusCode.UNSET);

    List<EventData> attempts = grpcClient.getEvents();
    assertThat(attempts).extracting(EventData::getName).containsExactly("mesh4j.attempt", "mesh4j.attempt");
    assertThat(attempts)
        .extracting(e -> e.getAttributes().get(AttributeKey.longKey("mesh4j.retry.attempt")))
        .containsExactly(1L, 2L);
    assertThat(attempts)
        .extracting(e -> e.getAttributes().get(AttributeKey.stringKey("mesh4j.outcome")))
        .containsExactly("STATUS UNAVAILABLE", "SUCCESS");
    assertThat(attempts)
        .extracting(e -> e.getAttributes().get(AttributeKey.stringKey("network.peer.address")))
        .containsOnly("127.0.0.1");
    assertThat(grpcClient.getAttributes().get(AttributeKey.longKey("mesh4j.retry.attempt")))
        .isEqualTo(2L);
    assertThat(grpcClient.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
  }

  @Test
  void aCallerThatSendsOnlyB3JoinsItsTrace() throws Exception {
    OkHttpClient plain = new OkHttpClient();
    try {
      String traceId = "463ac35c9f6413ad48485a3953bb6124";
      Request request =
          new Request.Builder()
              .url("http://127.0.0.1:" + servletPort + "/items/1")
              .header("b3", traceId + "-a2fb4a1d1a96d312-1")
              .build();
      try (Response response = plain.newCall(request).execute()) {
        assertThat(response.code()).isEqualTo(200);
      }
    } finally {
      plain.dispatcher().executorService().shutdown();
      plain.connectionPool().evictAll();
    }

    await().atMost(10, TimeUnit.SECONDS).until(() -> spans.getFinishedSpanItems().size() == 3);
    List<SpanData> all = spans.getFinishedSpanItems();
    SpanData servlet = only(all, SpanKind.SERVER, "GET");
    assertThat(servlet.getTraceId()).isEqualTo("463ac35c9f6413ad48485a3953bb6124");
    assertThat(servlet.getParentSpanId()).isEqualTo("a2fb4a1d1a96d312");
    assertThat(all).extracting(SpanData::getTraceId).containsOnly(servlet.getTraceId());
  }

  @Test
  void samplingFollowsTheMeshSettingsLive() throws Exception {
    frontendPolicy.push(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog.shop
          endpoints:
            - {address: 127.0.0.1, port: %d}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh}
        spec:
          tracing: {samplingPercent: 0}
        """
            .formatted(servletPort));

    for (int i = 0; i < 5; i++) {
      assertThat(get("/items/" + i)).startsWith("200 ");
    }

    // Nothing sampled at the root, so no hop records: the decision travelled with the trace.
    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }
}
