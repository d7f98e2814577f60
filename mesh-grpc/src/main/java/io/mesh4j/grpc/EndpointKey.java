package io.mesh4j.grpc;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.mesh4j.core.call.Endpoint;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * Names one endpoint of a destination the way the engine names it ({@code address:port}), so the
 * load balancer can find the subchannel the engine chose without comparing resolved socket
 * addresses. The name keeps the endpoint's {@code port} even when its gRPC traffic goes to
 * another one ({@code grpcPort}): only the address group a subchannel dials uses that port.
 * Immutable.
 */
record EndpointKey(String address, int port) {

  private static final int SLOTS = 64;

  /** Keys of recently chosen endpoints, direct-mapped by the endpoint's identity. */
  private static final AtomicReferenceArray<Cached> RECENT = new AtomicReferenceArray<>(SLOTS);

  private record Cached(Endpoint endpoint, EndpointKey key) {}

  // Written out, as Endpoint's are: the generated ones cost start-up time on their first call.

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof EndpointKey k && port == k.port && Objects.equals(address, k.address);
  }

  @Override
  public int hashCode() {
    return 31 * Objects.hashCode(address) + port;
  }

  /**
   * The key of {@code endpoint}, made once per endpoint of a snapshot rather than once per attempt:
   * a snapshot's endpoints are shared by all its calls, so they are compared by identity, and an
   * endpoint of a new snapshot costs one miss. Thread-safe (entries are immutable and replaced
   * whole).
   */
  @SuppressWarnings("ReferenceEquality") // identity is the point: see above
  static EndpointKey of(Endpoint endpoint) {
    int slot = System.identityHashCode(endpoint) & (SLOTS - 1);
    Cached c = RECENT.get(slot);
    if (c != null && c.endpoint == endpoint) {
      return c.key;
    }
    EndpointKey key = new EndpointKey(endpoint.address(), endpoint.port());
    RECENT.set(slot, new Cached(endpoint, key));
    return key;
  }

  /** Tags each resolved address group with the endpoint it stands for. */
  static final Attributes.Key<EndpointKey> ATTRIBUTE = Attributes.Key.create("mesh4j.endpoint");

  /** Where the load balancer reports each endpoint's connection to the mesh. */
  static final Attributes.Key<ConnectionReports> CONNECTIONS =
      Attributes.Key.create("mesh4j.connections");

  /** Receives whether the channel has a ready connection to an endpoint. */
  interface ConnectionReports {
    void report(EndpointKey endpoint, boolean ready);
  }

  /** How a channel's subchannels address its endpoints: set by its resolver, read by its balancer. */
  static final Attributes.Key<Addressing> ADDRESSING = Attributes.Key.create("mesh4j.addressing");

  /** How a subchannel addresses the endpoint it connects to. */
  enum Addressing {
    /** A socket to the endpoint's address and gRPC port. */
    SOCKET,
    /**
     * The same socket, with the endpoint itself ({@code address:port}) as the connection's
     * authority, so that a TLS handshake knows which endpoint it verifies.
     */
    SOCKET_ENDPOINT_AUTHORITY,
    /**
     * grpc-java's in-process transport: the in-process server named after the endpoint's address
     * and gRPC port ({@link InProcessEndpoints}).
     */
    IN_PROCESS
  }

  /** The address group of {@code key}, dialling {@code dialPort} (the endpoint's gRPC port). */
  static EquivalentAddressGroup group(EndpointKey key, int dialPort, Addressing addressing) {
    Attributes.Builder attrs = Attributes.newBuilder().set(ATTRIBUTE, key);
    SocketAddress address;
    if (addressing == Addressing.IN_PROCESS) {
      address = InProcessEndpoints.address(name(key.address(), dialPort));
    } else {
      address = new InetSocketAddress(key.address(), dialPort);
      if (addressing == Addressing.SOCKET_ENDPOINT_AUTHORITY) {
        attrs.set(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE, key.toString());
      }
    }
    return new EquivalentAddressGroup(address, attrs.build());
  }

  /** {@code address:port}, with {@code port} in place of the key's own. */
  static String name(String address, int port) {
    return address.indexOf(':') >= 0 ? "[" + address + "]:" + port : address + ":" + port;
  }

  @Override
  public String toString() {
    return name(address, port);
  }
}
