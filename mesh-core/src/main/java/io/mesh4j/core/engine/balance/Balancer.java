package io.mesh4j.core.engine.balance;

/**
 * Picks an endpoint index inside an {@link Candidates}. Implementations are immutable apart from
 * atomic cursors and are shared by all calls of a snapshot.
 */
public abstract class Balancer {

  /**
   * Picks among the first {@code limit} endpoints of {@code set} (the set orders local-zone
   * endpoints first) those {@link Candidates#eligible} in {@code mode}.
   *
   * @return the index, or -1 when no endpoint qualifies
   */
  abstract int pick(Candidates set, PickContext ctx, long now, int limit, int mode);

  /** Whether the balancer may be restricted to the local zone; hashing balancers may not. */
  boolean zoneRestrictable() {
    return true;
  }

  /**
   * Walks a hash ring or lookup table from {@code start}, wrapping once, to the first eligible
   * owner, so a key whose endpoint is ejected or already tried moves to its next neighbour only.
   *
   * @return the endpoint index, or -1 when no owner qualifies
   */
  static int firstEligibleOwner(
      int[] owners, int start, Candidates set, PickContext ctx, long now, int mode) {
    int n = owners.length;
    for (int k = 0; k < n; k++) {
      int p = start + k;
      if (p >= n) {
        p -= n;
      }
      int owner = owners[p];
      if (set.eligible(owner, mode, ctx, now)) {
        return owner;
      }
    }
    return -1;
  }
}
