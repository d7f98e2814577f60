package io.mesh4j.core.engine.balance;

/**
 * Power of two random choices on latency (Finagle's {@code PeakEwma}, Linkerd's default): an
 * endpoint's load is its peak-sensitive moving average of latency times its requests in flight
 * (plus one), made heavier by recent failures. The average jumps up at once on a slow response and
 * fades over the policy's decay time, so a slow endpoint loses its share within a few calls and is
 * tried again once its estimate has faded. An endpoint's estimate is set by its second answer, to
 * the lower of its first two (a first answer often carries a cold path, which would otherwise cost
 * the endpoint its share until the decay time had passed). Until then it costs nothing while idle
 * (so new endpoints are tried) and counts as answering in a second while a request to it is pending
 * (so a cold connection does not collect a queue before it has answered).
 *
 * <p>An estimate fades with time, but a busy caller makes thousands of decisions within one
 * decay time. So an endpoint's estimate also ages by a sixteenth each time it loses a comparison:
 * one that keeps losing is tried again after a bounded number of decisions (about 60 for one 100
 * times slower than its rival), and its next answers set its estimate again. One answer more than
 * twice the estimate (a pause of the caller's own, a cold path) moves nothing until a second in a
 * row confirms it, and latencies within a factor of two count as equal, requests in flight and
 * recent failures deciding as with least-request: healthy replicas differ by that much from one
 * moment to the next, and following such noise handed one of two equal endpoints most of a single
 * caller's calls for seconds at a time.
 */
public final class PeakEwmaBalancer extends PowerOfTwoBalancer {

  public static final PeakEwmaBalancer INSTANCE = new PeakEwmaBalancer();

  // the latency assumed of an endpoint that has a request pending but has not answered yet
  private static final double UNPROVEN_NANOS = 1e9;

  // latencies closer than this factor are alike
  private static final double ALIKE = 2;

  private PeakEwmaBalancer() {}

  @Override
  void lost(Candidates set, int i) {
    set.ageLatency(i);
  }

  @Override
  boolean beats(Candidates set, int b, int a, long now) {
    double la = set.latency(a, now);
    double lb = set.latency(b, now);
    if (la > 0 && lb > 0 && la < lb * ALIKE && lb < la * ALIKE) {
      la = 1;
      lb = 1;
    }
    return cost(set, b, lb, now) * set.weight(a) < cost(set, a, la, now) * set.weight(b);
  }

  @Override
  double load(Candidates set, int i, long now) {
    return cost(set, i, set.latency(i, now), now);
  }

  private static double cost(Candidates set, int i, double latency, long now) {
    int pending = set.inFlight(i);
    if (latency == 0) {
      return pending == 0 ? 0 : UNPROVEN_NANOS * (pending + 1);
    }
    return latency * (pending + 1) * (1 + set.failures(i, now));
  }
}
