package io.mesh4j.core.engine.balance;

/**
 * Power of two random choices on latency (Finagle's {@code PeakEwma}, Linkerd's default): an
 * endpoint's load is its peak-sensitive moving average of latency times its requests in flight
 * (plus one), made heavier by recent failures. The average jumps up at once on a slow response and
 * fades over the policy's decay time, so a slow endpoint loses its share within a few calls and is
 * tried again once its estimate has faded. An endpoint with no sample yet costs nothing while idle
 * (so new endpoints are tried) and counts as answering in a second while a request to it is pending
 * (so a cold connection does not collect a queue before it has answered once).
 */
public final class PeakEwmaBalancer extends PowerOfTwoBalancer {

  public static final PeakEwmaBalancer INSTANCE = new PeakEwmaBalancer();

  // the latency assumed of an endpoint that has a request pending but has not answered yet
  private static final double UNPROVEN_NANOS = 1e9;

  private PeakEwmaBalancer() {}

  @Override
  double load(Candidates set, int i, long now) {
    int pending = set.inFlight(i);
    double latency = set.latency(i, now);
    if (latency == 0) {
      return pending == 0 ? 0 : UNPROVEN_NANOS * (pending + 1);
    }
    return latency * (pending + 1) * (1 + set.failures(i, now));
  }
}
