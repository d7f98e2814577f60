package io.mesh4j.core.call;

import java.util.Map;
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
 */
public record Endpoint(
    String address,
    int port,
    Map<String, String> labels,
    @Nullable String zone,
    int weight,
    @Nullable String identity) {

  public Endpoint {
    labels = Map.copyOf(labels);
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
