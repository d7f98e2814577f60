package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.ROUTE_ALL;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static io.mesh4j.core.testing.TestMesh.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.grpc.testing.EchoService;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Mesh channels on grpc-java's in-process transport: each endpoint of the policy is the
 * in-process server named after it, and the mesh routes, balances and retries as over sockets.
 */
@Timeout(30)
class InProcessMeshChannelTest {

  private final TestMesh mesh = new TestMesh();
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void close() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    mesh.close();
  }

  /** An in-process server named {@code name} answering with its name, or failing with {@code status}. */
  private AtomicInteger server(String name, Status status) throws IOException {
    AtomicInteger calls = new AtomicInteger();
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(EchoService.SERVICE)
            .addMethod(
                EchoService.UNARY,
                ServerCalls.asyncUnaryCall(
                    (String request, io.grpc.stub.StreamObserver<String> response) -> {
                      calls.incrementAndGet();
                      if (status.isOk()) {
                        response.onNext(name);
                        response.onCompleted();
                      } else {
                        response.onError(status.asRuntimeException());
                      }
                    }))
            .build();
    servers.add(
        InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start());
    return calls;
  }

  private ManagedChannel channel() {
    ManagedChannel c =
        MeshChannels.inProcessBuilderForService(mesh.mesh(), CATALOG).directExecutor().build();
    channels.add(c);
    return c;
  }

  private static String call(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(
        channel, EchoService.UNARY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "hi");
  }

  @Test
  void callsAreSpreadOverTheInProcessServersNamedAfterTheEndpoints() throws IOException {
    server("127.0.0.1:7001", Status.OK);
    server("127.0.0.1:7002", Status.OK);
    mesh.apply(endpoints(7001, "v1", 7002, "v1") + ROUTE_ALL);
    ManagedChannel channel = channel();

    Map<String, Integer> answers = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      answers.merge(call(channel), 1, Integer::sum);
    }

    assertThat(answers).containsOnlyKeys("127.0.0.1:7001", "127.0.0.1:7002");
  }

  @Test
  void aRetryGoesToAnotherServerAndAnEndpointWithoutOneIsUnavailable() throws IOException {
    AtomicInteger failing = server("127.0.0.1:7001", Status.UNAVAILABLE.withDescription("down"));
    server("127.0.0.1:7002", Status.OK);
    mesh.apply(
        endpoints(7001, "v1", 7002, "v1")
            + route("retries: {attempts: 3, retryOn: [UNAVAILABLE], backoff: {base: 1ms, max: 1ms}}"));
    ManagedChannel channel = channel();

    for (int i = 0; i < 20; i++) {
      assertThat(call(channel)).isEqualTo("127.0.0.1:7002");
    }
    // The failing endpoint was tried: the calls that got there were retried elsewhere.
    assertThat(failing.get()).isPositive();

    mesh.apply(endpoints(7003, "v1") + ROUTE_ALL);
    assertThatThrownBy(() -> call(channel))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void aDestinationThatIsNoServiceNameIsRefusedWithTheValue() {
    for (String bad : new String[] {"", "catalog.shop/extra"}) {
      assertThatThrownBy(() -> MeshChannels.inProcessBuilderForService(mesh.mesh(), bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("destination must be <service>.<namespace>, got '" + bad + "'");
    }
  }

  @Test
  void aHandBuiltInProcessChannelWithoutAMeshFailsItsCallsSayingHowToBuildIt() {
    channel().shutdownNow(); // registers the mesh-in-process scheme, as the builder does
    ManagedChannel bare =
        io.grpc.inprocess.InProcessChannelBuilder.forTarget("mesh-in-process:///" + CATALOG)
            .directExecutor()
            .build();
    channels.add(bare);

    assertThatThrownBy(() -> call(bare))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e ->
                assertThat(e.getStatus().getDescription())
                    .contains("no Mesh for mesh-in-process:///" + CATALOG)
                    .contains("MeshChannels.inProcessBuilderForService(mesh, \"" + CATALOG + "\")"));
  }
}
