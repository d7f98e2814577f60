package io.mesh4j.controller.ca;

import java.time.Duration;

/**
 * How many requests one identity may make: {@code burst} at once, then one per {@code refill};
 * the state of at most {@code maxIdentities} identities is kept.
 *
 * <p>The default, 5 at once and one every 10 s, is never reached by renewals: a workload renews
 * at half its certificate's lifetime, so even one-minute certificates mean one request per 30 s
 * per workload, and a ServiceAccount shared by replicas stays below it up to (lifetime / 20 s)
 * replicas renewing in steady state, about 4,300 at the default 24 h. Five at once covers a
 * workload that restarts a few times or a small rollout; larger rollouts of one ServiceAccount
 * are spread over a few tens of seconds, since a refusal is {@code RESOURCE_EXHAUSTED}, which
 * clients retry. What it stops is one stolen or buggy identity keeping the CA busy.
 */
public record IssuanceRateLimit(int burst, Duration refill, int maxIdentities) {
  /** 5 at once, then one every 10 s, for at most 10,000 identities (about 1 MB). */
  public static final IssuanceRateLimit DEFAULT =
      new IssuanceRateLimit(5, Duration.ofSeconds(10), 10_000);

  public IssuanceRateLimit {
    if (burst < 1 || maxIdentities < 1 || refill.isNegative() || refill.isZero()) {
      throw new IllegalArgumentException(
          "rate limit: burst " + burst + ", refill " + refill + ", identities " + maxIdentities
              + "; expected a burst and an identity cap of at least 1 and a positive refill");
    }
  }
}
