package io.mesh4j.core.engine.balance;

/**
 * The endpoints a {@link Balancer} picks among, as indexes: all a balancer needs to know of an
 * {@link EndpointSet}, so that the set can own its balancer without the two depending on each
 * other.
 */
abstract class Candidates {

  /** Whether endpoint {@code i} is not ejected and, unless {@code allowTried}, not tried yet. */
  abstract boolean eligible(int i, boolean allowTried, PickContext ctx, long now);

  /** Requests in flight to endpoint {@code i}. */
  abstract int inFlight(int i);

  /** Endpoint {@code i}'s weight, at least 1. */
  abstract int weight(int i);

  /** The first eligible index at or after {@code start} (wrapping within {@code limit}). */
  final int scan(int start, int limit, int exclude, boolean allowTried, PickContext ctx, long now) {
    for (int k = 0; k < limit; k++) {
      int i = start + k;
      if (i >= limit) {
        i -= limit;
      }
      if (i != exclude && eligible(i, allowTried, ctx, now)) {
        return i;
      }
    }
    return -1;
  }
}
