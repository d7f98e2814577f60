package io.mesh4j.grpc;

import static io.mesh4j.core.testing.TestMesh.CATALOG;
import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.time.Duration;
import java.util.Iterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Hostile headers and unbounded calls through mesh channels to real servers on loopback. */
@Timeout(60)
class SecureDefaultsGrpcTest {

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  private final TestMesh mesh = grpc.register(new TestMesh());

  private ManagedChannel channel() {
    return grpc.channel(MeshChannels.forService(mesh.mesh(), CATALOG));
  }

  private static String meshConfig(String spec) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh}
        spec: %s
        ---
        """
        .formatted(spec);
  }

  private static String callWithUser(Channel channel, String user) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-user", Metadata.ASCII_STRING_MARSHALLER), user);
    Channel withHeader =
        ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    return ClientCalls.blockingUnaryCall(withHeader, EchoService.UNARY, CallOptions.DEFAULT, "hi");
  }

  @Test
  void aSixtyFourKilobyteHostileHeaderFallsThroughTheRegexRulePromptly() {
    Backend regex = grpc.backend("regex");
    Backend fallback = grpc.backend("fallback");
    // The cap is raised so that the regex really runs against the whole 64 KiB value.
    mesh.apply(
        meshConfig("{maxRegexInputBytes: 1048576}")
            + endpoints(regex.port(), "v1", fallback.port(), "v2")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              subsets:
                - {name: v1, labels: {version: v1}}
                - {name: v2, labels: {version: v2}}
              rules:
                - name: users
                  matches: [{headers: [{name: x-user, regex: "(a+)+$"}]}]
                  backends: [{subset: v1}]
                - {name: rest, backends: [{subset: v2}]}
            """);
    ManagedChannel channel = channel();
    assertThat(callWithUser(channel, "aaaa")).isEqualTo("regex");

    String hostile = "a".repeat(64 * 1024) + "b";
    // Generous on purpose: a backtracking engine takes longer than the age of the universe on this
    // value, a linear one milliseconds; the bound only tells the two apart.
    String answer =
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> callWithUser(channel, hostile));
    assertThat(answer).isEqualTo("fallback");
    assertThat(regex.calls()).isEqualTo(1);
  }

  @Test
  void aUnaryCallToAServerThatNeverAnswersEndsAtTheMeshsDefaultDeadline() {
    Backend silent = grpc.backend("silent").answerAfter(Duration.ofHours(1));
    mesh.apply(
        meshConfig("{defaultUnaryTimeout: 300ms}")
            + endpoints(silent.port(), "v1")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              rules:
                - {name: all, backends: [{}]}
            """);
    ManagedChannel channel = channel();
    // connected before the call, so a loaded machine's connect time is not spent from the 300 ms
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> channel.getState(true) == io.grpc.ConnectivityState.READY);

    assertThatThrownBy(
            () -> ClientCalls.blockingUnaryCall(channel, EchoService.UNARY, CallOptions.DEFAULT, "hi"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo(
                      "mesh4j: deadline exceeded for catalog.shop (the mesh's default timeout of"
                          + " 300ms for unary calls expired; set a timeout on the route rule or a"
                          + " deadline on the call to change it)");
            });
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> silent.calls() == 1);
  }

  @Test
  void aStreamingCallIsNotCutOffByTheDefault() {
    Backend backend = grpc.backend("streams");
    mesh.apply(
        meshConfig("{defaultUnaryTimeout: 1ms}")
            + endpoints(backend.port(), "v1")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              rules:
                - {name: all, backends: [{}]}
            """);
    // A 1 ms default would fail any call it applied to over a fresh loopback connection.
    Iterator<String> messages =
        ClientCalls.blockingServerStreamingCall(channel(), EchoService.STREAM, CallOptions.DEFAULT, "3");
    assertThat(messages).toIterable().containsExactly("streams#0", "streams#1", "streams#2");
  }
}
