package io.mesh4j.grpc.telemetry;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.grpc.MeshChannels;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.micrometer.MeshMetrics;
import io.mesh4j.micrometer.MeshPrometheus;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A running mesh4j client for a real Prometheus server to scrape ({@code
 * scripts/prometheus-check.sh}): three gRPC servers on 127.0.0.1 ({@code v1} twice, {@code v2}
 * once), a mesh channel that splits calls 80/20 between the subsets, and {@link MeshPrometheus}
 * serving the metrics on 127.0.0.1. Sends about 200 calls a second until the time is up.
 *
 * <p>Arguments: the metrics port (default 19464) and the run time in seconds (default 60).
 */
public final class PrometheusSample {

  private PrometheusSample() {}

  public static void main(String[] args) throws Exception {
    int metricsPort = args.length > 0 ? Integer.parseInt(args[0]) : 19464;
    long seconds = args.length > 1 ? Long.parseLong(args[1]) : 60;

    List<Server> servers = new ArrayList<>();
    for (String name : List.of("v1-a", "v1-b", "v2")) {
      servers.add(server(name));
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    StaticConfigSource policy =
        StaticConfigSource.parse(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: ServiceEndpoints
            metadata: {name: catalog, namespace: shop}
            spec:
              service: catalog.shop
              endpoints:
                - {address: 127.0.0.1, port: %d, labels: {version: v1}}
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
                - name: canary
                  backends: [{subset: v1, weight: 80}, {subset: v2, weight: 20}]
            """
                .formatted(servers.get(0).getPort(), servers.get(1).getPort(), servers.get(2).getPort()));
    try (Mesh mesh =
            Mesh.builder()
                .configSource(policy)
                .listener(MeshMetrics.builder(registry).source("frontend.shop").build())
                .build();
        MeshPrometheus endpoint = MeshPrometheus.start(registry, metricsPort)) {
      ManagedChannel channel = MeshChannels.forService(mesh, "catalog.shop");
      System.out.println(
          "mesh4j sample: metrics on http://127.0.0.1:" + endpoint.port() + "/metrics for " + seconds + " s");
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long calls = 0;
      while (System.nanoTime() < end) {
        ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "hi");
        calls++;
        Thread.sleep(5);
      }
      System.out.println("mesh4j sample: " + calls + " calls sent");
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } finally {
      for (Server s : servers) {
        s.shutdownNow();
      }
    }
  }

  private static Server server(String name) throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(EchoService.SERVICE)
            .addMethod(
                EchoService.UNARY,
                ServerCalls.asyncUnaryCall(
                    (request, reply) -> {
                      reply.onNext(name);
                      reply.onCompleted();
                    }))
            .build();
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(service)
        .build()
        .start();
  }
}
