package io.mesh4j.core.engine.balance;

import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.engine.resilience.Decay;
import io.mesh4j.core.engine.resilience.Ejections;
import io.mesh4j.core.engine.resilience.EndpointHealth;
import io.mesh4j.core.policy.DestinationPolicy;
import org.jspecify.annotations.Nullable;

/**
 * The endpoints of one subset (or of the whole destination) as compiled for one snapshot: arrays
 * of endpoints, their long-lived health and their weights, local-zone endpoints first, and the
 * balancer that picks among them.
 *
 * <p>Zone-aware preference: while more than half of the local-zone endpoints are available, picks
 * stay in the local zone; otherwise they spread over all zones. Consistent-hashing balancers are
 * never restricted to a zone, because that would move keys whenever zone health changes.
 *
 * <p>Panic mode (Envoy's): while fewer than the policy's {@code panicThreshold} share of the
 * endpoints is available, picks ignore ejections, because the few survivors would not carry the
 * whole load and no traffic at all would be worse. Counting the available endpoints costs a pass
 * over the set, so it is done only while {@link Ejections} says an ejection may be running.
 *
 * <p>Immutable; thread-safe.
 */
public final class EndpointSet extends Candidates {

  final Endpoint[] endpoints;
  private final EndpointHealth[] healths;
  private final int[] weights;
  private final int localCount;
  private final Balancer balancer;
  private final boolean zoneRestricted;
  private final Decay decay;
  private final double panicThreshold;
  private final Ejections ejections;
  private final DestinationPolicy.LbPolicy policy;

  /**
   * @param endpoints local-zone endpoints first
   * @param localCount how many leading endpoints are in the local zone
   * @param lb the destination's load balancer policy, or null for peak-EWMA without zones or
   *     panic mode
   * @param ejections when the destination's last ejection ends
   */
  public EndpointSet(
      Endpoint[] endpoints,
      EndpointHealth[] healths,
      int localCount,
      DestinationPolicy.@Nullable LoadBalancer lb,
      Ejections ejections) {
    this.endpoints = endpoints;
    this.healths = healths;
    this.weights = new int[endpoints.length];
    for (int i = 0; i < endpoints.length; i++) {
      weights[i] = Math.max(1, endpoints[i].weight());
    }
    this.localCount = localCount;
    this.balancer = balancer(lb, endpoints, weights);
    this.zoneRestricted =
        lb != null
            && lb.zoneAware()
            && balancer.zoneRestrictable()
            && localCount > 0
            && localCount < endpoints.length;
    this.decay = lb == null ? Decay.standard() : Decay.of(lb.decayTime().toNanos());
    this.panicThreshold = lb == null ? 0 : lb.panicThreshold();
    this.ejections = ejections;
    this.policy = lb == null ? DestinationPolicy.LbPolicy.PEAK_EWMA : lb.policy();
  }

  /** The load-balancing policy the set picks by. */
  public DestinationPolicy.LbPolicy policy() {
    return policy;
  }

  /** The hash header of a consistent-hashing policy, or null. */
  public @Nullable String hashHeader() {
    return balancer instanceof RingHashBalancer r
        ? r.header()
        : balancer instanceof MaglevBalancer m ? m.header() : null;
  }

  /**
   * The endpoint round robin would pick next among those {@code eligible} accepts, read without
   * moving its cursor; -1 when none qualifies or the set is not round robin. Only reads.
   */
  public int peekRoundRobin(java.util.function.IntPredicate eligible) {
    return balancer instanceof RoundRobinBalancer rr ? rr.peek(eligible) : -1;
  }


