package io.mesh4j.controller.serve;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import io.mesh4j.core.internal.wire.ClientMessage;
import io.mesh4j.core.internal.wire.PolicyServiceGrpc;
import io.mesh4j.core.internal.wire.ServerMessage;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gRPC face of the {@link SnapshotDistributor}: one bidirectional stream per application, each
 * handed to the distributor, which does all the work on its update thread.
 *
 * <p>Thread-safe.
 */
public final class PolicyStreamService extends PolicyServiceGrpc.PolicyServiceImplBase {

  private static final Context.Key<String> PEER = Context.key("mesh4j-peer");

  private final SnapshotDistributor distributor;
  private final AtomicLong streams = new AtomicLong();

  private PolicyStreamService(SnapshotDistributor distributor) {
    this.distributor = distributor;
  }

  /** The service definition to add to a server, with the peer's address made available to it. */
  public static ServerServiceDefinition definition(SnapshotDistributor distributor) {
    return ServerInterceptors.intercept(new PolicyStreamService(distributor), new PeerInterceptor());
  }

  @Override
  public StreamObserver<ClientMessage> subscribe(StreamObserver<ServerMessage> responses) {
    String peer = PEER.get();
    return distributor.open(streams.incrementAndGet(), peer == null ? "unknown" : peer, responses);
  }

  /** Puts the remote address into the call's context; the stub API does not expose it otherwise. */
  private static final class PeerInterceptor implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      SocketAddress address = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
      Context context = Context.current().withValue(PEER, String.valueOf(address));
      return Contexts.interceptCall(context, call, headers, next);
    }
  }
}
