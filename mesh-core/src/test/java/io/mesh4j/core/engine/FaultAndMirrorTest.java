package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.outliers;
import static io.mesh4j.core.testing.Policies.policy;
import static io.mesh4j.core.testing.Policies.retries;
import static io.mesh4j.core.testing.Policies.subset;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.MirrorTarget;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.testing.MeshHarness;
import io.mesh4j.core.testing.ScriptedRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FaultAndMirrorTest {

  private static final OutboundCall CALL =
      OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build();

  @Test
  void fivePercentAbortHitsFivePercentOf100000Calls() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          route("catalog.shop", List.of(), rule().abort(5).build()));
      int aborted = 0;
      int n = 100_000;
      for (int i = 0; i < n; i++) {
        CallPlan plan = h.plan(CALL);
        Attempt a = plan.nextAttempt();
        assertThat(a.admitted()).isEqualTo(!plan.faultAbort());
        if (!a.admitted()) {
          assertThat(a.refusal().reason()).isEqualTo(MeshFailure.Reason.FAULT_ABORT);
          aborted++;
        } else {
          a.settle(io.mesh4j.core.call.Outcome.success());
        }
      }
      assertThat(aborted / (double) n).isCloseTo(0.05, within(0.005));
    }
  }

  @Test
  void abortedCallCarriesTheConfiguredStatuses() {
    ScriptedRandom random = new ScriptedRandom().alwaysLowest(MeshRandom.Purpose.FAULT);
    try (MeshHarness h = new MeshHarness(random, null)) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          route("catalog.shop", List.of(), rule().abort(1).build()));
      MeshFailure f = h.attempt(CALL).refusal();
      assertThat(f.getMessage())
          .isEqualTo("mesh4j: injected fault for catalog.shop (abort with UNAVAILABLE / HTTP 503)");
      assertThat(f.grpcStatus().name()).isEqualTo("UNAVAILABLE");
      assertThat(f.httpStatus()).isEqualTo(503);
    }
  }

  @Test
  void delayFaultAsksTheAdapterToWait() {
    ScriptedRandom random = new ScriptedRandom().script(MeshRandom.Purpose.FAULT, 99_999, 100_000);
    try (MeshHarness h = new MeshHarness(random, null)) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          route("catalog.shop", List.of(), rule().delay(10, Duration.ofSeconds(2)).build()));
      assertThat(h.plan(CALL).faultDelayNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
      assertThat(h.plan(CALL).faultDelayNanos()).isZero();
    }
  }

  @Test
  void anInjectedDelayCountsAgainstTheDeadlineAndTimeBeforeAnUndelayedFirstAttemptDoesNot() {
    ScriptedRandom random = new ScriptedRandom().script(MeshRandom.Purpose.FAULT, 0, 999_999);
    try (MeshHarness h = new MeshHarness(random, null)) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          route(
              "catalog.shop",
              List.of(),
              rule().timeout(Duration.ofSeconds(1)).delay(50, Duration.ofSeconds(2)).build()));
      CallPlan delayed = h.plan(CALL);
      assertThat(delayed.faultDelayNanos()).isEqualTo(Duration.ofSeconds(1).toNanos());
      h.ticker.advance(Duration.ofSeconds(1));
      Attempt late = delayed.nextAttempt();
      assertThat(late.admitted()).isFalse();
      assertThat(late.refusal().reason()).isEqualTo(MeshFailure.Reason.DEADLINE_EXCEEDED);

      CallPlan undelayed = h.plan(CALL);
      assertThat(undelayed.faultDelayNanos()).isZero();
      h.ticker.advance(Duration.ofSeconds(1));
      Attempt first = undelayed.nextAttempt();
      assertThat(first.admitted()).isTrue();
      assertThat(first.timeoutNanos()).isEqualTo(Duration.ofSeconds(1).toNanos());
      assertThat(first.timeoutIsCallDeadline()).isTrue();
      first.settle(Outcome.success());
    }
  }

  @Test
  void mirrorCopiesItsShareOfCalls() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          route("catalog.shop", List.of(), rule().mirror("shadow.shop", null, 25).build()));
      int mirrored = 0;
      for (int i = 0; i < 100_000; i++) {
        MirrorTarget m = h.plan(CALL).mirror();
        if (m != null) {
          assertThat(m).isEqualTo(new MirrorTarget("shadow.shop", null));
          mirrored++;
        }
      }
      assertThat(mirrored / 100_000.0).isCloseTo(0.25, within(0.005));
    }
  }

  private static final Outcome FAIL = Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");

  @Test
  void mirrorCopyIsPinnedToAnEndpointOfTheShadowSubsetAndTakenOnce() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints(
              "catalog.shop",
              ep("10.0.0.1", Map.of("version", "v1")),
              ep("10.0.0.2", Map.of("version", "shadow"))),
          route(
              "catalog.shop",
              List.of(subset("v1", "version", "v1"), subset("shadow", "version", "shadow")),
              rule()
                  .backend("v1", 1)
                  .retries(retries(3, "UNAVAILABLE"))
                  .mirror(null, "shadow", 100)
                  .build()));
      for (int i = 0; i < 20; i++) {
        CallPlan plan = h.plan(CALL);
        Attempt primary = plan.nextAttempt();
        assertThat(primary.endpoint().address()).isEqualTo("10.0.0.1");
        Attempt copy = plan.mirrorAttempt();
        assertThat(copy).isNotNull();
        assertThat(copy.admitted()).isTrue();
        assertThat(copy.endpoint().address()).isEqualTo("10.0.0.2");
        assertThat(copy.subset()).isEqualTo("shadow");
        assertThat(plan.mirrorAttempt()).isNull();

        RetryDecision d = copy.settle(FAIL);
        assertThat(d.shouldRetry()).isFalse();
        assertThat(d.reason()).isEqualTo(RetryDecision.Reason.MIRROR);
        assertThat(copy.settle(FAIL).reason()).isEqualTo(RetryDecision.Reason.ALREADY_SETTLED);
        primary.settle(Outcome.success());
      }
      assertThat(h.events.snapshot()).noneMatch(line -> line.startsWith("retry "));
    }
  }

  @Test
  void callThatIsNotMirroredHasNoMirrorAttempt() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          route("catalog.shop", List.of(), rule().mirror("shadow.shop", null, 0).build()));
      CallPlan plan = h.plan(CALL);
      assertThat(plan.mirror()).isNull();
      assertThat(plan.mirrorAttempt()).isNull();
    }
  }

  @Test
  void failingMirrorCopiesEjectTheShadowEndpointAndLaterCopiesAreRefusedWhileCallsGoOn() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          endpoints("shadow.shop", ep("10.0.9.1")),
          route("catalog.shop", List.of(), rule().mirror("shadow.shop", null, 100).build()),
          policy("shadow.shop")
              .outliers(outliers(2, Duration.ofSeconds(30), Duration.ofSeconds(300), 100))
              .panic(0)
              .build());
      for (int i = 0; i < 2; i++) {
        CallPlan plan = h.plan(CALL);
        plan.nextAttempt().settle(Outcome.success());
        Attempt copy = plan.mirrorAttempt();
        assertThat(copy.endpoint().address()).isEqualTo("10.0.9.1");
        copy.settle(FAIL);
      }
      assertThat(h.events.snapshot()).anyMatch(line -> line.startsWith("ejected 10.0.9.1:8080"));

      CallPlan plan = h.plan(CALL);
      Attempt primary = plan.nextAttempt();
      assertThat(primary.admitted()).isTrue();
      Attempt copy = plan.mirrorAttempt();
      assertThat(copy.admitted()).isFalse();
      assertThat(copy.refusal().reason()).isEqualTo(MeshFailure.Reason.NO_HEALTHY_ENDPOINT);
      assertThat(copy.refusal().destination()).isEqualTo("shadow.shop");
      assertThat(copy.settle(FAIL).reason()).isEqualTo(RetryDecision.Reason.REFUSED);
    }
  }

  @Test
  void mirrorCopyToADestinationTheSnapshotDoesNotKnowIsRefused() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          route("catalog.shop", List.of(), rule().mirror("ghost.shop", null, 100).build()));
      CallPlan plan = h.plan(CALL);
      assertThat(plan.nextAttempt().admitted()).isTrue();
      Attempt copy = plan.mirrorAttempt();
      assertThat(copy.admitted()).isFalse();
      assertThat(copy.refusal().reason()).isEqualTo(MeshFailure.Reason.UNKNOWN_DESTINATION);
      assertThat(h.events.snapshot())
          .anyMatch(line -> line.startsWith("refused call:") && line.contains("ghost.shop"));
    }
  }

  @Test
  void mirrorCopyHoldsTheShadowsConcurrencySlotUntilSettled() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          endpoints("shadow.shop", ep("10.0.9.1")),
          route("catalog.shop", List.of(), rule().mirror("shadow.shop", null, 100).build()),
          policy("shadow.shop")
              .breaker(
                  new io.mesh4j.core.policy.DestinationPolicy.CircuitBreaker(
                      50.0, 100.0, Duration.ofSeconds(60), 1000,
                      io.mesh4j.core.policy.DestinationPolicy.SlidingWindowType.COUNT, 1000,
                      Duration.ofSeconds(5), 1, 1))
              .build());
      CallPlan first = h.plan(CALL);
      first.nextAttempt();
      Attempt held = first.mirrorAttempt();
      assertThat(held.admitted()).isTrue();

      CallPlan second = h.plan(CALL);
      second.nextAttempt();
      Attempt refused = second.mirrorAttempt();
      assertThat(refused.admitted()).isFalse();
      assertThat(refused.refusal().reason()).isEqualTo(MeshFailure.Reason.MAX_CONCURRENCY);

      held.settle(Outcome.success());
      CallPlan third = h.plan(CALL);
      third.nextAttempt();
      assertThat(third.mirrorAttempt().admitted()).isTrue();
    }
  }

  @Test
  void mirrorCopyTimesOutWithTheCallAndIsRefusedOnceTheDeadlineHasPassed() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          endpoints("shadow.shop", ep("10.0.9.1")),
          route(
              "catalog.shop",
              List.of(),
              rule().timeout(Duration.ofSeconds(1)).mirror("shadow.shop", null, 100).build()));
      CallPlan plan = h.plan(CALL);
      plan.nextAttempt();
      h.ticker.advance(Duration.ofMillis(400));
      Attempt copy = plan.mirrorAttempt();
      assertThat(copy.timeoutNanos()).isEqualTo(Duration.ofMillis(600).toNanos());

      CallPlan late = h.plan(CALL);
      late.nextAttempt();
      h.ticker.advance(Duration.ofSeconds(1));
      Attempt lateCopy = late.mirrorAttempt();
      assertThat(lateCopy.admitted()).isFalse();
      assertThat(lateCopy.refusal().reason()).isEqualTo(MeshFailure.Reason.DEADLINE_EXCEEDED);
    }
  }
}
