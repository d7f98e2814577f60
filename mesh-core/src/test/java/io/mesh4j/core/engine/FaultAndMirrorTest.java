package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.mesh4j.core.MeshFailure;
import io.mesh4j.core.MeshRandom;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.MirrorTarget;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.testing.MeshHarness;
import io.mesh4j.core.testing.ScriptedRandom;
import java.time.Duration;
import java.util.List;
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
          a.settle(io.mesh4j.core.call.Outcome.success(1000));
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
      assertThat(f.grpcStatus()).isEqualTo("UNAVAILABLE");
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
}
