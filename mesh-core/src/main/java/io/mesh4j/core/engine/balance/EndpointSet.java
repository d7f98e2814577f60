package io.mesh4j.core.engine.balance;

import io.mesh4j.core.call.Endpoint;
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
 * <p>Immutable; thread-safe.
 */
public final class EndpointSet extends Candidates {

  final Endpoint[] endpoints;
  private final EndpointHealth[] healths;
  private final int[] weights;
  private final int localCount;
  private final Balancer balancer;
  private final boolean zoneRestricted;

  /**
   * @param endpoints local-zone endpoints first
   * @param localCount how many leading endpoints are in the local zone
   * @param lb the destination's load balancer policy, or null for least-request without zones
   */
  public EndpointSet(
      Endpoint[] endpoints,
      EndpointHealth[] healths,
      int localCount,
      DestinationPolicy.@Nullable LoadBalancer lb) {
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
  }

  private static Balancer balancer(
      DestinationPolicy.@Nullable LoadBalancer lb, Endpoint[] endpoints, int[] weights) {
    if (lb == null) {
      return LeastRequestBalancer.INSTANCE;
    }
    String header = lb.hashHeader();
    return switch (lb.policy()) {
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

  /**
   * Picks an endpoint: untried local-zone endpoints first (when zone-aware), then untried ones
   * anywhere, then any available one.
   *
   * @return the index, or -1 when every endpoint is ejected
   */
  public int pick(PickContext ctx, long now) {
    int n = endpoints.length;
    if (n == 0) {
      return -1;
    }
    int i = -1;
    if (zoneRestricted && localHealthy(now)) {
      i = balancer.pick(this, ctx, now, localCount, false);
    }
    if (i < 0) {
      i = balancer.pick(this, ctx, now, n, false);
    }
    if (i < 0) {
      i = balancer.pick(this, ctx, now, n, true);
    }
    return i;
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
    return healths[i].inFlight.get();
  }

  @Override
  int weight(int i) {
    return weights[i];
  }

  @Override
  boolean eligible(int i, boolean allowTried, PickContext ctx, long now) {
    EndpointHealth h = healths[i];
    return h.available(now) && (allowTried || !ctx.alreadyTried(h));
  }
}
