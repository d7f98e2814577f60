package io.mesh4j.controller.serve;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What one connected application holds, as operators see it (like {@code istioctl proxy-status}):
 * a mesh4j policy stream ({@link #NATIVE}) or an xDS peer's ADS stream ({@link #XDS}).
 *
 * <p>An xDS peer is named by what it proved: its ServiceAccount as {@code application}, its
 * namespace, its SPIFFE ID; without authentication it is {@link #UNAUTHENTICATED} in no namespace.
 * Its versions are the controller's xDS versions: {@code sentVersion} the latest it was sent of
 * any type, {@code ackedVersion} the oldest it applied over the types it was sent.
 *
 * <p>Immutable.
 *
 * @param session the stream's number, unique among every kind of stream while the controller runs
 * @param application the name the application introduced itself with (xDS: its proven
 *     ServiceAccount)
 * @param namespace its namespace
 * @param identity its SPIFFE ID, empty if it gave none
 * @param peer its network address
 * @param scope the services it calls and serves
 * @param sentVersion the number of the latest version it was sent (or confirmed), 0 if none
 * @param resources the resources of that version, {@code Kind namespace/name}, endpoints included
 * @param ackedVersion the number of the latest version it applied, 0 if none
 * @param ackedHash the content hash of that version, empty if none
 * @param lastNack its latest refusal, or null if it never refused a version on this stream
 * @param lastSync when it last applied, confirmed or refused a version, or null if it has not yet
 * @param connectedSince when its stream opened
 * @param adminUrl where operators reach its admin endpoint (its address as the controller sees it,
 *     with the scheme, port and path it reported), empty until it reports one
 * @param kind {@link #NATIVE} or {@link #XDS}
 * @param node xDS: the node id the peer claimed, for information only (never who it is); empty
 *     for mesh4j streams
 * @param ackedByType xDS: the version applied per resource type sent ({@code Listener}, {@code
 *     RouteConfiguration}, {@code Cluster}, {@code ClusterLoadAssignment}), 0 while none is;
 *     empty for mesh4j streams
 */
public record ApplicationStatus(
    long session,
    String application,
    String namespace,
    String identity,
    String peer,
    String scope,
    long sentVersion,
    List<String> resources,
    long ackedVersion,
    String ackedHash,
    @Nullable Nack lastNack,
    @Nullable Instant lastSync,
    Instant connectedSince,
    String adminUrl,
    String kind,
    String node,
    Map<String, Long> ackedByType) {

  /** The kind of a mesh4j policy stream. */
  public static final String NATIVE = "mesh4j";

  /** The kind of an xDS peer's ADS stream. */
  public static final String XDS = "xds";

  /** The application name of an xDS peer of a controller without authentication: it proved nothing. */
  public static final String UNAUTHENTICATED = "unauthenticated";

  /**
   * A refused version.
   *
   * @param version its number
   * @param hash its content hash, empty for xDS
   * @param reasons every problem the application named (xDS: the peer's {@code error_detail})
   * @param at when the refusal arrived
   * @param type xDS: the refused resource type ({@code Cluster}, ...); empty for mesh4j streams
   * @param names xDS: the names of the resources of the refused response; empty for mesh4j streams
   */
  public record Nack(long version, String hash, List<String> reasons, Instant at, String type, List<String> names) {
    public Nack {
      reasons = List.copyOf(reasons);
      names = List.copyOf(names);
    }

    /** A mesh4j stream's refusal. */
    public Nack(long version, String hash, List<String> reasons, Instant at) {
      this(version, hash, reasons, at, "", List.of());
    }
  }

  public ApplicationStatus {
    resources = List.copyOf(resources);
    ackedByType = Map.copyOf(ackedByType);
  }

  /** Whether the application applied the latest version it was sent. */
  public boolean inSync() {
    return sentVersion != 0 && sentVersion == ackedVersion;
  }
}
