package io.mesh4j.controller.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.mesh4j.controller.serve.ApplicationStatus;
import io.mesh4j.controller.serve.SnapshotDistributor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One xDS peer's ADS stream as operators see it: the last response of each type it was sent, what
 * it applied and its latest refusal, {@link SnapshotDistributor#publish published} with the policy
 * streams while the stream is open (when {@code shown}) and withdrawn when it closes.
 *
 * <p>Bounded whatever the peer sends: one entry per type the server sends, a refusal keeps at most
 * {@link #MAX_REASON_CHARS} of its message and {@link #MAX_NAMES} resource names, the node id at
 * most {@link #MAX_NODE_CHARS}.
 *
 * <p>Thread-safe: requests arrive on the call's thread, responses leave from the cache's.
 */
final class XdsPeer {

  static final int MAX_REASON_CHARS = 1_000;
  static final int MAX_NAMES = 20;
  static final int MAX_NAME_CHARS = 253;
  static final int MAX_NODE_CHARS = 128;

  private static final Map<String, String> TYPES = Map.of(
      Resources.V3.LISTENER_TYPE_URL, "Listener",
      Resources.V3.ROUTE_TYPE_URL, "RouteConfiguration",
      Resources.V3.CLUSTER_TYPE_URL, "Cluster",
      Resources.V3.ENDPOINT_TYPE_URL, "ClusterLoadAssignment");

  /** A response sent; its resources' names are read only if it is refused. */
  private record Sent(String nonce, String version, Supplier<List<String>> names) {}

  private final SnapshotDistributor distributor;
  private final boolean shown;
  private final long session;
  private final String application;
  private final String namespace;
  private final String identity;
  private final String address;
  private final String scope;
  private final String node;
  private final Instant connectedSince;

  // Guarded by this.
  private final Map<String, Sent> sent = new HashMap<>();
  private final Map<String, String> acked = new HashMap<>();
  private ApplicationStatus.@Nullable Nack lastNack;
  private @Nullable Instant lastSync;
  private boolean closed;

  /**
   * @param shown whether the stream shows on status (peers past the per-identity bound are served
   *     but not shown)
   * @param identity the proven SPIFFE ID, empty without authentication
   */
  XdsPeer(SnapshotDistributor distributor, boolean shown, String application, String namespace, String identity,
      String address, String scope, String claimedNode) {
    this.distributor = distributor;
    this.shown = shown;
    this.session = distributor.newSession();
    this.application = application;
    this.namespace = namespace;
    this.identity = identity;
    this.address = address;
    this.scope = scope;
    this.node = shorten(claimedNode, MAX_NODE_CHARS);
    this.connectedSince = distributor.clock().instant();
    publish();
  }

  /** A response of {@code typeUrl} left on the stream. */
  synchronized void sent(String typeUrl, String nonce, String version, Supplier<List<String>> names) {
    sent.put(typeUrl, new Sent(nonce, version, names));
    publish();
  }

  /** The version of the last response of {@code typeUrl} if it carried {@code nonce}, else null. */
  synchronized @Nullable String lastSent(String typeUrl, String nonce) {
    Sent s = sent.get(typeUrl);
    return s != null && s.nonce().equals(nonce) ? s.version() : null;
  }

  /**
   * The peer answered the response of {@code typeUrl} that carried {@code nonce}: applied it, or,
   * with an {@code error}, refused it (and keeps what it held). An answer to an older response, or
   * a first request, changes nothing.
   */
  synchronized void answered(String typeUrl, String nonce, @Nullable String error) {
    Sent s = sent.get(typeUrl);
    if (s == null || !s.nonce().equals(nonce)) {
      return;
    }
    Instant now = distributor.clock().instant();
    lastSync = now;
    if (error == null) {
      acked.put(typeUrl, s.version());
    } else {
      List<String> names = new ArrayList<>();
      List<String> all = s.names().get();
      for (String name : all) {
        if (names.size() == MAX_NAMES) {
          names.add("(" + (all.size() - MAX_NAMES) + " more)");
          break;
        }
        names.add(shorten(name, MAX_NAME_CHARS));
      }
      String reason = error.isEmpty() ? "(no reason given)" : shorten(error, MAX_REASON_CHARS);
      lastNack = new ApplicationStatus.Nack(number(s.version()), "", List.of(reason), now, type(typeUrl), names);
    }
    publish();
  }

  /** The stream closed: it no longer shows. */
  synchronized void close() {
    closed = true;
    if (shown) {
      distributor.withdraw(session);
    }
  }

  private void publish() {
    if (!shown || closed) {
      return;
    }
    long sentVersion = 0;
    long ackedVersion = Long.MAX_VALUE;
    Map<String, Long> byType = new HashMap<>();
    for (Map.Entry<String, Sent> e : sent.entrySet()) {
      sentVersion = Math.max(sentVersion, number(e.getValue().version()));
      long a = number(acked.getOrDefault(e.getKey(), ""));
      ackedVersion = Math.min(ackedVersion, a);
      byType.put(type(e.getKey()), a);
    }
    distributor.publish(new ApplicationStatus(
        session, application, namespace, identity, address, scope, sentVersion, List.of(),
        ackedVersion == Long.MAX_VALUE ? 0 : ackedVersion, "", lastNack, lastSync, connectedSince, "",
        ApplicationStatus.XDS, node, byType));
  }

  /** The short name of a type ({@code Cluster}), or its URL for a type of no known name. */
  static String type(String typeUrl) {
    return TYPES.getOrDefault(typeUrl, typeUrl);
  }

  /** The names of a response's resources, for a refusal. */
  static List<String> names(List<Any> resources) {
    List<String> out = new ArrayList<>(resources.size());
    for (Any a : resources) {
      try {
        out.add(switch (type(a.getTypeUrl())) {
          case "Listener" -> a.unpack(Listener.class).getName();
          case "RouteConfiguration" -> a.unpack(RouteConfiguration.class).getName();
          case "Cluster" -> a.unpack(Cluster.class).getName();
          case "ClusterLoadAssignment" -> a.unpack(ClusterLoadAssignment.class).getClusterName();
          default -> a.getTypeUrl();
        });
      } catch (InvalidProtocolBufferException e) {
        out.add("(unreadable " + a.getTypeUrl() + ")");
      }
    }
    return out;
  }

  /** A version this server wrote (a number), or 0. */
  private static long number(String version) {
    try {
      return Long.parseLong(version);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String shorten(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "... (" + s.length() + " characters)";
  }
}
