package io.mesh4j.controller.ca;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A token bucket per caller identity: {@code burst} requests at once, then one more per {@code
 * refill}. Memory is bounded twice: an identity idle long enough to have refilled its bucket is
 * indistinguishable from a new one, so its entry is dropped; and at most {@code maxIdentities}
 * entries exist, the least recently seen evicted first. Eviction can only ever give an identity a
 * fresh burst early, never refuse one that is within its limit.
 *
 * <p>Thread-safe; one short critical section per request.
 */
final class IdentityRateLimiter {

  private final long capacityNanos;
  private final long costNanos;
  private final int maxIdentities;
  private final InstantSource clock;
  // Access order: the first entry is the least recently seen, so expiry stops at the first
  // entry that is still refilling.
  private final LinkedHashMap<String, Bucket> buckets = new LinkedHashMap<>(64, 0.75f, true);

  /** Credit is kept in nanoseconds of refill time: a request costs {@code refill}. */
  private static final class Bucket {
    long credit;
    Instant at;

    Bucket(long credit, Instant at) {
      this.credit = credit;
      this.at = at;
    }
  }

  IdentityRateLimiter(IssuanceRateLimit limit, InstantSource clock) {
    Objects.requireNonNull(limit, "limit");
    this.costNanos = limit.refill().toNanos();
    this.capacityNanos = Math.multiplyExact(costNanos, (long) limit.burst());
    this.maxIdentities = limit.maxIdentities();
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Takes one request from {@code identity}'s bucket.
   *
   * @return null when the request may go ahead, else how long until it would
   */
  synchronized @Nullable Duration acquire(String identity) {
    Instant now = clock.instant();
    expire(now);
    Bucket b = buckets.get(identity);
    if (b == null) {
      if (buckets.size() >= maxIdentities) {
        Iterator<Map.Entry<String, Bucket>> eldest = buckets.entrySet().iterator();
        eldest.next();
        eldest.remove();
      }
      b = new Bucket(capacityNanos, now);
      buckets.put(identity, b);
    } else {
      long elapsed = Math.max(0, Duration.between(b.at, now).toNanos());
      b.credit = elapsed >= capacityNanos - b.credit ? capacityNanos : b.credit + elapsed;
      b.at = now.isAfter(b.at) ? now : b.at;
    }
    if (b.credit >= costNanos) {
      b.credit -= costNanos;
      return null;
    }
    return Duration.ofNanos(costNanos - b.credit);
  }

  private void expire(Instant now) {
    Iterator<Bucket> it = buckets.values().iterator();
    while (it.hasNext()) {
      Bucket b = it.next();
      if (Duration.between(b.at, now).toNanos() < capacityNanos - b.credit) {
        return;
      }
      it.remove();
    }
  }

  /** For tests: identities with state. */
  synchronized int size() {
    return buckets.size();
  }
}
