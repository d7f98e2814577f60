package io.mesh4j.core.engine.balance;

import io.mesh4j.core.base.MeshRandom;

/**
 * Power of two random choices: of two distinct random candidates, the one with fewer requests in
 * flight per unit of weight wins. Each random draw starts a scan that moves to the next eligible
 * endpoint, so ejected or tried endpoints cost no extra draws. Stateless.
 */
public final class LeastRequestBalancer extends Balancer {

  public static final LeastRequestBalancer INSTANCE = new LeastRequestBalancer();

  private LeastRequestBalancer() {}

  @Override
  int pick(Candidates set, PickContext ctx, long now, int limit, boolean allowTried) {
    MeshRandom random = ctx.random();
    int a =
        set.scan((int) random.nextLong(MeshRandom.Purpose.LOAD_BALANCE, limit), limit, -1,
            allowTried, ctx, now);
    if (a < 0 || limit == 1) {
      return a;
    }
    int b =
        set.scan((int) random.nextLong(MeshRandom.Purpose.LOAD_BALANCE, limit), limit, a,
            allowTried, ctx, now);
    if (b < 0) {
      return a;
    }
    long loadA = (long) set.inFlight(a) * set.weight(b);
    long loadB = (long) set.inFlight(b) * set.weight(a);
    return loadB < loadA ? b : a;
  }
}
