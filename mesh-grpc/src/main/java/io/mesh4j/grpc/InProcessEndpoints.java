package io.mesh4j.grpc;

import io.grpc.ManagedChannelBuilder;
import io.grpc.inprocess.AnonymousInProcessSocketAddress;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessSocketAddress;
import java.net.SocketAddress;
import java.util.Collection;
import java.util.List;

/**
 * Mesh channels on grpc-java's in-process transport, for tests that run a policy's endpoints as
 * in-process servers. Everything that names {@code grpc-inprocess}'s classes is here, so that the
 * rest of the adapter loads without that optional dependency.
 */
final class InProcessEndpoints {

  /** What the in-process transport dials. */
  static final Collection<Class<? extends SocketAddress>> ADDRESS_TYPES =
      List.of(InProcessSocketAddress.class, AnonymousInProcessSocketAddress.class);

  private InProcessEndpoints() {}

  /** The in-process server of that name ({@code address:port}, an endpoint's). */
  static SocketAddress address(String name) {
    return new InProcessSocketAddress(name);
  }

  /** A builder of an in-process channel to {@code target}. */
  static ManagedChannelBuilder<?> channelBuilder(String target) {
    return InProcessChannelBuilder.forTarget(target);
  }
}
