package io.mesh4j.grpc;

import io.grpc.Attributes;
import io.grpc.CallOptions;

/**
 * Names one endpoint of a destination the way the engine names it ({@code address:port}), so the
 * load balancer can find the subchannel the engine chose without comparing resolved socket
 * addresses. Immutable.
 */
record EndpointKey(String address, int port) {

  /** Carries the engine's choice from the interceptor to the picker, per attempt. */
  static final CallOptions.Key<EndpointKey> CHOSEN = CallOptions.Key.create("mesh4j.endpoint");

  /** Tags each resolved address group with the endpoint it stands for. */
  static final Attributes.Key<EndpointKey> ATTRIBUTE = Attributes.Key.create("mesh4j.endpoint");

  @Override
  public String toString() {
    return address.indexOf(':') >= 0 ? "[" + address + "]:" + port : address + ":" + port;
  }
}
