package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.policy;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Admission;
import io.mesh4j.core.call.InboundCall;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.engine.resilience.TokenBucket;
import io.mesh4j.core.testing.MeshHarness;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(10)
class RateLimitTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();

  private static int drain(TokenBucket b, long now) {
    int n = 0;
    while (b.tryAcquire(now)) {
      n++;
    }
    return n;
  }

  @ParameterizedTest
  @CsvSource({
    "100, 10, 1000", "100, 10, 250", "100, 1, 10", "7, 3, 10000", "7, 3, 1000", "0.5, 2, 9000",
    "1000, 50, 1"
  })
  void tokenBucketAdmitsExactlyBurstPlusRateTimesElapsed(double rate, int burst, long elapsedMs) {
    long start = 1_000_000_000_000L;
    TokenBucket b = new TokenBucket(rate, burst, start);
    assertThat(drain(b, start)).isEqualTo(burst);
    // under constant demand (a caller trying every millisecond), refills are admitted as they come
    long admitted = 0;
    for (long ms = 1; ms <= elapsedMs; ms++) {
      admitted += drain(b, start + Duration.ofMillis(ms).toNanos());
    }
    assertThat(admitted).isEqualTo((long) Math.floor(rate * elapsedMs / 1000.0));
  }

  @Test
  void tokenBucketCountsEveryCallOverManySmallSteps() {
    long t = 1_000_000_000_000L;
    TokenBucket b = new TokenBucket(100, 10, t);
    int admitted = 0;
    for (int ms = 0; ms <= 10_000; ms++) {
      admitted += drain(b, t + Duration.ofMillis(ms).toNanos());
    }
    assertThat(admitted).isEqualTo(10 + 100 * 10);
  }

  @Test
  void idleBucketHoldsNoMoreThanItsBurst() {
    long t = 1_000_000_000_000L;
    TokenBucket b = new TokenBucket(100, 10, t);
    assertThat(drain(b, t + Duration.ofHours(1).toNanos())).isEqualTo(10);
  }

  @Test
  void clientRateLimitRefusesWithReason() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          policy("catalog.shop").rateLimit(100, 10).build());
      for (int i = 0; i < 10; i++) {
        assertThat(h.attempt(CALL).admitted()).isTrue();
      }
      Attempt refused = h.attempt(CALL);
      assertThat(refused.refusal().reason()).isEqualTo(MeshFailure.Reason.RATE_LIMITED);
      assertThat(refused.refusal().getMessage())
          .isEqualTo("mesh4j: rate limited for catalog.shop (client limit 100/s, burst 10)");
      assertThat(refused.refusal().grpcStatus().name()).isEqualTo("RESOURCE_EXHAUSTED");
      assertThat(refused.refusal().httpStatus()).isEqualTo(429);

      h.ticker.advance(Duration.ofMillis(100));
      int admitted = 0;
      for (int i = 0; i < 20; i++) {
        admitted += h.attempt(CALL).admitted() ? 1 : 0;
      }
      assertThat(admitted).isEqualTo(10);
    }
  }

  @Test
  void serverRateLimitRefusesInboundCalls() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(policy("catalog.shop").serverRateLimit(50, 5).build());
      int admitted = 0;
      Admission last = null;
      for (int i = 0; i < 20; i++) {
        last = h.mesh.inbound().admit(InboundCall.builder("catalog.shop").build());
        admitted += last.isAdmitted() ? 1 : 0;
      }
      assertThat(admitted).isEqualTo(5);
      assertThat(last.refusal().getMessage())
          .isEqualTo("mesh4j: rate limited for catalog.shop (server limit 50/s, burst 5)");
      assertThat(h.mesh.inbound().admit(InboundCall.builder("other.shop").build()).isAdmitted()).isTrue();
      h.ticker.advance(Duration.ofSeconds(1));
      admitted = 0;
      for (int i = 0; i < 100; i++) {
        admitted += h.mesh.inbound().admit(InboundCall.builder("catalog.shop").build()).isAdmitted() ? 1 : 0;
      }
      assertThat(admitted).isEqualTo(5); // the bucket never holds more than its burst
    }
  }

  @Test
  void absentBurstMeansOneSecondsWorth() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(policy("catalog.shop").serverRateLimit(20, null).build());
      int admitted = 0;
      for (int i = 0; i < 100; i++) {
        admitted += h.mesh.inbound().admit(InboundCall.builder("catalog.shop").build()).isAdmitted() ? 1 : 0;
      }
      assertThat(admitted).isEqualTo(20);
    }
  }
}
