package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.xds.XdsChannelCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's xDS client calling a mesh4j server over mutual TLS (gRFC A29) with certificates
 * from the mesh's CA, read by its {@code file_watcher} certificate provider: the mesh's
 * AuthorizationPolicy admits one identity and refuses the other, and the client checks the
 * server's SPIFFE ID against the one the policy gives the endpoint. Real calls on loopback.
 */
@Timeout(90)
class XdsMtlsTest {


  @TempDir Path dir;

  private MtlsCatalog mesh;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void startTheMesh() throws Exception {
    mesh = new MtlsCatalog(dir);
    closing.add(mesh);
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @Test
  void theAllowedIdentityIsServedAndTheOtherRefusedByTheMeshOverMutualTls() {
    ManagedChannel frontend = xdsChannel("frontend", XdsChannelCredentials.create(InsecureChannelCredentials.create()));
    ManagedChannel batch = xdsChannel("batch", XdsChannelCredentials.create(InsecureChannelCredentials.create()));

    // The server is STRICT: a call without a client certificate would be UNAUTHENTICATED.
    assertThat(await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> call(frontend), r -> true))
        .isEqualTo("catalog");
    assertThatThrownBy(() -> call(batch)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(e.getStatus().getDescription()).isEqualTo(MtlsCatalog.DENIED_BATCH);
    });
    assertThat(mesh.calls.get()).isEqualTo(1);
    assertThat(mesh.xds.xds().nackCount()).as("NACKs from grpc-java").isZero();
  }

  @Test
  void aServerThatIsNotWhoThePolicySaysIsNeverCalled() throws Exception {
    mesh.publishEndpoint(MtlsCatalog.spiffeId("pricing"));
    ManagedChannel frontend = xdsChannel("frontend", XdsChannelCredentials.create(InsecureChannelCredentials.create()));

    // The handshake fails on the server's name: the client never sends the call.
    StatusRuntimeException refused = await().atMost(Duration.ofSeconds(30))
        .until(() -> failure(frontend), e -> e != null && e.getStatus().getCode() == Status.Code.UNAVAILABLE);
    // grpc-java says why only in the cause: its trust manager's SAN check
    assertThat(causes(refused)).anyMatch(m -> m.contains("Peer certificate SAN check failed"));
    assertThat(mesh.calls.get()).isZero();

    // The policy names the right identity again: the same channel gets through.
    mesh.publishEndpoint(MtlsCatalog.CATALOG);
    assertThat(await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> call(frontend), r -> true))
        .isEqualTo("catalog");
  }

  @Test
  void aChannelWithoutXdsCredentialsDialsPlaintextAndTheTlsServerRefusesIt() {
    // A29 applies only to channels built with XdsChannelCredentials; any other dials as told.
    ManagedChannel plain = xdsChannel("frontend", InsecureChannelCredentials.create());

    // Once its xDS resources arrive, every call fails in the transport: the server wants a TLS handshake.
    StatusRuntimeException refused = await().atMost(Duration.ofSeconds(30))
        .until(() -> failure(plain), e -> e != null && e.getStatus().getCode() == Status.Code.UNAVAILABLE);
    assertThat(refused.getStatus().getDescription()).doesNotContain("LDS", "CDS", "EDS", "RDS");
    assertThat(mesh.calls.get()).isZero();
  }

  private static List<String> causes(Throwable t) {
    List<String> out = new ArrayList<>();
    for (Throwable c = t; c != null; c = c.getCause()) {
      out.add(String.valueOf(c.getMessage()));
    }
    return out;
  }

  private static String call(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(channel, CatalogBackend.GET_ITEM, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "item");
  }

  private static @Nullable StatusRuntimeException failure(ManagedChannel channel) {
    try {
      call(channel);
      return null;
    } catch (StatusRuntimeException e) {
      return e;
    }
  }

  /** grpc-java's xDS client as {@code account}: its certificate, key and the mesh's roots as certificate provider {@code mesh4j}. */
  private ManagedChannel xdsChannel(String account, ChannelCredentials credentials) {
    MtlsCatalog.WorkloadFiles files = mesh.files(account);
    return GrpcJavaXdsClient.channel(mesh.xds.grpcPort(), "catalog.shop", Map.of("id", account, "cluster", "shop"),
        Map.of("mesh4j", Map.of("plugin_name", "file_watcher", "config", files.fileWatcherConfig())),
        credentials, closing);
  }
}
