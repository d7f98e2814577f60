package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.controller.testing.Utf8;
import io.mesh4j.core.Mesh;
import io.mesh4j.grpc.MeshChannels;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The traffic view end to end on loopback: a controller in local mode, an application whose mesh
 * it feeds making real gRPC calls to a destination split 80/20 over two subsets, and {@code
 * /mesh.json} showing that edge from the application's call reports.
 */
@Timeout(60)
class MeshTrafficEndToEndTest {

  private static final int CALLS = 500;

  private static final MethodDescriptor<String, String> GET_ITEM =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("shop.Catalog", "GetItem"))
          .setRequestMarshaller(Utf8.INSTANCE)
          .setResponseMarshaller(Utf8.INSTANCE)
          .build();

  @TempDir Path dir;

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  @Test
  void meshJsonShowsTheApplicationsEdgeAndTheSplitOfItsCalls() throws Exception {
    Server v1 = backend();
    Server v2 = backend();
    LocalDirectory.write(dir, "mesh.yaml", LocalDirectory.MESH);
    LocalDirectory.write(dir, "catalog-endpoints.yaml", endpoints(v1.getPort(), v2.getPort()));
    LocalDirectory.write(dir, "catalog.yaml", LocalDirectory.catalogRoute(80, 20));
    MeshController controller =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                dir, new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.none()));
    toClose.add(controller);
    ControllerConfigSource source =
        ControllerConfigSource.builder("127.0.0.1:" + controller.grpcPort())
            .application("frontend")
            .namespace("shop")
            .calls("catalog")
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .random(new SplittableRandom(7))
            .reportInterval(Duration.ofSeconds(1))
            .build();
    toClose.add(source);
    Mesh mesh = Mesh.builder().configSource(source).listener(source.callReports()).build();
    toClose.add(mesh);
    ManagedChannel channel = MeshChannels.forService(mesh, "catalog.shop");
    toClose.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> mesh.appliedVersion() > 0 && source.status().connected());

    for (int i = 0; i < CALLS; i++) {
      ClientCalls.blockingUnaryCall(channel, GET_ITEM, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "sku-" + i);
    }

    String admin = "http://127.0.0.1:" + controller.adminPort() + "/mesh.json";
    AtomicReference<JsonNode> last = new AtomicReference<>();
    // Reports come every second, so the calls arrive in one or two of them; wait for both subsets
    // and a split near the weights (500 calls split 80/20: five standard deviations are 0.09).
    Awaitility.await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              JsonNode doc = get(admin);
              last.set(doc);
              JsonNode edges = doc.get("edges");
              if (edges.size() != 1 || edges.get(0).get("routes").size() != 2) {
                return false;
              }
              double share = edges.get(0).get("routes").get(0).get("share").asDouble();
              return share > 0.71 && share < 0.89;
            });
    JsonNode doc = last.get();
    assertThat(doc.get("windowSeconds").asInt()).isEqualTo(30);
    assertThat(doc.get("generatedAt").asText()).endsWith("Z");
    JsonNode app = doc.get("applications").get(0);
    assertThat(app.get("application").asText()).isEqualTo("frontend");
    assertThat(app.get("namespace").asText()).isEqualTo("shop");
    assertThat(app.get("inSync").asBoolean()).isTrue();
    assertThat(app.get("lastNack").isNull()).isTrue();
    JsonNode edge = doc.get("edges").get(0);
    assertThat(edge.get("from").asText()).isEqualTo("frontend");
    assertThat(edge.get("fromNamespace").asText()).isEqualTo("shop");
    assertThat(edge.get("to").asText()).isEqualTo("catalog.shop");
    assertThat(edge.get("requestsPerSecond").asDouble()).isPositive();
    assertThat(edge.get("successRate").asDouble()).isEqualTo(1.0);
    assertThat(edge.get("p50Ms").asDouble()).isPositive();
    assertThat(edge.get("p99Ms").asDouble()).isGreaterThanOrEqualTo(edge.get("p50Ms").asDouble());
    JsonNode first = edge.get("routes").get(0);
    JsonNode second = edge.get("routes").get(1);
    assertThat(first.get("subset").asText()).isEqualTo("v1");
    assertThat(second.get("subset").asText()).isEqualTo("v2");
    assertThat(first.get("route").asText()).isNotEmpty();
    assertThat(first.get("share").asDouble() + second.get("share").asDouble()).isBetween(0.999, 1.001);
    assertThat(first.get("requestsPerSecond").asDouble()).isGreaterThan(second.get("requestsPerSecond").asDouble());
  }

  private static JsonNode get(String url) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> response =
        http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    return new ObjectMapper().readTree(response.body());
  }

  private Server backend() throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("shop.Catalog")
            .addMethod(GET_ITEM, ServerCalls.asyncUnaryCall((String item, io.grpc.stub.StreamObserver<String> out) -> {
              out.onNext("item " + item);
              out.onCompleted();
            }))
            .build();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
    toClose.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return server;
  }

  private static String endpoints(int v1Port, int v2Port) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog
          endpoints:
            - {address: 127.0.0.1, port: %d, labels: {version: v1}}
            - {address: 127.0.0.1, port: %d, labels: {version: v2}}
        """
        .formatted(v1Port, v2Port);
  }
}
