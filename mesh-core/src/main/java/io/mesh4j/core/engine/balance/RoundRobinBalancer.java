package io.mesh4j.core.engine.balance;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Weighted round robin over a precomputed smooth schedule (nginx's algorithm), so that a weight
 * of 3 against 1 interleaves as a,a,b,a rather than a,a,a,b. One atomic cursor per snapshot.
 */
public final class RoundRobinBalancer extends Balancer {

  private static final int MAX_SCHEDULE = 4096;

  private final int[] schedule;
  private final AtomicInteger cursor = new AtomicInteger();

  public RoundRobinBalancer(int[] weights) {
    long total = 0;
    for (int w : weights) {
      total += w;
    }
    int[] w = weights.clone();
    if (total > MAX_SCHEDULE) {
      total = 0;
      for (int i = 0; i < w.length; i++) {
        w[i] = (int) Math.max(1, (long) weights[i] * MAX_SCHEDULE / sum(weights));
        total += w[i];
      }
    }
    int[] s = new int[(int) total];
    long[] current = new long[w.length];
    for (int k = 0; k < s.length; k++) {
      int best = 0;
      for (int i = 0; i < w.length; i++) {
        current[i] += w[i];
        if (current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      s[k] = best;
    }
    this.schedule = s;
  }

  private static long sum(int[] weights) {
    long t = 0;
    for (int w : weights) {
      t += w;
    }
    return t;
  }

  @Override
  int pick(Candidates set, PickContext ctx, long now, int limit, boolean allowTried) {
    int len = schedule.length;
    if (len == 0) {
      return -1;
    }
    int start = cursor.getAndIncrement();
    for (int k = 0; k < len; k++) {
      int i = schedule[Math.floorMod(start + k, len)];
      if (i < limit && set.eligible(i, allowTried, ctx, now)) {
        return i;
      }
    }
    return -1;
  }
}
