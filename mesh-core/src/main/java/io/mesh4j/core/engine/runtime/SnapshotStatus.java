package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.telemetry.MeshStatus.DestinationStatus;
import io.mesh4j.core.telemetry.MeshStatus.EndpointStatus;
import io.mesh4j.core.telemetry.MeshStatus.SubsetStatus;
import io.mesh4j.core.engine.balance.EndpointSet;
import io.mesh4j.core.engine.route.Backend;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Reads a snapshot and the live state of its guards into {@link DestinationStatus} values, for
 * {@code Mesh.status()}. Off the call path: it allocates freely and sorts.
 */
public final class SnapshotStatus {

  private SnapshotStatus() {}

  /** Every destination of {@code snapshot}, sorted by name, as seen at ticker time {@code now}. */
  public static List<DestinationStatus> destinations(MeshSnapshot snapshot, long now) {
    List<DestinationStatus> out = new ArrayList<>();
    List<DestinationRuntime> runtimes = new ArrayList<>(snapshot.destinationRuntimes());
    runtimes.sort(Comparator.comparing(d -> d.name));
    for (DestinationRuntime d : runtimes) {
      List<SubsetStatus> subsets = new ArrayList<>();
      for (Backend b : new TreeMap<>(d.subsets).values()) {
        subsets.add(subset(b, now));
      }
      subsets.add(subset(d.all, now));
      out.add(new DestinationStatus(d.name, d.endpoints, subsets));
    }
    return out;
  }

  private static SubsetStatus subset(Backend b, long now) {
    EndpointSet set = b.endpoints();
    List<EndpointStatus> endpoints = new ArrayList<>(set.size());
    for (int i = 0; i < set.size(); i++) {
      // available() also ends an ejection whose time is up, as the next pick would
      boolean ejected = !set.health(i).available(now);
      endpoints.add(new EndpointStatus(set.endpoint(i), ejected, set.health(i).ejections()));
    }
    return new SubsetStatus(b.name(), b.guard().state(), b.guard().active(), endpoints);
  }
}
