package io.mesh4j.core.engine.balance;

/**
 * Picks an endpoint index inside an {@link EndpointSet}. Implementations are immutable apart from
 * atomic cursors and are shared by all calls of a snapshot.
 */
public abstract class Balancer {

  /**
   * Picks among the first {@code limit} endpoints of {@code set} (the set orders local-zone
   * endpoints first), skipping ejected ones and, unless {@code allowTried}, ones already tried.
   *
   * @return the index, or -1 when no endpoint qualifies
   */
  abstract int pick(EndpointSet set, PickContext ctx, long now, int limit, boolean allowTried);

  /** Whether the balancer may be restricted to the local zone; hashing balancers may not. */
  boolean zoneRestrictable() {
    return true;
  }
}
