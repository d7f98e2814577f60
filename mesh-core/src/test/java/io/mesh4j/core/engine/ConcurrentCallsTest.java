package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.outliers;
import static io.mesh4j.core.testing.Policies.policy;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.core.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Many threads plan, pick and settle at once; afterwards every permit must be back. */
@Timeout(60)
class ConcurrentCallsTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").idempotent(true).build();

  @Test
  void everyPermitIsReturnedAfterConcurrentCallsAndPolicySwaps() throws Exception {
    int limit = 4;
    DestinationPolicy.CircuitBreaker cb =
        new DestinationPolicy.CircuitBreaker(
            100.0, 100.0, Duration.ofSeconds(60), 1000, DestinationPolicy.SlidingWindowType.COUNT,
            1000, Duration.ofSeconds(30), 2, limit);
    PolicySet set =
        PolicySet.of(
            endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")),
            policy("catalog.shop")
                .breaker(cb)
                .outliers(outliers(5, Duration.ofMillis(1), Duration.ofMillis(1), 50))
                .build());
    StaticConfigSource source = StaticConfigSource.of(set);
    FakeTicker ticker = new FakeTicker();
    try (Mesh mesh =
        Mesh.builder()
            .configSource(source)
            .ticker(ticker)
            .random(MeshRandom.threadLocal())
            .build()) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        long seed = t;
        results.add(
            pool.submit(
                () -> {
                  SplittableRandom r = new SplittableRandom(seed);
                  int admitted = 0;
                  for (int i = 0; i < 20_000; i++) {
                    CallPlan plan = mesh.outbound().plan(CALL);
                    Attempt a = plan.nextAttempt();
                    if (a.admitted()) {
                      admitted++;
                      ticker.advanceNanos(1000);
                      a.settle(
                          r.nextInt(10) == 0
                              ? Outcome.failure(Outcome.Kind.CONNECT_FAILURE, "")
                              : Outcome.success());
                    }
                  }
                  return admitted;
                }));
      }
      for (int swap = 0; swap < 50; swap++) {
        source.push(set);
      }
      int admitted = 0;
      for (Future<Integer> f : results) {
        admitted += f.get();
      }
      pool.shutdown();
      assertThat(admitted).isPositive();

      ticker.advance(Duration.ofSeconds(1));
      List<Attempt> held = new ArrayList<>();
      for (int i = 0; i < limit + 1; i++) {
        held.add(mesh.outbound().plan(CALL).nextAttempt());
      }
      assertThat(held.subList(0, limit)).allMatch(Attempt::admitted);
      assertThat(held.get(limit).admitted()).isFalse();
    }
  }
}
