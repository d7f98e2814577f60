package io.mesh4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.mesh4j.core.testing.AuthorizationMatrix;
import io.mesh4j.core.testing.AuthorizationMatrix.Case;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.grpc.testing.Backend;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The authorization matrix's gRPC cases through real calls to a server on 127.0.0.1 behind
 * {@link MeshServerInterceptors}: allowed calls reach the service, denied ones end with {@code
 * PERMISSION_DENIED} and the policy's name. The caller's identity comes from a test header here;
 * the mTLS tests prove the certificate-verified path.
 */
@Timeout(60)
class AuthorizationMatrixGrpcTest {

  private static final Metadata.Key<String> PEER =
      Metadata.Key.of("x-test-peer", Metadata.ASCII_STRING_MARSHALLER);

  private static final GrpcExtension grpc = new GrpcExtension();
  private static ManagedChannel channel;

  @BeforeAll
  static void start() {
    TestMesh server = grpc.register(new TestMesh().apply(AuthorizationMatrix.POLICIES));
    Backend backend =
        grpc.backend(
            "catalog",
            MeshServerInterceptors.forService(
                server.mesh(), AuthorizationMatrix.GRPC_SERVICE, PeerIdentityResolver.fromHeader(PEER)));
    channel =
        grpc.channel(NettyChannelBuilder.forAddress("127.0.0.1", backend.port()).usePlaintext().build());
  }

  @AfterAll
  static void stop() throws Exception {
    grpc.afterEach(null);
  }

  static Stream<Case> cases() {
    return AuthorizationMatrix.GRPC.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachCaseHasItsExactStatusAndMessage(Case c) {
    MethodDescriptor<String, String> method =
        c.grpcMethod().equals("test.Echo/Unary") ? EchoService.UNARY : EchoService.OTHER;
    Metadata headers = new Metadata();
    if (c.peer() != null) {
      headers.put(PEER, c.peer());
    }
    Runnable call =
        () ->
            assertThat(
                    ClientCalls.blockingUnaryCall(
                        ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
                        method,
                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                        "hi"))
                .isEqualTo("catalog");
    if (c.denial() == null) {
      call.run();
      return;
    }
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription()).isEqualTo(c.message());
            });
  }
}
