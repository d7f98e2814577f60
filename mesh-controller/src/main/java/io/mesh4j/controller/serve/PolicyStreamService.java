package io.mesh4j.controller.serve;

import io.grpc.MethodDescriptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.mesh4j.controller.ca.CallerIdentity;
import io.mesh4j.controller.ca.WorkloadAuthenticator;
import io.mesh4j.wire.v1.ClientMessage;
import io.mesh4j.wire.v1.PolicyServiceGrpc;
import io.mesh4j.wire.v1.ServerMessage;
import org.jspecify.annotations.Nullable;

/**
 * The gRPC face of the {@link SnapshotDistributor}: one bidirectional stream per application,
 * authenticated by {@link StreamAuthentication} and handed to the distributor, which does all the
 * work on its update thread and reads each next message only once it handled the last.
 *
 * <p>Thread-safe.
 */
public final class PolicyStreamService extends PolicyServiceGrpc.PolicyServiceImplBase {

  private final SnapshotDistributor distributor;

  private PolicyStreamService(SnapshotDistributor distributor) {
    this.distributor = distributor;
  }

  /**
   * The service definition to add to a server.
   *
   * @param authenticator checks each stream's bearer token; null only for a controller that is
   *     explicitly run without authentication, whose streams are believed on their word
   */
  public static ServerServiceDefinition definition(
      SnapshotDistributor distributor, @Nullable WorkloadAuthenticator authenticator) {
    PolicyStreamService service = new PolicyStreamService(distributor);
    MethodDescriptor<ClientMessage, ServerMessage> subscribe = PolicyServiceGrpc.getSubscribeMethod();
    // The same snapshot goes to every application of a scope: encoded once, not once per stream.
    ServerServiceDefinition definition =
        ServerServiceDefinition.builder(PolicyServiceGrpc.SERVICE_NAME)
            .addMethod(
                subscribe.toBuilder().setResponseMarshaller(new EncodeOnceMarshaller(subscribe.getResponseMarshaller())).build(),
                ServerCalls.asyncBidiStreamingCall(service::subscribe))
            .build();
    return authenticated(definition, distributor, authenticator);
  }

  /**
   * {@code service} behind the same authentication as the policy stream: each call proves who it
   * is with the workload's mesh certificate or its token, or is closed with {@code UNAUTHENTICATED}
   * before any message is read; refusals are counted with the policy stream's. Inside the call,
   * {@link #caller()} and {@link #peer()} say who and from where.
   *
   * @param authenticator null only for a controller explicitly run without authentication
   */
  public static ServerServiceDefinition authenticated(
      ServerServiceDefinition service, SnapshotDistributor distributor, @Nullable WorkloadAuthenticator authenticator) {
    return ServerInterceptors.intercept(
        service, new StreamAuthentication(authenticator, distributor.refusalCounts(), () -> distributor.settings().trustDomain()));
  }

  /**
   * The identity the current call of an {@link #authenticated} service proved; null only on a
   * controller without authentication.
   */
  public static @Nullable CallerIdentity caller() {
    return StreamAuthentication.CALLER.get();
  }

  /** The remote address of the current call of an {@link #authenticated} service. */
  public static String peer() {
    String peer = StreamAuthentication.PEER.get();
    return peer == null ? "unknown" : peer;
  }

  @Override
  public StreamObserver<ClientMessage> subscribe(StreamObserver<ServerMessage> responses) {
    ServerCallStreamObserver<ServerMessage> out = (ServerCallStreamObserver<ServerMessage>) responses;
    out.disableAutoRequest();
    return distributor.open(distributor.newSession(), peer(), caller(), out);
  }
}
