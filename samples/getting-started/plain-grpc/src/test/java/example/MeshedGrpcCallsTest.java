package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.grpc.MeshChannels;
import java.net.InetSocketAddress;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two versions of a service behind one name: the mesh splits calls 80/20 and retries a failure. */
@Timeout(60)
class MeshedGrpcCallsTest {

  /** A health service on loopback that counts its calls and can fail the first one. */
  static final class Backend extends HealthGrpc.HealthImplBase implements AutoCloseable {
    final AtomicInteger calls = new AtomicInteger();
    final boolean failFirst;
    final Server server;

    Backend(boolean failFirst) throws Exception {
      this.failFirst = failFirst;
      this.server =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
              .addService(this)
              .build()
              .start();
    }

    @Override
    public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> reply) {
      if (calls.incrementAndGet() == 1 && failFirst) {
        reply.onError(Status.UNAVAILABLE.withDescription("not ready yet").asRuntimeException());
        return;
      }
      reply.onNext(
          HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
      reply.onCompleted();
    }

    int port() {
      return server.getPort();
    }

    @Override
    public void close() {
      server.shutdownNow();
    }
  }

  static String policy(int v1, int v2) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog
          endpoints:
            - {address: 127.0.0.1, port: %d, labels: {version: v1}}
            - {address: 127.0.0.1, port: %d, labels: {version: v2}}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
          rules:
            - name: default
              timeout: 5s
              retries:
                attempts: 2
                retryOn: [UNAVAILABLE]
                idempotentMethods: [grpc.health.v1.Health/Check]
              backends:
                - {subset: v1, weight: 80}
                - {subset: v2, weight: 20}
        """
        .formatted(v1, v2);
  }

  @Test
  void callsSplitEightyTwentyAndAFailureIsRetried() throws Exception {
    try (Backend v1 = new Backend(true);
        Backend v2 = new Backend(false);
        Mesh mesh =
            Mesh.builder()
                .configSource(StaticConfigSource.parse(policy(v1.port(), v2.port())))
                .random(MeshRandom.of(new SplittableRandom(42)))
                .build()) {
      ManagedChannel channel = MeshChannels.forService(mesh, "catalog.shop");
      try {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        int calls = 1000;
        for (int i = 0; i < calls; i++) {
          assertEquals(
              HealthCheckResponse.ServingStatus.SERVING,
              health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
        }
        // every call answered, though v1 failed one attempt: the mesh retried it
        assertEquals(calls + 1, v1.calls.get() + v2.calls.get());
        double v2Share = v2.calls.get() / (double) calls;
        assertTrue(Math.abs(v2Share - 0.2) <= 0.04, "v2's share: " + v2Share);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
