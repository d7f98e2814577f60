package io.mesh4j.core.call;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One network endpoint of a destination service, as the engine picked it for an attempt.
 *
 * <p>Immutable.
 *
 * @param address IP address or host name
 * @param port TCP port
 * @param labels the endpoint's labels (subsets select on them); never null, possibly empty
 * @param zone the endpoint's zone, or null when unknown
 * @param weight relative load-balancing weight, at least 1
 * @param identity the SPIFFE ID the endpoint must present under mTLS, or null when not known
 * @param grpcPort the TCP port that serves gRPC when it differs from {@code port}, else 0; the
 *     endpoint's name ({@link #authority()}) keeps {@code port} either way
 */
public record Endpoint(
    String address,
    int port,
    Map<String, String> labels,
    @Nullable String zone,
    int weight,
    @Nullable String identity,
    int grpcPort) {

  public Endpoint {
    labels = Map.copyOf(labels);
  }

  /** An endpoint that serves gRPC on {@code port} too. */
  public Endpoint(
      String address,
      int port,
      Map<String, String> labels,
      @Nullable String zone,
      int weight,
      @Nullable String identity) {
    this(address, port, labels, zone, weight, identity, 0);
  }

  // equals and hashCode are written out: the generated ones link through method handles
  // (ObjectMethods) on their first call, about 20 ms of a JVM's start-up before its first call.

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Endpoint e
        && port == e.port
        && weight == e.weight
        && grpcPort == e.grpcPort
        && Objects.equals(address, e.address)
        && labels.equals(e.labels)
        && Objects.equals(zone, e.zone)
        && Objects.equals(identity, e.identity);
  }

  @Override
  public int hashCode() {
    int h = Objects.hashCode(address);
    h = 31 * h + port;
    h = 31 * h + labels.hashCode();
    h = 31 * h + Objects.hashCode(zone);
    h = 31 * h + weight;
    h = 31 * h + Objects.hashCode(identity);
    return 31 * h + grpcPort;
  }

  /** The port gRPC clients dial: {@link #grpcPort} when set, else {@link #port}. */
  public int grpcDialPort() {
    return grpcPort != 0 ? grpcPort : port;
  }

  /** {@code address:port}, with IPv6 addresses in brackets. */
  public String authority() {
    return authority(address, port);
  }

  /** {@code address:port}, with an IPv6 address in brackets. */
  public static String authority(String address, int port) {
    return address.indexOf(':') >= 0 ? "[" + address + "]:" + port : address + ":" + port;
  }
}
