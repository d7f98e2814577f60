package io.mesh4j.core.engine.balance;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Weighted round robin over a precomputed smooth schedule (nginx's algorithm), so that a weight
 * of 3 against 1 interleaves as a,a,b,a rather than a,a,a,b. One atomic cursor per snapshot.
 *
 * <p>A slot whose endpoint does not qualify is passed over by taking the next slot from the shared
 * cursor, not by looking at the next slot of the schedule: the skipped slot is used up, so the
 * picks are the schedule without the ineligible endpoints and each survivor keeps its weighted
 * share. (Moving to the next slot instead would give an ejected endpoint's whole share to the
 * endpoint after it.)
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

  /**
   * The endpoint the next pick would take if only the endpoints {@code eligible} accepts qualify,
   * without moving the cursor; -1 when none does. For explanations: a concurrent call may take the
   * slot first.
   */
  int peek(java.util.function.IntPredicate eligible) {
    int len = schedule.length;
    int start = cursor.get();
    for (int k = 0; k < len; k++) {
      int i = schedule[Math.floorMod(start + k, len)];
      if (eligible.test(i)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  int pick(Candidates set, PickContext ctx, long now, int limit, int mode) {
    int len = schedule.length;
    for (int k = 0; k < len; k++) {
      int i = schedule[Math.floorMod(cursor.getAndIncrement(), len)];
      if (i < limit && set.eligible(i, mode, ctx, now)) {
        return i;
      }
    }
    return -1;
  }
}
