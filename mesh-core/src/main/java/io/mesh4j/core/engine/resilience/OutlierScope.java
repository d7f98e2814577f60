package io.mesh4j.core.engine.resilience;

import io.mesh4j.core.engine.Events;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The endpoints of one destination as one snapshot groups them (all endpoints, and each subset),
 * with how many of each group may be ejected at once. Ejections are decided one at a time
 * through a compare-and-set gate, so two endpoints failing together cannot both pass the
 * max-ejection check; an ejection that finds the gate taken is simply decided on a later failure.
 *
 * <p>Thread-safe. Created by the snapshot compiler; immutable apart from the gate.
 */
public final class OutlierScope {

  final String destination;
  final Events events;
  final EndpointHealth[][] groups;
  final int[] maxEjected;
  final AtomicBoolean gate = new AtomicBoolean();

  /**
   * @param groups each group's members; an endpoint may belong to several groups
   * @param maxEjectionPercent the policy's {@code maxEjectionPercent}
   */
  public OutlierScope(
      String destination, Events events, EndpointHealth[][] groups, double maxEjectionPercent) {
    this.destination = destination;
    this.events = events;
    this.groups = groups;
    this.maxEjected = new int[groups.length];
    for (int g = 0; g < groups.length; g++) {
      maxEjected[g] = maxEjected(groups[g].length, maxEjectionPercent);
    }
  }

  /**
   * How many of {@code size} endpoints may be ejected at once. Like Envoy, which documents that
   * it ejects "at least one host regardless of the value", a positive percentage always allows one
   * ejection; beyond that the share never exceeds the percentage. Envoy and gRPC check the share
   * before ejecting, which lets the share after the ejection exceed the percentage; we check the
   * share after it, so the limit holds as written.
   */
  public static int maxEjected(int size, double percent) {
    if (percent <= 0 || size == 0) {
      return 0;
    }
    return Math.max(1, (int) Math.floor(size * percent / 100.0));
  }

  boolean roomFor(int[] memberOf, long now) {
    for (int g : memberOf) {
      int ejected = 0;
      for (EndpointHealth h : groups[g]) {
        if (!h.available(now)) {
          ejected++;
        }
      }
      if (ejected + 1 > maxEjected[g]) {
        return false;
      }
    }
    return true;
  }
}
