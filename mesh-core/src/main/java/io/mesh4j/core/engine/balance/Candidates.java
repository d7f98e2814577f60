package io.mesh4j.core.engine.balance;

import io.mesh4j.core.base.MeshRandom;

/**
 * The endpoints a {@link Balancer} picks among, as indexes: all a balancer needs to know of an
 * {@link EndpointSet}, so that the set can own its balancer without the two depending on each
 * other.
 */
abstract class Candidates {

  /** {@link #eligible} mode bit: endpoints an earlier attempt of the call went to qualify. */
  static final int ALLOW_TRIED = 1;

  /** {@link #eligible} mode bit: ejected endpoints qualify (panic mode). */
  static final int ALLOW_EJECTED = 2;

  /** {@link #eligible} mode bit: endpoints without a ready connection qualify. */
  static final int ALLOW_CONNECTING = 4;

  /**
   * Draws before a uniform draw among eligible endpoints gives up and scans. Draws that hit an
   * ineligible endpoint are redrawn rather than moved to a neighbour, so an ejected endpoint's
   * share spreads over all the others instead of falling on the next one.
   */
  private static final int DRAWS = 4;

  /**
   * Whether endpoint {@code i} qualifies: not ejected unless {@link #ALLOW_EJECTED}, not tried by
   * this call unless {@link #ALLOW_TRIED}, with a ready connection unless {@link
   * #ALLOW_CONNECTING}.
   */
  abstract boolean eligible(int i, int mode, PickContext ctx, long now);

  /** Requests in flight to endpoint {@code i}. */
  abstract int inFlight(int i);

  /** Endpoint {@code i}'s weight, at least 1. */
  abstract int weight(int i);

  /** Endpoint {@code i}'s peak-EWMA latency in nanoseconds now, or 0 before its first sample. */
  abstract double latency(int i, long now);

  /** Lowers endpoint {@code i}'s latency estimate after it lost a pick; see {@link PeakEwmaBalancer}. */
  abstract void ageLatency(int i);

  /** Endpoint {@code i}'s recent failures, a count that fades with time. */
  abstract double failures(int i, long now);

  /** The first eligible index at or after {@code start} (wrapping within {@code limit}). */
  final int scan(int start, int limit, int exclude, int mode, PickContext ctx, long now) {
    for (int k = 0; k < limit; k++) {
      int i = start + k;
      if (i >= limit) {
        i -= limit;
      }
      if (i != exclude && eligible(i, mode, ctx, now)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * An eligible index other than {@code exclude}, drawn uniformly among those below {@code
   * limit}; after {@link #DRAWS} misses it scans from a random start, which is rare enough that its
   * bias towards a neighbour of an ineligible endpoint does not show.
   */
  final int draw(int limit, int exclude, int mode, PickContext ctx, long now) {
    MeshRandom random = ctx.random();
    // with an exclusion, draw among the other limit - 1 indexes: one draw, still uniform
    int range = exclude >= 0 && exclude < limit ? limit - 1 : limit;
    for (int k = 0; k < DRAWS && range > 0; k++) {
      int i = (int) random.nextLong(MeshRandom.Purpose.LOAD_BALANCE, range);
      if (range < limit && i >= exclude) {
        i++;
      }
      if (eligible(i, mode, ctx, now)) {
        return i;
      }
    }
    return scan(
        (int) random.nextLong(MeshRandom.Purpose.LOAD_BALANCE, limit), limit, exclude, mode, ctx,
        now);
  }
}
