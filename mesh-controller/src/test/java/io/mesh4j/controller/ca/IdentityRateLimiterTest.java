package io.mesh4j.controller.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-identity buckets stay bounded however many identities call. */
@Timeout(30)
class IdentityRateLimiterTest {

  private final MutableClock clock = new MutableClock();

  @Test
  void aMillionIdentitiesKeepAtMostTheCapAndTheNewestAreStillLimited() {
    IdentityRateLimiter limiter =
        new IdentityRateLimiter(new IssuanceRateLimit(1, Duration.ofSeconds(10), 1_000), clock);

    for (int i = 0; i < 1_000_000; i++) {
      assertThat(limiter.acquire("spiffe://cluster.local/ns/n" + i + "/sa/a")).isNull();
    }

    assertThat(limiter.size()).isEqualTo(1_000);
    assertThat(limiter.acquire("spiffe://cluster.local/ns/n999999/sa/a")).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void anIdentityWhoseBucketRefilledIsForgotten() {
    IdentityRateLimiter limiter =
        new IdentityRateLimiter(new IssuanceRateLimit(5, Duration.ofSeconds(10), 1_000), clock);
    for (int i = 0; i < 100; i++) {
      limiter.acquire("spiffe://cluster.local/ns/n" + i + "/sa/a");
    }
    assertThat(limiter.size()).isEqualTo(100);

    // One request used one token: 10 s later every bucket is full again, same as a new one.
    clock.advance(Duration.ofSeconds(10));
    limiter.acquire("spiffe://cluster.local/ns/other/sa/a");

    assertThat(limiter.size()).isEqualTo(1);
  }
}
