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
    if (beats(set, b, a, now)) {
      lost(set, a);
      return b;
    }
    lost(set, b);
    return a;
  }

  /**
   * Whether {@code b} is strictly better than {@code a}: by default a lower {@link #load} per unit
   * of weight. Ties go to {@code a}, the first draw, which is uniform.
   */
  boolean beats(Candidates set, int b, int a, long now) {
    // b/wb < a/wa without dividing
    return load(set, b, now) * set.weight(a) < load(set, a, now) * set.weight(b);
  }

  /** Called with the candidate that was compared and not chosen; nothing by default. */
  void lost(Candidates set, int i) {}

  /** Endpoint {@code i}'s load, before its weight; higher loses. */
  abstract double load(Candidates set, int i, long now);
}
