package io.mesh4j.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.testing.MeshHarness;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The MeshConfig's default deadline for unary calls, on the fake ticker. */
@Timeout(10)
class DefaultDeadlineTest {

  private static final long MS = 1_000_000;

  private static final String POLICY =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: catalog, namespace: shop}
      spec:
        service: catalog
        endpoints: [{address: 10.0.0.1, port: 8080}]
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: catalog, namespace: shop}
      spec:
        destination: catalog
        rules:
          - {name: slow, matches: [{grpc: {method: Slow}}], timeout: 2s, backends: [{}]}
          - {name: any, backends: [{}]}
      """;

  private final MeshHarness h = new MeshHarness();

  @AfterEach
  void tearDown() {
    h.close();
  }

  private void apply(String meshConfigSpec) {
    String yaml =
        POLICY
            + (meshConfigSpec == null
                ? ""
                : "---\napiVersion: mesh4j.io/v1alpha1\nkind: MeshConfig\nmetadata: {name: mesh}\nspec: "
                    + meshConfigSpec
                    + "\n");
    h.apply(PolicySet.parse(yaml).resources().toArray(new MeshResource[0]));
  }

  private static OutboundCall.Builder unary(String method) {
    return OutboundCall.builder("catalog.shop").grpc("shop.Catalog", method);
  }

  @Test
  void anUnboundedUnaryCallGetsFifteenSecondsByDefault() {
    apply(null);
    CallPlan plan = h.plan(unary("Get").build());
    assertThat(plan.remainingNanos()).isEqualTo(15_000 * MS);
    assertThat(plan.defaultDeadlineFailure()).isNotNull();
    CallPlan http = h.plan(OutboundCall.builder("catalog.shop").http("GET", "/items").build());
    assertThat(http.remainingNanos()).isEqualTo(15_000 * MS);
  }

  @Test
  void theConfiguredDefaultAppliesAndItsExpiryIsReportedAsTheMeshDefault() {
    apply("{defaultUnaryTimeout: 300ms}");
    CallPlan plan = h.plan(unary("Get").build());
    assertThat(plan.remainingNanos()).isEqualTo(300 * MS);
    MeshFailure f = plan.defaultDeadlineFailure();
    assertThat(f).isNotNull();
    assertThat(f.reason()).isEqualTo(MeshFailure.Reason.DEADLINE_EXCEEDED);
    assertThat(f.grpcStatus().name()).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(f.httpStatus()).isEqualTo(504);
    assertThat(f.getMessage())
        .isEqualTo(
            "mesh4j: deadline exceeded for catalog.shop (the mesh's default timeout of 300ms for"
                + " unary calls expired; set a timeout on the route rule or a deadline on the call"
                + " to change it)");

    Attempt first = plan.nextAttempt();
    assertThat(first.timeoutIsCallDeadline()).isTrue();
    assertThat(plan.defaultDeadlineFailure()).isNotNull();
    first.settle(Outcome.failure(Outcome.Kind.RESET, "UNAVAILABLE"));
    h.ticker.advance(Duration.ofMillis(300));
    assertThat(plan.remainingNanos()).isZero();
    Attempt late = plan.nextAttempt();
    assertThat(late.admitted()).isFalse();
    assertThat(late.refusal().reason()).isEqualTo(MeshFailure.Reason.DEADLINE_EXCEEDED);
    assertThat(late.refusal().getMessage())
        .startsWith("mesh4j: deadline exceeded for catalog.shop (the mesh's default timeout of 300ms")
        .endsWith("before attempt 2 of rule any)");
  }

  @Test
  void theCallersDeadlineWinsEvenWhenLongerThanTheDefault() {
    apply("{defaultUnaryTimeout: 300ms}");
    CallPlan plan = h.plan(unary("Get").timeRemainingNanos(60_000 * MS).build());
    assertThat(plan.remainingNanos()).isEqualTo(60_000 * MS);
    assertThat(plan.defaultDeadlineFailure()).isNull();
  }

  @Test
  void theRulesTimeoutWinsOverTheDefault() {
    apply("{defaultUnaryTimeout: 300ms}");
    CallPlan plan = h.plan(unary("Slow").build());
    assertThat(plan.remainingNanos()).isEqualTo(2_000 * MS);
    assertThat(plan.defaultDeadlineFailure()).isNull();
  }

  @Test
  void streamingCallsGetNoDefaultButKeepTheRulesTimeout() {
    apply("{defaultUnaryTimeout: 300ms}");
    CallPlan stream = h.plan(unary("Watch").streaming(true).build());
    assertThat(stream.remainingNanos()).isEqualTo(Long.MAX_VALUE);
    assertThat(stream.defaultDeadlineFailure()).isNull();
    h.ticker.advance(Duration.ofDays(1));
    assertThat(stream.nextAttempt().admitted()).isTrue();

    CallPlan slowStream = h.plan(unary("Slow").streaming(true).build());
    assertThat(slowStream.remainingNanos()).isEqualTo(2_000 * MS);
  }
}
