package io.mesh4j.core.engine.balance;

/**
 * Power of two random choices: of two distinct candidates drawn uniformly among the eligible ones,
 * the one with the lower {@link #load} per unit of weight wins. Stateless.
 */
abstract class PowerOfTwoBalancer extends Balancer {

  @Override
  final int pick(Candidates set, PickContext ctx, long now, int limit, int mode) {
    int a = set.draw(limit, -1, mode, ctx, now);
    if (a < 0 || limit == 1) {
      return a;
    }
    int b = set.draw(limit, a, mode, ctx, now);
    if (b < 0) {
      return a;
    }
    // a/wa <= b/wb without dividing; ties go to the first draw, which is uniform
    return load(set, b, now) * set.weight(a) < load(set, a, now) * set.weight(b) ? b : a;
  }

  /** Endpoint {@code i}'s load, before its weight; higher loses. */
  abstract double load(Candidates set, int i, long now);
}
