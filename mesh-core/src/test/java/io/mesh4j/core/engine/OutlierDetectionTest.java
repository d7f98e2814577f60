package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.outliers;
import static io.mesh4j.core.testing.Policies.policy;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static io.mesh4j.core.testing.Policies.subset;
import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.engine.resilience.EndpointHealth.OutlierScope;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.testing.MeshHarness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class OutlierDetectionTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();
  private static final Outcome FAIL = Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");
  private static final Outcome OK = Outcome.success();

  private static long ejected(MeshHarness h) {
    return h.events.snapshot().stream().filter(l -> l.startsWith("ejected")).count()
        - h.events.snapshot().stream().filter(l -> l.startsWith("returned")).count();
  }

  private static long ejections(MeshHarness h) {
    return h.events.snapshot().stream().filter(l -> l.startsWith("ejected")).count();
  }

  @Test
  void ejectedEndpointGetsNoTrafficUntilEjectionExpires() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")),
          policy("catalog.shop")
              .lb(DestinationPolicy.LbPolicy.ROUND_ROBIN, null, false)
              .outliers(outliers(3, Duration.ofSeconds(30), Duration.ofSeconds(300), 50))
              .build());
      String bad = "10.0.0.1:8080";

      while (ejected(h) == 0) {
        Attempt a = h.attempt(CALL);
        a.settle(a.endpoint().authority().equals(bad) ? FAIL : OK);
      }
      assertThat(h.events.snapshot()).contains("ejected " + bad + " for 30000ms: 3 consecutive failures");

      int picksOfBad = 0;
      for (int i = 0; i < 10_000; i++) {
        Attempt a = h.attempt(CALL);
        picksOfBad += a.endpoint().authority().equals(bad) ? 1 : 0;
        a.settle(OK);
      }
      assertThat(picksOfBad).isZero();

      h.ticker.advance(Duration.ofSeconds(30).minusNanos(1));
      assertThat(picks(h, bad, 1000)).isZero();

      h.ticker.advanceNanos(1);
      assertThat(picks(h, bad, 3000)).isGreaterThan(500);
      assertThat(h.events.snapshot()).contains("returned " + bad);
    }
  }

  private static int picks(MeshHarness h, String authority, int n) {
    int count = 0;
    for (int i = 0; i < n; i++) {
      Attempt a = h.attempt(CALL);
      count += a.endpoint().authority().equals(authority) ? 1 : 0;
      a.settle(OK);
    }
    return count;
  }

  @Test
  void repeatedEjectionsLastLongerUpToTheMaximum() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")),
          policy("catalog.shop")
              .lb(DestinationPolicy.LbPolicy.ROUND_ROBIN, null, false)
              .outliers(outliers(1, Duration.ofSeconds(30), Duration.ofSeconds(70), 50))
              .build());
      List<String> durations = new ArrayList<>();
      for (int round = 0; round < 4; round++) {
        long before = ejections(h);
        while (ejections(h) == before) {
          Attempt a = h.attempt(CALL);
          a.settle(a.endpoint().authority().equals("10.0.0.1:8080") ? FAIL : OK);
        }
        String line = h.events.snapshot().get(h.events.snapshot().size() - 1);
        String ms = line.substring(line.indexOf(" for ") + 5, line.indexOf("ms"));
        durations.add(ms);
        h.ticker.advance(Duration.ofMillis(Long.parseLong(ms)));
      }
      assertThat(durations).containsExactly("30000", "60000", "70000", "70000");

      // the loop left the clock at the end of the last ejection; three quiet intervals (10s
      // each) then lower the multiplier from 4 to 1, so the next ejection lasts 2 x 30s
      for (int i = 0; i < 20; i++) {
        h.attempt(CALL).settle(OK);
      }
      h.ticker.advance(Duration.ofSeconds(30));
      long before = ejections(h);
      while (ejections(h) == before) {
        Attempt a = h.attempt(CALL);
        a.settle(a.endpoint().authority().equals("10.0.0.1:8080") ? FAIL : OK);
      }
      assertThat(h.events.snapshot().get(h.events.snapshot().size() - 1)).contains(" for 60000ms");
    }
  }

  @Test
  void maxEjectionPercentIsNeverExceeded() {
    try (MeshHarness h = new MeshHarness()) {
      List<ServiceEndpoints.Endpoint> eps = new ArrayList<>();
      for (int i = 1; i <= 10; i++) {
        eps.add(ep("10.0.0." + i, Map.of("version", i <= 3 ? "v1" : "v2")));
      }
      h.apply(
          endpoints("catalog.shop", eps),
          policy("catalog.shop")
              .lb(DestinationPolicy.LbPolicy.ROUND_ROBIN, null, false)
              .outliers(outliers(1, Duration.ofSeconds(30), Duration.ofSeconds(300), 25))
              .build());
      int allowed = OutlierScope.maxEjected(10, 25);
      assertThat(allowed).isEqualTo(2);

      Set<String> picked = new HashSet<>();
      for (int i = 0; i < 10_000; i++) {
        Attempt a = h.attempt(CALL);
        a.settle(FAIL);
        assertThat(ejected(h)).isLessThanOrEqualTo(allowed);
        if (i > 100) {
          picked.add(a.endpoint().authority());
        }
      }
      assertThat(ejected(h)).isEqualTo(allowed);
      assertThat(picked).hasSize(10 - allowed);
    }
  }

  @Test
  void maxEjectionPercentHoldsPerSubsetWithAtLeastOneEjectable() {
    assertThat(OutlierScope.maxEjected(3, 10)).isEqualTo(1);
    assertThat(OutlierScope.maxEjected(3, 0)).isZero();
    assertThat(OutlierScope.maxEjected(3, 100)).isEqualTo(3);
    assertThat(OutlierScope.maxEjected(20, 10)).isEqualTo(2);
    try (MeshHarness h = new MeshHarness()) {
      List<ServiceEndpoints.Endpoint> eps = new ArrayList<>();
      for (int i = 1; i <= 10; i++) {
        eps.add(ep("10.0.0." + i, Map.of("version", i <= 3 ? "v1" : "v2")));
      }
      h.apply(
          endpoints("catalog.shop", eps),
          route(
              "catalog.shop",
              List.of(subset("v1", "version", "v1"), subset("v2", "version", "v2")),
              rule().backend("v1", 1).backend("v2", 0).build()),
          policy("catalog.shop")
              .lb(DestinationPolicy.LbPolicy.ROUND_ROBIN, null, false)
              .outliers(outliers(1, Duration.ofSeconds(30), Duration.ofSeconds(300), 50))
              .build());
      for (int i = 0; i < 1000; i++) {
        Attempt a = h.attempt(CALL);
        a.settle(FAIL);
      }
      // v1 has 3 endpoints: 50% allows 1 ejection, whatever the whole destination would allow
      assertThat(ejected(h)).isEqualTo(1);
    }
  }

  @Test
  void failurePercentageOverTheIntervalEjects() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")),
          policy("catalog.shop")
              .lb(DestinationPolicy.LbPolicy.ROUND_ROBIN, null, false)
              .outliers(
                  new DestinationPolicy.OutlierDetection(
                      1000, 50.0, 10, Duration.ofSeconds(10), Duration.ofSeconds(30),
                      Duration.ofSeconds(300), 50.0, true))
              .build());
      // alternate failure and success on 10.0.0.1: never 1000 in a row, but 50% of calls fail
      boolean fail = false;
      while (ejected(h) == 0) {
        Attempt a = h.attempt(CALL);
        if (a.endpoint().authority().equals("10.0.0.1:8080")) {
          a.settle(fail ? FAIL : OK);
          fail = !fail;
        } else {
          a.settle(OK);
        }
      }
      assertThat(h.events.snapshot())
          .anyMatch(l -> l.startsWith("ejected 10.0.0.1:8080") && l.endsWith("failure rate 50% over 10 calls"));
    }
  }

  @Test
  void allEjectedIsRefusedWithNoHealthyEndpoint() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints(
              "catalog.shop",
              ep("10.0.0.1", Map.of("version", "v1")),
              ep("10.0.0.2", Map.of("version", "v1")),
              ep("10.0.0.3", Map.of("version", "v1"))),
          route("catalog.shop", List.of(subset("v1", "version", "v1")), rule().backend("v1", 1).build()),
          policy("catalog.shop")
              .lb(DestinationPolicy.LbPolicy.ROUND_ROBIN, null, false)
              .outliers(outliers(1, Duration.ofSeconds(30), Duration.ofSeconds(300), 100))
              .panic(0)
              .build());
      Attempt a = h.attempt(CALL);
      while (a.admitted()) {
        a.settle(FAIL);
        a = h.attempt(CALL);
      }
      assertThat(a.refusal().reason()).isEqualTo(MeshFailure.Reason.NO_HEALTHY_ENDPOINT);
      assertThat(a.refusal().getMessage())
          .isEqualTo("mesh4j: no healthy endpoint for catalog.shop/v1 (3 of 3 ejected)");
      assertThat(a.refusal().grpcStatus().name()).isEqualTo("UNAVAILABLE");
    }
  }
}
