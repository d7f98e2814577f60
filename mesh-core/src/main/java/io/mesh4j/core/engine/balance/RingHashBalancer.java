package io.mesh4j.core.engine.balance;

import io.mesh4j.core.call.Endpoint;
import java.util.Arrays;

/**
 * Ketama-style consistent hashing: every endpoint owns {@value #POINTS_PER_WEIGHT} points per
 * unit of weight on a 64-bit ring, and a call goes to the owner of the first point at or after
 * the hash of its header. An endpoint's points depend only on its own address, so adding one
 * endpoint to N moves about 1/(N+1) of the keys. Calls without the header fall back to
 * least-request. Ejected (or, on retries, tried) owners are skipped by walking on along the ring.
 */
public final class RingHashBalancer extends Balancer {

  static final int POINTS_PER_WEIGHT = 160;
  private static final int MAX_POINTS = 1 << 20;

  private final String header;
  private final long[] points;
  private final int[] owners;

  public RingHashBalancer(String lowerCaseHeader, Endpoint[] endpoints, int[] weights) {
    this.header = lowerCaseHeader;
    long total = 0;
    for (int w : weights) {
      total += (long) w * POINTS_PER_WEIGHT;
    }
    double scale = total > MAX_POINTS ? (double) MAX_POINTS / total : 1.0;
    int n = 0;
    int[] counts = new int[endpoints.length];
    for (int i = 0; i < endpoints.length; i++) {
      counts[i] = (int) Math.max(1, Math.round((long) weights[i] * POINTS_PER_WEIGHT * scale));
      n += counts[i];
    }
    long[] raw = new long[n];
    int[] rawOwner = new int[n];
    int k = 0;
    for (int i = 0; i < endpoints.length; i++) {
      String base = endpoints[i].authority() + "_";
      for (int j = 0; j < counts[i]; j++) {
        raw[k] = Hashing.hash(base + j);
        rawOwner[k] = i;
        k++;
      }
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Long.compare(raw[x], raw[y]));
    this.points = new long[n];
    this.owners = new int[n];
    for (int i = 0; i < n; i++) {
      points[i] = raw[order[i]];
      owners[i] = rawOwner[order[i]];
    }
  }

  /** The header whose value is hashed, in lower case. */
  String header() {
    return header;
  }

  @Override
  int pick(Candidates set, PickContext ctx, long now, int limit, int mode) {
    String key = ctx.call().header(header);
    if (key == null || points.length == 0) {
      return LeastRequestBalancer.INSTANCE.pick(set, ctx, now, limit, mode);
    }
    int pos = Arrays.binarySearch(points, Hashing.hash(key));
    if (pos < 0) {
      pos = -pos - 1;
    }
    return firstEligibleOwner(owners, pos, set, ctx, now, mode);
  }

  @Override
  boolean zoneRestrictable() {
    return false;
  }
}
