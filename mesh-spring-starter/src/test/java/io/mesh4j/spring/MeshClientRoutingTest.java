package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** Calls through an injected channel follow the route's weights, and a rewritten file. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MeshClientRoutingTest {

  @TempDir Path dir;
  private final List<Server> servers = new ArrayList<>();

  @AfterEach
  void stopServers() throws InterruptedException {
    for (Server server : servers) {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** A server that answers every call with its own name. */
  private int server(String name) throws IOException {
    Server server =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(
                ServerServiceDefinition.builder("test.Greeter")
                    .addMethod(
                        MeshClientTest.HELLO,
                        ServerCalls.asyncUnaryCall(
                            (request, response) -> {
                              response.onNext(name);
                              response.onCompleted();
                            }))
                    .build())
            .build()
            .start();
    servers.add(server);
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  private void writePolicy(int v1Port, int v2Port, int v1Weight, int v2Weight) throws IOException {
    // written aside and moved in, so the watcher never reads a half-written file
    Path tmp = Files.createTempFile(dir.getParent(), "catalog", ".tmp");
    Files.writeString(
        tmp,
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog.shop
          endpoints:
            - {address: 127.0.0.1, port: %d, labels: {version: v1}}
            - {address: 127.0.0.1, port: %d, labels: {version: v2}}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog.shop
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
          rules:
            - backends: [{subset: v1, weight: %d}, {subset: v2, weight: %d}]
        """
            .formatted(v1Port, v2Port, v1Weight, v2Weight));
    Files.move(
        tmp,
        dir.resolve("catalog.yaml"),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void callsFollowTheWeightsAndTheirChanges() throws IOException {
    int v1 = server("v1");
    int v2 = server("v2");
    writePolicy(v1, v2, 100, 0);
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class))
        .withPropertyValues("mesh4j.config-dir=" + dir)
        .withUserConfiguration(Caller.class)
        .run(
            context -> {
              Caller caller = context.getBean(Caller.class);
              assertThat(caller.answers(50)).containsOnlyKeys("v1");

              writePolicy(v1, v2, 0, 100);
              // the watcher applies the rewritten file asynchronously
              await()
                  .atMost(Duration.ofSeconds(20))
                  .untilAsserted(() -> assertThat(caller.answers(20)).containsOnlyKeys("v2"));
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class Caller {
    @MeshClient("catalog.shop")
    Channel channel;

    Map<String, Integer> answers(int calls) {
      Map<String, Integer> answers = new HashMap<>();
      for (int i = 0; i < calls; i++) {
        String answer =
            ClientCalls.blockingUnaryCall(
                channel,
                MeshClientTest.HELLO,
                CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                "hi");
        answers.merge(answer, 1, Integer::sum);
      }
      return answers;
    }
  }
}
