package io.mesh4j.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.controller.MeshController;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.grpc.MeshChannels;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One mesh4j application, two ways to the same controller: over the controller's xDS face through
 * {@link XdsConfigSource}, and over the native policy stream. The same route gives both the same
 * split, and a live change reaches both.
 */
@Timeout(120)
class ControllerXdsTest {

  @TempDir Path dir;

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T register(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  @Test
  void theControllersXdsGivesAMeshApplicationTheSameSplitAsItsPolicyStream() throws Exception {
    EchoBackend v1 = register(new EchoBackend("v1"));
    EchoBackend v2 = register(new EchoBackend("v2"));
    Path config = Files.createDirectory(dir.resolve("config"));
    write(config, "mesh.yaml", """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh, namespace: mesh4j-system}
        spec: {}
        """);
    write(config, "catalog-endpoints.yaml", """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog
          endpoints:
            - {address: 127.0.0.1, port: %d, labels: {version: v1}}
            - {address: 127.0.0.1, port: %d, labels: {version: v2}}
        """.formatted(v1.port(), v2.port()));
    write(config, "catalog.yaml", route(70, 30));
    InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
    MeshController controller = register(MeshController.startLocal(
        new MeshController.LocalOptions(config, loopback, loopback, MeshController.Security.none())));
    String address = "127.0.0.1:" + controller.grpcPort();

    ConfigSource xds = XdsConfigSource.builder()
        .bootstrapJson("""
            {"xds_servers": [{"server_uri": "%s", "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
             "node": {"id": "checkout", "cluster": "shop"}}
            """.formatted(address))
        .targets("catalog.shop")
        .build();
    ConfigSource stream = ControllerConfigSource.builder(address)
        .application("checkout").namespace("shop").calls("catalog.shop").build();
    ManagedChannel overXds = channel(mesh(xds, 42));
    ManagedChannel overStream = channel(mesh(stream, 43));

    assertThat(shareOfV1(overXds, 3_000)).isBetween(0.67, 0.73);
    assertThat(shareOfV1(overStream, 3_000)).isBetween(0.67, 0.73);

    write(config, "catalog.yaml", route(20, 80));
    for (ManagedChannel channel : List.of(overXds, overStream)) {
      // 100 calls tell 30% from 80% of them to v2 by more than seven standard deviations
      await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ZERO).until(() -> shareOfV1(channel, 100) < 0.5);
      assertThat(shareOfV1(channel, 3_000)).isBetween(0.17, 0.23);
    }
    assertThat(controller.xds().nackCount()).isZero();
  }

  private Mesh mesh(ConfigSource source, long seed) {
    register(source);
    Mesh mesh = register(Mesh.builder().configSource(source).random(MeshRandom.of(new Random(seed))).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.appliedVersion() > 0);
    return mesh;
  }

  private ManagedChannel channel(Mesh mesh) {
    ManagedChannel channel = MeshChannels.forService(mesh, "catalog.shop");
    register(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return channel;
  }

  private static double shareOfV1(ManagedChannel channel, int calls) {
    int v1 = 0;
    for (int i = 0; i < calls; i++) {
      String answer = ClientCalls.blockingUnaryCall(
          channel, EchoBackend.UNARY, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "hi");
      if (answer.equals("v1")) {
        v1++;
      }
    }
    return (double) v1 / calls;
  }

  private static String route(int v1, int v2) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
          rules:
            - backends:
                - {subset: v1, weight: %d}
                - {subset: v2, weight: %d}
        """.formatted(v1, v2);
  }

  /** Writes beside the target and moves into place, so the controller never reads half a file. */
  private static void write(Path dir, String name, String yaml) throws IOException {
    Path tmp = dir.resolve("." + name + ".tmp");
    Files.writeString(tmp, yaml);
    Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
