package io.mesh4j.micrometer;

import static io.mesh4j.core.testing.Policies.breaker;
import static io.mesh4j.core.testing.Policies.budget;
import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.outliers;
import static io.mesh4j.core.testing.Policies.policy;
import static io.mesh4j.core.testing.Policies.retries;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static io.mesh4j.core.testing.Policies.subset;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.testing.MeshHarness;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MeshMetricsTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").idempotent(true).build();
  private static final Outcome FAIL = Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");
  private static final Outcome OK = Outcome.success();

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private MeshHarness harness() {
    return new MeshHarness(ticker -> MeshMetrics.bindTo(registry, ticker));
  }

  private double count(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private double gauge(String name, String... tags) {
    Gauge g = registry.find(name).tags(tags).gauge();
    assertThat(g).as("gauge %s %s", name, List.of(tags)).isNotNull();
    return g.value();
  }

  private static String[] tags(String[] base, String... more) {
    String[] all = Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  @Test
  void anOpeningBreakerCountsItsTransitionsAndItsGaugeFollowsTheState() {
    try (MeshHarness h = harness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.2", Map.of("version", "v2"))),
          route(
              "catalog.shop",
              List.of(subset("v2", "version", "v2")),
              rule().backend("v2", 1).build()),
          policy("catalog.shop").breaker(breaker(50, 10, 10, Duration.ofSeconds(30), 1)).build());
      String[] v2 = {"destination", "catalog.shop", "subset", "v2"};

      // 4 successes and 6 failures: the 10th settle completes the window at 60% and opens it
      for (int i = 0; i < 10; i++) {
        h.attempt(CALL).settle(i < 4 ? OK : FAIL);
      }
      assertThat(count("mesh4j.breaker.transitions", tags(v2, "to", "open"))).isEqualTo(1);
      assertThat(gauge("mesh4j.breaker.state", v2)).isEqualTo(2);

      assertThat(h.attempt(CALL).admitted()).isFalse();
      assertThat(count("mesh4j.refusals", "destination", "catalog.shop", "reason", "circuit_open"))
          .isEqualTo(1);

      h.ticker.advance(Duration.ofSeconds(30).plusMillis(1));
      Attempt trial = h.attempt(CALL);
      assertThat(trial.admitted()).isTrue();
      assertThat(gauge("mesh4j.breaker.state", v2)).isEqualTo(1);

      trial.settle(OK);
      assertThat(gauge("mesh4j.breaker.state", v2)).isZero();
      assertThat(count("mesh4j.breaker.transitions", "to", "half_open")).isEqualTo(1);
      assertThat(count("mesh4j.breaker.transitions", "to", "closed")).isEqualTo(1);
      assertThat(count("mesh4j.breaker.transitions", "to", "open")).isEqualTo(1);
    }
  }

  @Test
  void theAdaptiveConcurrencyLimitIsAGaugeAndItsRefusalsHaveTheirOwnReason() {
    try (MeshHarness h = harness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          policy("catalog.shop").adaptiveConcurrency(2, 100, Duration.ofSeconds(1), 10).build());
      assertThat(gauge("mesh4j.concurrency.limit", "destination", "catalog.shop", "subset", "none"))
          .isEqualTo(2);
      Attempt a = h.attempt(CALL);
      Attempt b = h.attempt(CALL);
      assertThat(h.attempt(CALL).admitted()).isFalse();
      assertThat(count("mesh4j.refusals", "destination", "catalog.shop", "reason", "concurrency_limited"))
          .isEqualTo(1);
      a.settle(OK);
      b.settle(OK);
    }
  }

  @Test
  void anEjectionCountsOnceWithoutTheEndpointAsATag() {
    try (MeshHarness h = harness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")),
          policy("catalog.shop")
              // round robin keeps sending to the failing endpoint until it is ejected
              .lb(io.mesh4j.core.policy.DestinationPolicy.LbPolicy.ROUND_ROBIN, null, false)
              .outliers(outliers(3, Duration.ofSeconds(30), Duration.ofSeconds(300), 50))
              .build());
      String bad = "10.0.0.1:8080";

      for (int i = 0; i < 1000 && count("mesh4j.ejections") == 0; i++) {
        Attempt a = h.attempt(CALL);
        a.settle(a.endpoint().authority().equals(bad) ? FAIL : OK);
      }
      for (int i = 0; i < 100; i++) {
        h.attempt(CALL).settle(OK);
      }

      assertThat(count("mesh4j.ejections", "destination", "catalog.shop")).isEqualTo(1);
      assertThat(registry.find("mesh4j.ejections").meters())
          .singleElement()
          .extracting(m -> m.getId().getTags())
          .isEqualTo(List.of(Tag.of("destination", "catalog.shop")));
    }
  }

  @Test
  void aRefusedConfigCountsOnceAndTheVersionGaugeKeepsTheLastGoodVersion() {
    try (MeshHarness h = harness()) {
      assertThat(gauge("mesh4j.config.version")).isNaN();
      assertThat(gauge("mesh4j.config.last.applied")).isNaN();

      h.apply(endpoints("catalog.shop", ep("10.0.0.1")));
      assertThat(gauge("mesh4j.config.version")).isEqualTo(1);
      assertThat(gauge("mesh4j.config.last.applied")).isZero();

      h.ticker.advance(Duration.ofSeconds(5));
      ApplyResult r =
          h.tryApply(
              endpoints("catalog.shop", ep("10.0.0.1")),
              route("catalog.shop", List.of(), rule().backend("v9", 1).build()));

      assertThat(r.applied()).isFalse();
      assertThat(count("mesh4j.config.refusals")).isEqualTo(1);
      assertThat(gauge("mesh4j.config.version")).isEqualTo(1);
      assertThat(gauge("mesh4j.config.last.applied")).isEqualTo(5.0);

      h.apply(endpoints("catalog.shop", ep("10.0.0.1")));
      assertThat(gauge("mesh4j.config.version")).isEqualTo(3);
      assertThat(gauge("mesh4j.config.last.applied")).isZero();
      assertThat(count("mesh4j.config.refusals")).isEqualTo(1);
    }
  }

  @Test
  void hedgesAreCountedPerDestination() {
    try (MeshHarness h = harness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")),
          route(
              "catalog.shop",
              List.of(),
              rule().hedging(Duration.ofMillis(50), 2).build()));
      CallPlan plan = h.plan(CALL);
      plan.nextAttempt();
      assertThat(plan.hedge(io.mesh4j.core.call.HeaderSetter.NONE)).isNotNull();
      assertThat(count("mesh4j.hedges", "destination", "catalog.shop")).isEqualTo(1);
    }
  }

  @Test
  void retriesAreCountedAndASpentBudgetCountsAsARefusal() {
    try (MeshHarness h = harness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")),
          route("catalog.shop", List.of(), rule().retries(retries(3, "UNAVAILABLE")).build()),
          // room for exactly one retry in the window: 10% of the 10 calls, nothing per second
          policy("catalog.shop").budget(budget(10, 0, Duration.ofSeconds(10))).build());
      for (int i = 0; i < 9; i++) {
        h.plan(CALL).nextAttempt().settle(OK);
      }

      CallPlan plan = h.plan(CALL);
      RetryDecision first = plan.nextAttempt().settle(FAIL);
      assertThat(first.shouldRetry()).isTrue();
      RetryDecision second = plan.nextAttempt().settle(FAIL);
      assertThat(second.shouldRetry()).isFalse();

      assertThat(count("mesh4j.retries", "destination", "catalog.shop")).isEqualTo(1);
      assertThat(
              count(
                  "mesh4j.refusals",
                  "destination", "catalog.shop",
                  "reason", "retry_budget_exhausted"))
          .isEqualTo(1);
    }
  }

  @Test
  void aFaultThatDelaysAndAbortsCountsOnceForEachKind() {
    try (MeshHarness h = harness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          route(
              "catalog.shop",
              List.of(),
              rule().delay(100, Duration.ofMillis(50)).abort(100).build()));

      Attempt a = h.attempt(CALL);

      assertThat(a.refusal().reason()).isEqualTo(MeshFailure.Reason.FAULT_ABORT);
      assertThat(count("mesh4j.faults", "destination", "catalog.shop", "kind", "delay"))
          .isEqualTo(1);
      assertThat(count("mesh4j.faults", "destination", "catalog.shop", "kind", "abort"))
          .isEqualTo(1);
      assertThat(count("mesh4j.refusals", "reason", "fault_abort")).isEqualTo(1);
    }
  }

  @Test
  void aCallToAnUnknownDestinationIsTaggedUnknownSoCallersCannotGrowTheTags() {
    try (MeshHarness h = harness()) {
      h.apply(endpoints("catalog.shop", ep("10.0.0.1")));

      for (String name : List.of("typo.shop", "user-4711.shop")) {
        Attempt a = h.attempt(OutboundCall.builder(name).grpc("shop.Catalog", "GetItem").build());
        assertThat(a.refusal().reason()).isEqualTo(MeshFailure.Reason.UNKNOWN_DESTINATION);
      }

      assertThat(
              count(
                  "mesh4j.refusals", "destination", "unknown", "reason", "unknown_destination"))
          .isEqualTo(2);
      assertThat(registry.find("mesh4j.refusals").meters()).extracting(Meter::getId).hasSize(1);
    }
  }

  @Test
  void aPolicyChangeThatResetsAnOpenBreakerReturnsItsGaugeToClosed() {
    try (MeshHarness h = harness()) {
      var eps = endpoints("catalog.shop", ep("10.0.0.2", Map.of("version", "v2")));
      var rt =
          route(
              "catalog.shop",
              List.of(subset("v2", "version", "v2")),
              rule().backend("v2", 1).build());
      Duration wait = Duration.ofSeconds(30);
      h.apply(eps, rt, policy("catalog.shop").breaker(breaker(50, 10, 10, wait, 1)).build());
      for (int i = 0; i < 10; i++) {
        h.attempt(CALL).settle(FAIL);
      }
      assertThat(gauge("mesh4j.breaker.state", "destination", "catalog.shop", "subset", "v2"))
          .isEqualTo(2);

      // a new failure-rate threshold is a new breaker config: the breaker starts afresh, closed
      h.apply(eps, rt, policy("catalog.shop").breaker(breaker(60, 10, 10, wait, 1)).build());

      assertThat(h.events.snapshot()).contains("reset breaker catalog.shop/v2");
      assertThat(gauge("mesh4j.breaker.state", "destination", "catalog.shop", "subset", "v2"))
          .isZero();
      assertThat(h.attempt(CALL).admitted()).isTrue();
    }
  }

  @Test
  void eventsFromManyThreadsAreAllCountedOnOneMeter() throws Exception {
    MeshMetrics metrics = MeshMetrics.bindTo(registry, () -> 0L);
    MeshFailure limited =
        MeshFailure.of(MeshFailure.Reason.RATE_LIMITED, "catalog.shop", null, "client limit");
    int threads = 4;
    int perThread = 10_000;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < perThread; i++) {
                    metrics.retryScheduled("catalog.shop", 2, 0, FAIL);
                    metrics.callRefused(limited);
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(count("mesh4j.retries", "destination", "catalog.shop"))
        .isEqualTo(threads * perThread);
    assertThat(count("mesh4j.refusals", "destination", "catalog.shop", "reason", "rate_limited"))
        .isEqualTo(threads * perThread);
    assertThat(registry.find("mesh4j.retries").meters()).hasSize(1);
    assertThat(registry.find("mesh4j.refusals").meters()).hasSize(1);
  }
}
