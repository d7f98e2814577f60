package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.mesh4j.controller.serve.ApplicationStatus;
import io.mesh4j.controller.testing.Utf8;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.grpc.MeshChannels;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A controller restart seen from a real application: a {@link Mesh} fed by the controller, a
 * meshed gRPC channel, two plain grpc-java servers, and callers that never stop. The application
 * must not notice the restart in its calls and must not apply its policy a second time.
 */
@Timeout(60)
class ControllerRestartUnderLoadTest {

  private static final int CALLERS = 3;

  /** {@code shop.Catalog/GetItem} with UTF-8 strings on the wire, so no generated code is needed. */
  private static final MethodDescriptor<String, String> GET_ITEM =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setSafe(true)
          .setIdempotent(true)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("shop.Catalog", "GetItem"))
          .setRequestMarshaller(Utf8.INSTANCE)
          .setResponseMarshaller(Utf8.INSTANCE)
          .build();

  @TempDir Path dir;

  private final List<Backend> backends = new ArrayList<>();
  private final List<Thread> callers = new ArrayList<>();
  private final AtomicLong succeeded = new AtomicLong();
  private final Queue<String> failures = new ConcurrentLinkedQueue<>();
  private final AtomicInteger applies = new AtomicInteger();
  private volatile boolean calling = true;
  private @Nullable MeshController controller;
  private @Nullable ControllerConfigSource source;
  private @Nullable Mesh mesh;
  private @Nullable ManagedChannel channel;

  @AfterEach
  void stopEverything() throws Exception {
    calling = false;
    for (Thread t : callers) {
      t.join(TimeUnit.SECONDS.toMillis(10));
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (mesh != null) {
      mesh.close();
    }
    if (source != null) {
      source.close();
    }
    if (controller != null) {
      controller.close();
    }
    for (Backend b : backends) {
      b.close();
    }
  }

  @Test
  void restartUnderASteadyStreamOfCallsFailsNoCallAndResumesWithTheSameContent() throws Exception {
    Backend v1 = backend();
    Backend v2 = backend();
    write("mesh.yaml", LocalDirectory.MESH);
    write("catalog-endpoints.yaml", endpoints(v1.port(), v2.port()));
    write("catalog.yaml", route(50, 50));
    int port = LocalDirectory.freePort();
    controller = startController(port);

    ControllerConfigSource source =
        ControllerConfigSource.builder("127.0.0.1:" + port)
            .application("frontend")
            .namespace("shop")
            .calls("catalog")
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .random(new SplittableRandom(7))
            .build();
    this.source = source;
    Mesh mesh =
        Mesh.builder()
            .configSource(source)
            .listener(
                new MeshListener() {
                  @Override
                  public void snapshotApplied(long version) {
                    applies.incrementAndGet();
                  }
                })
            .build();
    this.mesh = mesh;
    ManagedChannel channel = MeshChannels.forService(mesh, "catalog.shop");
    this.channel = channel;
    await().atMost(Duration.ofSeconds(10)).until(() -> mesh.appliedVersion() > 0 && statusOf("frontend").inSync());
    // Move the version past the number a fresh controller starts with, so "the same version"
    // after the restart is something the controller has to recognise, not a coincidence.
    write("catalog.yaml", route(80, 20));
    await().atMost(Duration.ofSeconds(5)).until(() -> applies.get() == 2 && statusOf("frontend").inSync());
    long held = mesh.appliedVersion();
    assertThat(source.status().version()).isEqualTo(held);
    String hash = source.status().hash();

    startCallers(channel);
    awaitMoreCalls(100);

    controller.close();
    controller = null;
    await().atMost(Duration.ofSeconds(5)).until(() -> !source.status().connected());
    awaitMoreCalls(100);

    // The old server's port may take a moment to be free again.
    controller = await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> startController(port), c -> true);
    await().atMost(Duration.ofSeconds(10))
        .until(() -> source.status().connected() && statusOf("frontend").inSync());
    awaitMoreCalls(100);
    assertThat(applies.get()).as("snapshots applied; the reconnection must not apply again").isEqualTo(2);
    assertThat(mesh.appliedVersion()).isEqualTo(held);
    // the new controller confirms the same content under its own, higher number
    assertThat(source.status().hash()).isEqualTo(hash);
    assertThat(source.status().version()).isGreaterThan(held);

    // The new controller's edits still arrive, and the calls follow them.
    write("catalog.yaml", route(0, 100));
    await().atMost(Duration.ofSeconds(5)).until(() -> applies.get() == 3);
    assertThat(mesh.appliedVersion()).isGreaterThan(held);
    await().atMost(Duration.ofSeconds(5)).until(() -> statusOf("frontend").ackedVersion() == mesh.appliedVersion());
    int v1Before = v1.calls.get();
    int v2Before = v2.calls.get();
    await().atMost(Duration.ofSeconds(10)).until(() -> v2.calls.get() >= v2Before + 100);
    // Only calls planned before the apply, at most one per caller, may still reach v1.
    assertThat(v1.calls.get() - v1Before).isLessThanOrEqualTo(CALLERS);

    calling = false;
    for (Thread t : callers) {
      t.join(TimeUnit.SECONDS.toMillis(10));
    }
    assertThat(failures).as("failed calls").isEmpty();
    assertThat(succeeded.get()).isGreaterThanOrEqualTo(400);
  }

  // --- fixtures

  private void startCallers(ManagedChannel target) {
    for (int i = 0; i < CALLERS; i++) {
      int caller = i;
      Thread t =
          new Thread(
              () -> {
                long n = 0;
                while (calling) {
                  try {
                    ClientCalls.blockingUnaryCall(
                        target, GET_ITEM, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "sku-" + caller + "-" + n++);
                    succeeded.incrementAndGet();
                  } catch (StatusRuntimeException e) {
                    failures.add(e.getStatus().toString());
                  }
                  // Pacing: a steady stream of about 200 calls a second per caller, not a load
                  // test on two shared cores.
                  LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
              },
              "caller-" + i);
      t.setDaemon(true);
      callers.add(t);
      t.start();
    }
  }

  private void awaitMoreCalls(long more) {
    long target = succeeded.get() + more;
    await().atMost(Duration.ofSeconds(20)).until(() -> succeeded.get() >= target || !failures.isEmpty());
    assertThat(failures).as("failed calls").isEmpty();
  }

  private MeshController startController(int port) throws IOException {
    return MeshController.startLocal(
        new MeshController.LocalOptions(
            dir, new InetSocketAddress("127.0.0.1", port), new InetSocketAddress("127.0.0.1", 0),
            MeshController.Security.none()));
  }

  /** Waits tolerate an application that has not connected yet (statusOf throws until it has). */
  private static ConditionFactory await() {
    return Awaitility.await().ignoreExceptionsInstanceOf(AssertionError.class);
  }

  private ApplicationStatus statusOf(String application) {
    MeshController c = controller;
    if (c == null) {
      throw new AssertionError("no controller running");
    }
    return c.distributor().applications().stream()
        .filter(a -> a.application().equals(application))
        .findFirst()
        .orElseThrow(() -> new AssertionError("not connected: " + application));
  }

  private Backend backend() throws IOException {
    Backend b = new Backend();
    backends.add(b);
    return b;
  }

  private void write(String name, String yaml) throws IOException {
    LocalDirectory.write(dir, name, yaml);
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
            - timeout: 5s
              backends:
                - {subset: v1, weight: %d}
                - {subset: v2, weight: %d}
        """
        .formatted(v1, v2);
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

  /** A plain grpc-java server for {@code shop.Catalog} on 127.0.0.1 that knows nothing of mesh4j. */
  private static final class Backend implements AutoCloseable {
    final AtomicInteger calls = new AtomicInteger();
    private final Server server;

    Backend() throws IOException {
      ServerServiceDefinition service =
          ServerServiceDefinition.builder("shop.Catalog")
              .addMethod(GET_ITEM, ServerCalls.asyncUnaryCall(this::getItem))
              .build();
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
    }

    private void getItem(String item, StreamObserver<String> response) {
      calls.incrementAndGet();
      response.onNext("item " + item + " from port " + server.getPort());
      response.onCompleted();
    }

    int port() {
      return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
