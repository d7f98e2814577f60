package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.retries;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.TestPolicySets;
import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.telemetry.ClientCallInfo;
import io.mesh4j.core.telemetry.ClientCallObserver;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.testing.FakeSleeper;
import io.mesh4j.core.testing.FakeTicker;
import io.mesh4j.core.testing.ManualConfigSource;
import io.mesh4j.core.testing.MeshHarness;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine owns the call's life: observers paired, one end, waits, cancellation. */
@Timeout(10)
class CallLifecycleTest {

  private static final Outcome UNAVAILABLE =
      Outcome.failure(Outcome.Kind.STATUS, "UNAVAILABLE");

  private static OutboundCall call() {
    return OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "Get").idempotent(true).build();
  }

  /** Writes every call event it hears; traces calls with {@code traceId} when not null. */
  private static final class Recording extends MeshListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final @Nullable String traceId;

    Recording(@Nullable String traceId) {
      this.traceId = traceId;
    }

    @Override
    public boolean tracesCalls() {
      return traceId != null;
    }

    @Override
    public void callRefused(MeshFailure failure) {
      events.add("refused " + failure.reason());
    }

    @Override
    public ClientCallObserver clientCall(ClientCallInfo call) {
      events.add("call " + call.destination() + " known=" + call.known() + " trace=" + call.traceId());
      return new ClientCallObserver() {
        @Override
        public void attemptStarted(Attempt attempt, HeaderSetter headers) {
          headers.set("x-trace", String.valueOf(traceId));
          events.add("start #" + attempt.number());
        }

        @Override
        public void attemptEnded(Attempt attempt, Outcome outcome) {
          events.add("end #" + attempt.number() + " " + outcome.kind());
        }

        @Override
        public void callEnded(CallEnd end) {
          events.add(
              "ended " + end.status().name() + " after " + end.durationNanos() + " refusal="
                  + (end.refusal() == null ? null : end.refusal().reason()));
        }

        @Override
        public @Nullable String traceId() {
          return traceId;
        }
      };
    }
  }

  /** Throws from every method it has, and from every observer method. */
  private static final class Throwing extends MeshListener {
    @Override
    public void snapshotApplied(long version) {
      throw new IllegalStateException("snapshotApplied");
    }

    @Override
    public void callRefused(MeshFailure failure) {
      throw new IllegalStateException("callRefused");
    }

    @Override
    public void retryScheduled(String destination, int next, long backoff, Outcome outcome) {
      throw new IllegalStateException("retryScheduled");
    }

    @Override
    public ClientCallObserver clientCall(ClientCallInfo call) {
      return new ClientCallObserver() {
        @Override
        public void attemptStarted(Attempt attempt, HeaderSetter headers) {
          throw new IllegalStateException("attemptStarted");
        }

        @Override
        public void attemptEnded(Attempt attempt, Outcome outcome) {
          throw new IllegalStateException("attemptEnded");
        }

        @Override
        public void callEnded(CallEnd end) {
          throw new IllegalStateException("callEnded");
        }

        @Override
        public @Nullable String traceId() {
          throw new IllegalStateException("traceId");
        }
      };
    }
  }

  private static MeshHarness harness(MeshListener listener, MeshResource route) {
    MeshHarness h = new MeshHarness(ticker -> listener);
    h.apply(endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")), route);
    return h;
  }

  @Test
  void theEnginePairsEveryAttemptAndEndsTheCallOnce() {
    Recording rec = new Recording(null);
    try (MeshHarness h =
        harness(rec, route("catalog.shop", List.of(), rule().retries(retries(3, "UNAVAILABLE")).build()))) {
      CallPlan plan = h.plan(call());
      Attempt first = plan.nextAttempt();
      h.ticker.advanceNanos(1000);
      assertThat(first.settle(UNAVAILABLE).shouldRetry()).isTrue();
      List<String> written = new CopyOnWriteArrayList<>();
      Attempt second = plan.nextAttempt((k, v) -> written.add(k + "=" + v));
      second.settle(Outcome.success());
      h.ticker.advanceNanos(500);
      plan.end(CallStatus.grpc(0), 10, 20);
      plan.end(CallStatus.grpc(13), 10, 20);

      assertThat(written).containsExactly("x-trace=null");
      assertThat(rec.events)
          .containsExactly(
              "call catalog.shop known=true trace=null",
              "start #1",
              "end #1 STATUS",
              "start #2",
              "end #2 SUCCESS",
              "ended OK after 1500 refusal=null");
    }
  }

  @Test
  void aCallEndedByARefusedAttemptReportsTheRefusal() {
    Recording rec = new Recording(null);
    try (MeshHarness h = harness(rec, route("catalog.shop", List.of(), rule().abort(100).build()))) {
      CallPlan plan = h.plan(call());
      Attempt refused = plan.nextAttempt();
      assertThat(refused.admitted()).isFalse();
      plan.end(refused.refusal().grpcStatus(), -1, -1);

      assertThat(rec.events)
          .containsExactly(
              "call catalog.shop known=true trace=null",
              "refused FAULT_ABORT",
              "ended UNAVAILABLE after 0 refusal=FAULT_ABORT");
    }
  }

  @Test
  void tracingListenersObserveFirstSoThatTheOthersLearnTheTraceId() {
    Recording log = new Recording(null);
    Recording tracing = new Recording("4bf92f3577b34da6a3ce929d0e0e4736");
    ManualConfigSource source = new ManualConfigSource();
    try (Mesh mesh =
        Mesh.builder().configSource(source).ticker(new FakeTicker()).listener(log).listener(tracing).build()) {
      source.push(TestPolicySets.of(1, endpoints("catalog.shop", ep("10.0.0.1"))));
      mesh.outbound().plan(call());

      assertThat(tracing.events).containsExactly("call catalog.shop known=true trace=null");
      assertThat(log.events)
          .containsExactly("call catalog.shop known=true trace=4bf92f3577b34da6a3ce929d0e0e4736");
    }
  }

  @Test
  void anObserverThatThrowsOnEveryEventNeverReachesTheCallAndIsCounted() {
    Recording rec = new Recording(null);
    MeshHarness h = new MeshHarness(ticker -> new Throwing());
    try (h;
        Mesh mesh =
            Mesh.builder()
                .configSource(h.source)
                .ticker(h.ticker)
                .listener(new Throwing())
                .listener(rec)
                .build()) {
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1")),
          route("catalog.shop", List.of(), rule().retries(retries(2, "UNAVAILABLE")).build()));
      CallPlan plan = mesh.outbound().plan(call());
      Attempt first = plan.nextAttempt();
      assertThat(first.settle(UNAVAILABLE).shouldRetry()).isTrue();
      Attempt second = plan.nextAttempt();
      assertThat(second.admitted()).isTrue();
      second.settle(Outcome.success());
      plan.end(CallStatus.grpc(0), -1, -1);

      // the recording listener, registered after the throwing one, heard everything
      assertThat(rec.events)
          .containsExactly(
              "call catalog.shop known=true trace=null",
              "start #1",
              "end #1 STATUS",
              "start #2",
              "end #2 SUCCESS",
              "ended OK after 0 refusal=null");
      assertThat(mesh.listenerFailures()).isGreaterThanOrEqualTo(7);
    }
  }

  @Test
  void anUnknownDestinationCostsNothingUntilAnAttemptIsTaken() {
    Recording rec = new Recording(null);
    try (MeshHarness h = harness(rec, route("catalog.shop", List.of(), rule().build()))) {
      CallPlan plan = h.plan(OutboundCall.builder("example.com").http("GET", "/").build());
      assertThat(plan.known()).isFalse();
      assertThat(rec.events).isEmpty();

      Attempt attempt = plan.nextAttempt();
      plan.end(CallStatus.grpc(14), -1, -1);

      assertThat(attempt.refusal().reason()).isEqualTo(MeshFailure.Reason.UNKNOWN_DESTINATION);
      assertThat(rec.events)
          .containsExactly(
              "call example.com known=false trace=null",
              "refused UNKNOWN_DESTINATION",
              "ended UNAVAILABLE after 0 refusal=UNKNOWN_DESTINATION");
    }
  }

  @Test
  void aFaultDelayEndsAtTheDeadline() {
    try (MeshHarness h =
        harness(
            new Recording(null),
            route(
                "catalog.shop",
                List.of(),
                rule().timeout(Duration.ofSeconds(1)).delay(100, Duration.ofSeconds(5)).build()))) {
      CallPlan plan = h.plan(call());
      assertThat(plan.faultDelayNanos()).isEqualTo(Duration.ofSeconds(1).toNanos());
    }
  }

  @Test
  void aPauseWaitsOnTheMeshsSleeperAndTheNextAttemptFollowsIt() throws Exception {
    try (MeshHarness h =
        harness(
            new Recording(null),
            route("catalog.shop", List.of(), rule().delay(100, Duration.ofSeconds(3)).build()))) {
      long before = h.ticker.nanos();
      CallPlan plan = h.plan(call());
      assertThat(plan.pause(plan.faultDelayNanos(), () -> false)).isTrue();
      assertThat(h.ticker.nanos() - before).isEqualTo(Duration.ofSeconds(3).toNanos());
      assertThat(h.sleeper.waits()).containsExactly(Duration.ofSeconds(3).toNanos());
      assertThat(plan.nextAttempt().admitted()).isTrue();
    }
  }

  @Test
  void cancellingDuringAPauseWakesItAndRefusesEveryLaterAttemptQuietly() throws Exception {
    Recording rec = new Recording(null);
    FakeTicker ticker = new FakeTicker();
    FakeSleeper sleeper = FakeSleeper.manual(ticker);
    ManualConfigSource source = new ManualConfigSource();
    try (Mesh mesh =
        Mesh.builder().configSource(source).ticker(ticker).sleeper(sleeper).listener(rec).build()) {
      source.push(TestPolicySets.of(1, endpoints("catalog.shop", ep("10.0.0.1"))));
      CallPlan plan = mesh.outbound().plan(call());
      CompletableFuture<Boolean> paused =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return plan.pause(Duration.ofSeconds(60).toNanos(), () -> false);
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              });
      await().until(() -> sleeper.pending() == 1);
      plan.cancel();

      assertThat(paused.get()).isFalse();
      assertThat(sleeper.pending()).isZero();
      Attempt next = plan.nextAttempt();
      assertThat(next.refusal().reason()).isEqualTo(MeshFailure.Reason.CANCELLED);
      assertThat(rec.events).noneMatch(e -> e.startsWith("refused"));
    }
  }

  @Test
  void theApplicationsOwnCancellationFlagEndsAPause() throws Exception {
    FakeTicker ticker = new FakeTicker();
    ManualConfigSource source = new ManualConfigSource();
    AtomicBoolean gaveUp = new AtomicBoolean();
    try (Mesh mesh =
        Mesh.builder().configSource(source).ticker(ticker).sleeper(FakeSleeper.manual(ticker)).build()) {
      source.push(TestPolicySets.of(1, endpoints("catalog.shop", ep("10.0.0.1"))));
      CallPlan plan = mesh.outbound().plan(call());
      CompletableFuture<Boolean> paused =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return plan.pause(Duration.ofSeconds(60).toNanos(), gaveUp::get);
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              });
      gaveUp.set(true);

      assertThat(paused.get()).isFalse();
      assertThat(plan.nextAttempt().refusal().reason()).isEqualTo(MeshFailure.Reason.CANCELLED);
    }
  }

  @Test
  void aCancelledCallNeverResumes() {
    FakeTicker ticker = new FakeTicker();
    FakeSleeper sleeper = FakeSleeper.manual(ticker);
    ManualConfigSource source = new ManualConfigSource();
    AtomicInteger resumed = new AtomicInteger();
    try (Mesh mesh =
        Mesh.builder().configSource(source).ticker(ticker).sleeper(sleeper).build()) {
      source.push(TestPolicySets.of(1, endpoints("catalog.shop", ep("10.0.0.1"))));
      CallPlan plan = mesh.outbound().plan(call());
      plan.resumeAfter(1000, resumed::incrementAndGet);
      CallPlan other = mesh.outbound().plan(call());
      other.resumeAfter(1000, resumed::incrementAndGet);
      plan.cancel();
      plan.resumeAfter(1000, resumed::incrementAndGet);
      sleeper.advance(1000);

      assertThat(resumed).hasValue(1);
    }
  }
}
