package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.outliers;
import static io.mesh4j.core.testing.Policies.policy;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.DestinationPolicy.LbPolicy;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.testing.MeshHarness;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.testing.ScriptedRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Simulations of endpoints on the fake ticker: every attempt "takes" its endpoint's latency on the
 * ticker before it settles, so each scenario is exact, seeded and quick. The loopback tests of the
 * adapters run the same scenarios once with real calls.
 */
@Timeout(30)
class AdaptiveBalancingTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();
  private static final Outcome UNAVAILABLE = Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");
  private static final Outcome TIMEOUT = Outcome.failure(Outcome.Kind.TIMEOUT, "per-try timeout");
  private static final long MS = 1_000_000;

  static Stream<Arguments> everyBalancerSizeAndEjectedPosition() {
    List<Arguments> all = new ArrayList<>();
    for (LbPolicy lb : List.of(LbPolicy.ROUND_ROBIN, LbPolicy.LEAST_REQUEST, LbPolicy.PEAK_EWMA)) {
      for (int n : new int[] {3, 5}) {
        for (int ejected = 0; ejected < n; ejected++) {
          all.add(Arguments.of(lb, n, ejected));
        }
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}, {1} endpoints, #{2} ejected")
  @MethodSource("everyBalancerSizeAndEjectedPosition")
  void survivorsShareAnEjectedEndpointsTrafficEqually(LbPolicy lb, int n, int ejected) {
    try (MeshHarness h = new MeshHarness(new ScriptedRandom(7 + n * 31L + ejected), null)) {
      List<ServiceEndpoints.Endpoint> eps = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        eps.add(ep("10.0.0." + (i + 1)));
      }
      h.apply(
          endpoints("catalog.shop", eps),
          policy("catalog.shop")
              .lb(lb, null, false)
              .outliers(outliers(1, Duration.ofSeconds(30), Duration.ofSeconds(300), 40))
              .build());
      String bad = "10.0.0." + (ejected + 1) + ":8080";
      for (int i = 0; i < 100 && !h.events.snapshot().contains("ejected " + bad + " for 30000ms: 1 consecutive failures"); i++) {
        Attempt a = h.attempt(CALL);
        h.ticker.advanceNanos(MS);
        a.settle(a.endpoint().authority().equals(bad) ? UNAVAILABLE : Outcome.success());
      }
      assertThat(h.events.snapshot()).contains("ejected " + bad + " for 30000ms: 1 consecutive failures");

      int[] picks = new int[n];
      for (int call = 0; call < 3000; call++) {
        Attempt a = h.attempt(CALL);
        picks[index(a)]++;
        h.ticker.advanceNanos(MS);
        a.settle(Outcome.success());
      }
      assertThat(picks[ejected]).isZero();
      for (int i = 0; i < n; i++) {
        if (i != ejected) {
          // an equal share within 3 points of the whole (the "±3%")
          assertThat(Math.abs(picks[i] / 3000.0 - 1.0 / (n - 1)))
              .as("share of endpoint %d in %s", i, java.util.Arrays.toString(picks))
              .isLessThanOrEqualTo(0.03);
        }
      }
    }
  }

  @Test
  void peakEwmaMovesFirstAttemptsAwayFromASlowEndpointWithinAFewCalls() {
    try (MeshHarness h = new MeshHarness(new ScriptedRandom(11), null)) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")),
          policy("catalog.shop").lb(LbPolicy.PEAK_EWMA, null, false).build());
      int slow = 1; // 10.0.0.2 answers in 300 ms; a 100 ms per-try timeout ends its attempts
      int[] window = new int[3];
      int slowAfter100 = 0;
      for (int call = 0; call < 2000; call++) {
        var plan = h.plan(CALL);
        Attempt first = plan.nextAttempt();
        int i = index(first);
        window[i]++;
        if (call >= 100 && i == slow) {
          slowAfter100++;
        }
        Attempt a = first;
        while (index(a) == slow) {
          h.ticker.advanceNanos(100 * MS);
          a.settle(TIMEOUT);
          a = plan.nextAttempt();
        }
        h.ticker.advanceNanos(2 * MS);
        a.settle(Outcome.success());
        plan.end(io.mesh4j.core.call.CallStatus.grpc(0), 0, 0);
        if ((call + 1) % 250 == 0) {
          System.out.printf(
              "PEAK_EWMA calls %4d-%4d: first attempts %s (slow endpoint 10.0.0.2)%n",
              call - 248, call + 1, java.util.Arrays.toString(window));
          window = new int[3];
        }
      }
      assertThat(slowAfter100 / 1900.0).isLessThan(0.05);
    }
  }

  /**
   * One caller, two healthy endpoints that answer in 1 and 1.3 ms, and one 60 ms answer of the
   * first (a pause of the caller's, say) as its 10th: without ageing, that answer kept the
   * first endpoint out of every comparison for 40 s of decay, and the faster-by-noise endpoint
   * would take every call; the shares stay within 3 points of equal.
   */
  @Test
  void peakEwmaGivesEquallyHealthyEndpointsEqualSharesAfterAOneOffSlowAnswer() {
    try (MeshHarness h = new MeshHarness(new ScriptedRandom(13), null)) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")),
          policy("catalog.shop").lb(LbPolicy.PEAK_EWMA, null, false).build());
      int[] picks = new int[2];
      for (int call = 0; call < 3000; call++) {
        Attempt a = h.attempt(CALL);
        int i = index(a);
        picks[i]++;
        h.ticker.advanceNanos(i == 0 && picks[0] == 10 ? 60 * MS : i == 0 ? MS : 13 * MS / 10);
        a.settle(Outcome.success());
      }
      assertThat(Math.abs(picks[0] / 3000.0 - 0.5))
          .as("shares %s", java.util.Arrays.toString(picks))
          .isLessThanOrEqualTo(0.03);
    }
  }

  /**
   * One caller, two endpoints that answer in 1 ms, the first of which answers its first call in
   * 60 ms (a cold path): an estimate set by that answer would fade only over the 10 s decay time
   * and hand the other endpoint most of the calls meanwhile; the second answer sets the estimate
   * instead, and the shares stay even from the start.
   */
  @Test
  void peakEwmaDoesNotHoldAColdFirstAnswerAgainstAnEndpoint() {
    try (MeshHarness h = new MeshHarness(new ScriptedRandom(17), null)) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")),
          policy("catalog.shop").lb(LbPolicy.PEAK_EWMA, null, false).build());
      int[] picks = new int[2];
      int[] first200 = null;
      for (int call = 0; call < 3000; call++) {
        Attempt a = h.attempt(CALL);
        int i = index(a);
        picks[i]++;
        h.ticker.advanceNanos(i == 0 && picks[0] == 1 ? 60 * MS : MS);
        a.settle(Outcome.success());
        if (call == 199) {
          first200 = picks.clone();
        }
      }
      System.out.printf(
          "PEAK_EWMA after a cold first answer: first 200 calls %s, all 3,000 %s%n",
          java.util.Arrays.toString(first200), java.util.Arrays.toString(picks));
      assertThat(first200[0]).as("the cold endpoint's calls of the first 200").isBetween(80, 120);
      assertThat(Math.abs(picks[0] / 3000.0 - 0.5))
          .as("shares %s", java.util.Arrays.toString(picks))
          .isLessThanOrEqualTo(0.03);
    }
  }

  /**
   * Two endpoints, one answering UNAVAILABLE at once, sixteen callers, no destination policy: the
   * default balancer and outlier detection keep the failing endpoint's share small and almost
   * every call succeeds.
   */
  @Test
  void aFastFailingEndpointDoesNotAttractTrafficUnderTheDefaults() {
    try (MeshHarness h = new MeshHarness(new ScriptedRandom(3), null)) {
      h.apply(endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")));
      int failing = 0; // 10.0.0.1 fails in 0.1 ms; 10.0.0.2 answers in 2 ms
      record Pending(long end, Attempt attempt) {}
      PriorityQueue<Pending> inFlight =
          new PriorityQueue<>((x, y) -> Long.compare(x.end(), y.end()));
      long start = h.ticker.nanos();
      long end = start + Duration.ofSeconds(10).toNanos();
      int calls = 0;
      int failed = 0;
      int toFailingAfterFirstSecond = 0;
      int callsAfterFirstSecond = 0;
      for (int caller = 0; caller < 16; caller++) {
        Attempt a = h.attempt(CALL);
        inFlight.add(new Pending(h.ticker.nanos() + (index(a) == failing ? MS / 10 : 2 * MS), a));
      }
      while (!inFlight.isEmpty()) {
        Pending p = inFlight.poll();
        h.ticker.advanceNanos(p.end() - h.ticker.nanos());
        boolean bad = index(p.attempt()) == failing;
        p.attempt().settle(bad ? UNAVAILABLE : Outcome.success());
        calls++;
        failed += bad ? 1 : 0;
        if (h.ticker.nanos() - start > Duration.ofSeconds(1).toNanos()) {
          callsAfterFirstSecond++;
          toFailingAfterFirstSecond += bad ? 1 : 0;
        }
        if (h.ticker.nanos() < end) {
          Attempt a = h.attempt(CALL);
          inFlight.add(
              new Pending(h.ticker.nanos() + (index(a) == failing ? MS / 10 : 2 * MS), a));
        }
      }
      System.out.printf(
          "fast failure: %d calls, %d failed, %d of %d calls after the first second went to the"
              + " failing endpoint%n",
          calls, failed, toFailingAfterFirstSecond, callsAfterFirstSecond);
      assertThat((double) toFailingAfterFirstSecond / callsAfterFirstSecond).isLessThan(0.10);
      assertThat((double) failed / calls).isLessThan(0.01);
    }
  }

  @Test
  void panicModeSpreadsOverAllEndpointsWhenTooFewAreLeft() {
    try (MeshHarness h = new MeshHarness(new ScriptedRandom(5), null)) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")),
          policy("catalog.shop")
              .lb(LbPolicy.ROUND_ROBIN, null, false)
              .outliers(outliers(1, Duration.ofSeconds(30), Duration.ofSeconds(300), 100))
              .build());
      // both fail once: the first ejection leaves 50% (not below the default 50% threshold)
      while (h.events.snapshot().stream().filter(l -> l.startsWith("ejected")).count() < 2) {
        Attempt a = h.attempt(CALL);
        a.settle(UNAVAILABLE);
      }
      int[] picks = new int[2];
      for (int i = 0; i < 100; i++) {
        Attempt a = h.attempt(CALL);
        assertThat(a.admitted()).isTrue();
        picks[index(a)]++;
        a.settle(Outcome.success());
      }
      assertThat(picks).containsExactly(50, 50);
    }
  }

  /**
   * A server whose latency doubles beyond 20 concurrent calls, forty callers, 30 s: from a limit
   * of 5 and from the default 20, the adaptive limit settles within 30% of 20 (checked every
   * second of the last ten). Refused attempts say why.
   */
  @ParameterizedTest(name = "initial limit {0}")
  @org.junit.jupiter.params.provider.ValueSource(ints = {5, 20})
  void adaptiveConcurrencySettlesNearTheServersCapacity(int initialLimit) {
    List<Integer> limits = new java.util.concurrent.CopyOnWriteArrayList<>();
    MeshListener recorder =
        new MeshListener() {
          @Override
          public void concurrencyLimitChanged(String destination, String subset, int limit) {
            limits.add(limit);
          }
        };
    try (MeshHarness h = new MeshHarness(new ScriptedRandom(9), null, ticker -> recorder)) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          policy("catalog.shop")
              .adaptiveConcurrency(initialLimit, 1000, Duration.ofMillis(100), 10)
              .build());
      record Pending(long end, Attempt attempt) {}
      PriorityQueue<Pending> events = new PriorityQueue<>((x, y) -> Long.compare(x.end(), y.end()));
      int serving = 0;
      String refusal = null;
      long start = h.ticker.nanos();
      long end = start + Duration.ofSeconds(30).toNanos();
      List<Integer> lastTenSeconds = new ArrayList<>();
      for (int caller = 0; caller < 40; caller++) {
        events.add(new Pending(start, null));
      }
      long nextSecond = start;
      while (!events.isEmpty()) {
        Pending p = events.poll();
        h.ticker.advanceNanos(p.end() - h.ticker.nanos());
        long now = h.ticker.nanos();
        if (p.attempt() != null) {
          serving--;
          p.attempt().settle(Outcome.success());
        }
        if (now >= nextSecond) {
          int limit = limits.get(limits.size() - 1);
          long t = (now - start) / 1_000_000_000L;
          System.out.printf("adaptive concurrency from %d: t=%2ds limit %d%n", initialLimit, t, limit);
          if (t >= 20 && t < 30) {
            lastTenSeconds.add(limit);
          }
          nextSecond += Duration.ofSeconds(1).toNanos();
        }
        if (now >= end) {
          continue;
        }
        Attempt a = h.attempt(CALL);
        if (!a.admitted()) {
          refusal = a.refusal().getMessage();
          events.add(new Pending(now + MS, null)); // the caller tries again a millisecond later
          continue;
        }
        serving++;
        events.add(new Pending(now + (serving <= 20 ? 10 * MS : 20 * MS), a));
      }
      assertThat(lastTenSeconds).hasSize(10).allSatisfy(l -> assertThat(l).isBetween(14, 26));
      assertThat(refusal)
          .startsWith("mesh4j: adaptive concurrency limit reached for catalog.shop")
          .contains("adaptive limit");
    }
  }

  @Test
  void anAttemptThatRanOutOfTimeWaitingForItsConnectionIsRetriedAndChargedToNothing() {
    try (MeshHarness h = new MeshHarness(new ScriptedRandom(13), null)) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")),
          io.mesh4j.core.testing.Policies.route(
              "catalog.shop",
              List.of(),
              io.mesh4j.core.testing.Policies.rule()
                  .retries(io.mesh4j.core.testing.Policies.retries(3, "per-try-timeout"))
                  .build()),
          policy("catalog.shop")
              .lb(LbPolicy.ROUND_ROBIN, null, false)
              .outliers(outliers(1, Duration.ofSeconds(30), Duration.ofSeconds(300), 100))
              .build());
      for (int call = 0; call < 10; call++) {
        var plan = h.plan(CALL);
        Attempt first = plan.nextAttempt();
        h.ticker.advanceNanos(100 * MS);
        var decision = first.settle(Outcome.connectionWait("DEADLINE_EXCEEDED"));
        assertThat(decision.shouldRetry()).isTrue();
        Attempt second = plan.nextAttempt();
        h.ticker.advanceNanos(MS);
        second.settle(Outcome.success());
      }
      // one failure ejects here, yet ten connection waits ejected nothing
      assertThat(h.events.snapshot()).noneMatch(l -> l.startsWith("ejected"));
    }
  }

  private static int index(Attempt a) {
    String address = a.endpoint().address();
    return Integer.parseInt(address.substring(address.lastIndexOf('.') + 1)) - 1;
  }
}