  private static Balancer balancer(
      DestinationPolicy.@Nullable LoadBalancer lb, Endpoint[] endpoints, int[] weights) {
    if (lb == null) {
      return PeakEwmaBalancer.INSTANCE;
    }
    String header = lb.hashHeader();
    return switch (lb.policy()) {
      case PEAK_EWMA -> PeakEwmaBalancer.INSTANCE;
      case LEAST_REQUEST -> LeastRequestBalancer.INSTANCE;
      case ROUND_ROBIN -> new RoundRobinBalancer(weights);
      case RING_HASH -> new RingHashBalancer(lower(header), endpoints, weights);
      case MAGLEV -> new MaglevBalancer(lower(header), endpoints, weights);
    };
  }

  private static String lower(@Nullable String header) {
    if (header == null) {
      throw new IllegalArgumentException("consistent hashing needs a hashHeader");
    }
    return header.toLowerCase(java.util.Locale.ROOT);
  }

  public int size() {
    return endpoints.length;
  }

  public Endpoint endpoint(int i) {
    return endpoints[i];
  }

  public EndpointHealth health(int i) {
    return healths[i];
  }

  /** How the latency and failure signals fade. */
  public Decay decay() {
    return decay;
  }

  /**
   * Picks an endpoint: untried local-zone endpoints with a ready connection first (when
   * zone-aware), then untried ones anywhere with a ready connection, then untried ones still
   * connecting, then any available one; in panic mode, or when every endpoint is ejected and
   * panic mode is on, ejected ones too. A retry thus prefers waiting for a new connection to
   * repeating an endpoint that just failed; a first attempt never waits for one while another
   * endpoint has a ready connection.
   *
   * @return the index, or -1 when no endpoint may be picked
   */
  public int pick(PickContext ctx, long now) {
    int n = endpoints.length;
    if (n == 0) {
      return -1;
    }
    int mode = panicking(now) ? ALLOW_EJECTED : 0;
    int i = -1;
    if (zoneRestricted && mode == 0 && localHealthy(now)) {
      i = balancer.pick(this, ctx, now, localCount, mode);
    }
    if (i < 0) {
      i = balancer.pick(this, ctx, now, n, mode);
    }
    if (i < 0) {
      i = balancer.pick(this, ctx, now, n, mode | ALLOW_CONNECTING);
    }
    if (i < 0) {
      i = balancer.pick(this, ctx, now, n, mode | ALLOW_CONNECTING | ALLOW_TRIED);
    }
    if (i < 0 && panicThreshold > 0 && mode == 0) {
      i = balancer.pick(this, ctx, now, n, ALLOW_EJECTED | ALLOW_CONNECTING | ALLOW_TRIED);
    }
    return i;
  }

  private boolean panicking(long now) {
    if (panicThreshold <= 0 || !ejections.mayBeRunning(now)) {
      return false;
    }
    int n = endpoints.length;
    return (n - unavailable(now)) * 100.0 < panicThreshold * n;
  }

  /** How many endpoints are ejected now. */
  public int unavailable(long now) {
    int count = 0;
    for (EndpointHealth h : healths) {
      if (!h.available(now)) {
        count++;
      }
    }
    return count;
  }

  private boolean localHealthy(long now) {
    int allowedDown = (localCount - 1) / 2;
    int down = 0;
    for (int i = 0; i < localCount; i++) {
      if (!healths[i].available(now) && ++down > allowedDown) {
        return false;
      }
    }
    return true;
  }

  @Override
  int inFlight(int i) {
    return healths[i].inFlight();
  }

  @Override
  int weight(int i) {
    return weights[i];
  }

  @Override
  double latency(int i, long now) {
    return healths[i].latency(now, decay);
  }

  @Override
  void ageLatency(int i) {
    healths[i].ageLatency();
  }

  @Override
  double failures(int i, long now) {
    return healths[i].failures(now, decay);
  }

  @Override
  boolean eligible(int i, int mode, PickContext ctx, long now) {
    EndpointHealth h = healths[i];
    return ((mode & ALLOW_EJECTED) != 0 || h.available(now))
        && ((mode & ALLOW_CONNECTING) != 0 || !h.connecting())
        && ((mode & ALLOW_TRIED) != 0 || !ctx.alreadyTried(h));
  }
}
