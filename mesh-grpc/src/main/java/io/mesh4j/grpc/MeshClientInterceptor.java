package io.mesh4j.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.mesh4j.core.call.Outbound;

/**
 * Puts every call of a mesh channel under the engine's control: each call becomes a {@link
 * MeshClientCall} that plans it, pins each attempt to the engine's endpoint and retries as the
 * engine says. The destination is the channel's authority, which the {@code mesh} resolver sets
 * to the target's service name.
 *
 * <p>Thread-safe.
 */
final class MeshClientInterceptor implements ClientInterceptor {

  private final ChannelState channel;

  MeshClientInterceptor(Outbound outbound) {
    this.channel = new ChannelState(outbound);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    return new MeshClientCall<>(method, callOptions, next, channel);
  }
}
