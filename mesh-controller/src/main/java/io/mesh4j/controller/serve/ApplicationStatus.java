package io.mesh4j.controller.serve;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What one connected application holds, as operators see it (like {@code istioctl proxy-status}).
 *
 * <p>Immutable.
 *
 * @param session the stream's number, unique while the controller runs
 * @param application the name the application introduced itself with
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
    String adminUrl) {

  /**
   * A refused version.
   *
   * @param version its number
   * @param hash its content hash
   * @param reasons every problem the application named
   * @param at when the refusal arrived
   */
  public record Nack(long version, String hash, List<String> reasons, Instant at) {
    public Nack {
      reasons = List.copyOf(reasons);
    }
  }

  public ApplicationStatus {
    resources = List.copyOf(resources);
  }

  /** Whether the application applied the latest version it was sent. */
  public boolean inSync() {
    return sentVersion != 0 && sentVersion == ackedVersion;
  }
}
