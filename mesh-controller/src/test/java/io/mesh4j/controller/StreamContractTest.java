package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.mesh4j.wire.v1.Ack;
import io.mesh4j.wire.v1.ClientMessage;
import io.mesh4j.wire.v1.Hello;
import io.mesh4j.wire.v1.PolicyServiceGrpc;
import io.mesh4j.wire.v1.ServerMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the controller does with streams that break the contract in the proto file. */
@Timeout(20)
class StreamContractTest {

  @TempDir Path dir;
  private MeshController controller;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws IOException {
    Files.writeString(
        dir.resolve("mesh.yaml"),
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh, namespace: mesh4j-system}
        """);
    controller =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                dir, new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.none()));
    channel =
        Grpc.newChannelBuilderForAddress("127.0.0.1", controller.grpcPort(), InsecureChannelCredentials.create()).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    controller.close();
  }

  @Test
  void aStreamThatDoesNotStartWithAHelloIsRefused() throws Exception {
    Status status = firstError(ClientMessage.newBuilder().setAck(Ack.getDefaultInstance()).build());

    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).isEqualTo("mesh4j: the first message must be a Hello, got ACK");
  }

  @Test
  void aHelloWithAnInvalidServiceNameIsRefusedNamingTheField() throws Exception {
    Hello hello = Hello.newBuilder().setApplication("frontend").setNamespace("shop").addCalls("Catalog").build();

    Status status = firstError(ClientMessage.newBuilder().setHello(hello).build());

    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription())
        .isEqualTo("mesh4j: hello.calls[0]: must be a service name `name` or `name.namespace` (lowercase letters, digits and '-'), got Catalog");
  }

  @Test
  void aHelloWithoutANamespaceIsRefused() throws Exception {
    Status status = firstError(ClientMessage.newBuilder().setHello(Hello.newBuilder().setApplication("frontend")).build());

    assertThat(status.getDescription()).isEqualTo("mesh4j: hello.namespace: is required");
  }

  private Status firstError(ClientMessage first) throws Exception {
    CompletableFuture<Status> error = new CompletableFuture<>();
    StreamObserver<ClientMessage> requests =
        PolicyServiceGrpc.newStub(channel)
            .subscribe(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerMessage value) {
                    error.completeExceptionally(new AssertionError("expected a refusal, got " + value));
                  }

                  @Override
                  public void onError(Throwable t) {
                    error.complete(Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    error.completeExceptionally(new AssertionError("expected a refusal, the stream completed"));
                  }
                });
    requests.onNext(first);
    return error.get(5, TimeUnit.SECONDS);
  }
}
