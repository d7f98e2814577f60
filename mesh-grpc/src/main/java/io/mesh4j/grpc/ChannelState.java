package io.mesh4j.grpc;

import io.grpc.Channel;
import io.mesh4j.core.call.Outbound;
import org.jspecify.annotations.Nullable;

/** What the calls of one mesh interceptor share. Thread-safe. */
final class ChannelState {

  /** The engine's side of the channel's calls. */
  final Outbound outbound;

  /**
   * The channel whose picker was seen to be the mesh's: one of its attempts was given a
   * connection by it. Until then every attempt names itself in its call options; from then on the
   * channel's attempts are started for the picker to find them on the starting thread ({@code
   * MeshClientCall.startInline}). A channel built by hand with another load balancer never shows
   * it, and each attempt's call is started once there, as that balancer expects; an interceptor
   * shared by several channels only ever does so for the one seen last.
   */
  private volatile @Nullable Channel meshPicker;

  ChannelState(Outbound outbound) {
    this.outbound = outbound;
  }

  /** Whether {@code channel}'s picker was seen to be the mesh's. */
  @SuppressWarnings("ReferenceEquality") // the very channel object, whatever its equals says
  boolean meshPicks(Channel channel) {
    return meshPicker == channel;
  }

  /** {@code channel}'s picker gave one of its attempts a connection and is the mesh's. */
  void sawMeshPick(Channel channel) {
    if (!meshPicks(channel)) {
      meshPicker = channel;
    }
  }
}
