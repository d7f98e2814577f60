package io.mesh4j.core.engine.balance;

/**
 * Power of two random choices on requests in flight, made heavier by recent failures: an endpoint
 * that fails fast keeps few requests in flight, and would otherwise attract traffic for exactly
 * that reason.
 */
public final class LeastRequestBalancer extends PowerOfTwoBalancer {

  public static final LeastRequestBalancer INSTANCE = new LeastRequestBalancer();

  private LeastRequestBalancer() {}

  @Override
  double load(Candidates set, int i, long now) {
    return (set.inFlight(i) + 1) * (1 + set.failures(i, now));
  }
}
