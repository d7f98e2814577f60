package io.mesh4j.controller.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mesh4j.controller.ca.CallerIdentity;
import io.mesh4j.wire.v1.ClientMessage;
import io.mesh4j.wire.v1.Hello;
import io.mesh4j.wire.v1.Nack;
import io.mesh4j.wire.v1.Problem;
import io.mesh4j.wire.v1.ServerMessage;
import io.mesh4j.core.base.JsonText;
import io.mesh4j.core.policy.PolicySet;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The distributor's bounds, driven directly with a fake clock and fake streams. */
@Timeout(20)
class SnapshotDistributorTest {

  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-01T00:00:00Z"));
  private final InstantSource clock = () -> now.get();
  private final SnapshotDistributor distributor =
      new SnapshotDistributor(clock, new SnapshotDistributor.Limits(2, Duration.ofMinutes(5)));

  @AfterEach
  void close() {
    distributor.close();
  }

  @Test
  void anIdentitysCountersDisappearOnlyAfterItsLastStreamHasBeenGoneForTheRetention() throws Exception {
    distributor.serve(PolicySet.EMPTY);
    FakeStream stream = new FakeStream();
    StreamObserver<ClientMessage> in = distributor.open(1, "peer", new CallerIdentity("shop", "frontend"), stream);
    in.onNext(hello("frontend"));
    await().until(() -> stream.sent.size() == 1);
    in.onNext(ClientMessage.newBuilder().setNack(Nack.newBuilder()
        .setVersion(stream.sent.get(0).getSnapshot().getVersion())
        .addProblems(Problem.newBuilder().setResource("r").setExpected("e"))).build());
    await().until(() -> distributor.nackCount() == 1);

    in.onCompleted();
    await().until(() -> distributor.applications().isEmpty());
    now.set(now.get().plus(Duration.ofMinutes(4)));
    distributor.sweepNow();
    assertThat(distributor.nacksByApplication()).containsOnlyKeys("shop/frontend");

    now.set(now.get().plus(Duration.ofMinutes(2)));
    distributor.sweepNow();
    assertThat(distributor.nacksByApplication()).isEmpty();
  }

  @Test
  void callbacksThatArriveAfterCloseAreDropped() {
    distributor.serve(PolicySet.EMPTY);
    FakeStream stream = new FakeStream();
    StreamObserver<ClientMessage> in = distributor.open(1, "peer", new CallerIdentity("shop", "frontend"), stream);
    in.onNext(hello("frontend"));
    await().until(() -> stream.sent.size() == 1);
    distributor.close();

    // what a stopping gRPC server and the policy inputs may still deliver
    in.onNext(hello("frontend"));
    in.onError(new IllegalStateException("cancelled"));
    in.onCompleted();
    distributor.serve(PolicySet.EMPTY);
    assertThat(stream.sent).hasSize(1);
  }

  @Test
  void theRefusalListenerHearsWhenARefusalEndsNotOnlyWhenItStarts() {
    AtomicInteger calls = new AtomicInteger();
    distributor.onRefusalsChanged(calls::incrementAndGet);
    distributor.serve(PolicySet.EMPTY);
    FakeStream stream = new FakeStream();
    StreamObserver<ClientMessage> in = distributor.open(1, "peer", new CallerIdentity("shop", "frontend"), stream);
    in.onNext(hello("frontend"));
    await().until(() -> stream.sent.size() == 1);
    in.onNext(ClientMessage.newBuilder().setNack(Nack.newBuilder()
        .setVersion(stream.sent.get(0).getSnapshot().getVersion())
        .addProblems(Problem.newBuilder().setResource("r").setExpected("e"))).build());
    await().until(() -> calls.get() == 1);

    in.onNext(ack(stream.sent.get(0)));
    await().until(() -> distributor.refusals().get(StreamRefusal.DUPLICATE_ANSWER) == 1);
    assertThat(calls.get()).as("a second answer to a NACKed version changes nothing").isEqualTo(1);

    // A later version that the application applies ends the refusal: the listener hears it.
    distributor.serve(PolicySet.parse(CATALOG_ROUTE));
    await().until(() -> stream.sent.size() == 2);
    in.onNext(ack(stream.sent.get(1)));
    await().until(() -> calls.get() == 2);

    in.onCompleted();
    await().until(() -> calls.get() == 3);
  }

  private static ClientMessage ack(ServerMessage sent) {
    return ClientMessage.newBuilder()
        .setAck(io.mesh4j.wire.v1.Ack.newBuilder().setVersion(sent.getSnapshot().getVersion()))
        .build();
  }

  private static final String CATALOG_ROUTE =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: catalog, namespace: shop}
      spec:
        destination: catalog
        rules:
          - backends: [{weight: 1}]
      """;

  @Test
  void theStreamsOfOneIdentityAreBoundedWhileOtherIdentitiesAreServed() {
    distributor.serve(PolicySet.EMPTY);
    FakeStream[] streams = new FakeStream[4];
    for (int i = 0; i < 3; i++) {
      streams[i] = new FakeStream();
      distributor.open(i, "peer", new CallerIdentity("shop", "frontend"), streams[i]).onNext(hello("frontend"));
    }
    streams[3] = new FakeStream();
    distributor.open(3, "peer", new CallerIdentity("shop", "checkout"), streams[3]).onNext(hello("checkout"));

    await().until(() -> distributor.applications().size() == 3);
    assertThat(streams[2].error.get()).hasMessage("RESOURCE_EXHAUSTED: mesh4j: shop/frontend already has 2 open"
        + " policy streams, the most one identity may have");
    assertThat(streams[3].sent).hasSize(1);
    assertThat(distributor.refusals().get(StreamRefusal.TOO_MANY_STREAMS)).isEqualTo(1);
  }

  @Test
  void theApplicationsOfOneScopeAreSentOneMessageInstanceSoItIsEncodedOnce() {
    distributor.serve(PolicySet.EMPTY);
    FakeStream[] streams = {new FakeStream(), new FakeStream()};
    distributor.open(1, "peer", new CallerIdentity("shop", "frontend"), streams[0]).onNext(hello("frontend"));
    distributor.open(2, "peer", new CallerIdentity("shop", "frontend"), streams[1]).onNext(hello("frontend"));
    await().until(() -> streams[0].sent.size() == 1 && streams[1].sent.size() == 1);

    distributor.serve(PolicySet.parse(CATALOG_ROUTE));

    await().until(() -> streams[0].sent.size() == 2 && streams[1].sent.size() == 2);
    assertThat(streams[1].sent.get(0)).isSameAs(streams[0].sent.get(0));
    assertThat(streams[1].sent.get(1)).isSameAs(streams[0].sent.get(1));
    assertThat(streams[1].sent.get(1).getSnapshot().getResourcesCount()).isEqualTo(1);
  }

  @Test
  void eachStreamHasAtMostOneMessageWaitingForTheUpdateThread() {
    distributor.serve(PolicySet.EMPTY);
    FakeStream stream = new FakeStream();
    StreamObserver<ClientMessage> in = distributor.open(1, "peer", new CallerIdentity("shop", "frontend"), stream);
    assertThat(stream.requested.get()).isEqualTo(1);

    in.onNext(hello("frontend"));

    await().until(() -> stream.requested.get() == 2);
  }

  @Test
  void aBurstOfWorldsIsServedAsItsLatest() {
    FakeStream stream = new FakeStream();
    distributor.serve(PolicySet.EMPTY);
    distributor.open(1, "peer", new CallerIdentity("shop", "frontend"), stream).onNext(hello("frontend"));
    await().until(() -> stream.sent.size() == 1);

    for (int i = 1; i <= 100; i++) {
      distributor.serve(PolicySet.EMPTY.withVersion(i));
    }

    await().until(() -> distributor.isReady() && distributor.computeCount() >= 2);
    assertThat(distributor.computeCount()).as("one scope, far fewer than 100 computations").isLessThan(100);
  }

  @Test
  void refusedCallReportsAreIgnoredAndCountedAndTheStreamGoesOn() {
    distributor.serve(PolicySet.EMPTY);
    FakeStream stream = new FakeStream();
    StreamObserver<ClientMessage> in = distributor.open(1, "peer", new CallerIdentity("shop", "frontend"), stream);

    in.onNext(report(5_000, 10));
    await().until(() -> distributor.refusals().get(StreamRefusal.REPORT_BEFORE_HELLO) == 1);
    in.onNext(hello("frontend"));
    await().until(() -> stream.sent.size() == 1);

    in.onNext(report(5_000, 10));
    in.onNext(report(5_000, 10));
    await().until(() -> distributor.refusals().get(StreamRefusal.REPORT_TOO_FREQUENT) == 1);
    now.set(now.get().plusSeconds(1));
    in.onNext(report(0, 10));
    await().until(() -> distributor.refusals().get(StreamRefusal.INVALID_REPORT) == 1);
    io.mesh4j.wire.v1.CallReport.Builder big = io.mesh4j.wire.v1.CallReport.newBuilder().setIntervalMillis(5_000);
    for (int i = 0; i <= io.mesh4j.wire.v1.CallReports.MAX_ROWS; i++) {
      big.addCalls(io.mesh4j.wire.v1.CallStats.newBuilder().setDestination("s" + i + ".shop").setRoute("default").setRequests(1));
    }
    in.onNext(ClientMessage.newBuilder().setReport(big).build());
    await().until(() -> distributor.refusals().get(StreamRefusal.OVERSIZE_REPORT) == 1);
    in.onNext(report(1_000, 5));

    // the first ask, then one after each of the seven messages: every one was read
    await().until(() -> stream.requested.get() == 8);
    assertThat(stream.error.get()).isNull();
    assertThat(distributor.applications()).hasSize(1);
    assertThat(JsonText.write(distributor.traffic().view(distributor.applications())))
        .as("15 calls, in reports covering the 6 s from 5 s before the first")
        .contains("\"from\":\"frontend\",\"fromNamespace\":\"shop\",\"to\":\"catalog.shop\",\"requestsPerSecond\":2.5");
  }

  @Test
  void aStreamThatKeepsSendingRefusedReportsIsClosed() {
    distributor.serve(PolicySet.EMPTY);
    FakeStream stream = new FakeStream();
    StreamObserver<ClientMessage> in = distributor.open(1, "peer", new CallerIdentity("shop", "frontend"), stream);
    in.onNext(hello("frontend"));
    await().until(() -> stream.sent.size() == 1);

    for (int i = 0; i < SnapshotDistributor.MAX_REFUSED_REPORTS; i++) {
      in.onNext(report(0, 1));
    }

    await().until(() -> stream.error.get() != null);
    assertThat(stream.error.get()).hasMessageStartingWith("RESOURCE_EXHAUSTED: mesh4j: 64 call reports refused on this stream");
    assertThat(distributor.refusals().get(StreamRefusal.INVALID_REPORT)).isEqualTo(SnapshotDistributor.MAX_REFUSED_REPORTS);
    assertThat(distributor.refusals().get(StreamRefusal.TOO_MANY_REFUSED_REPORTS)).isEqualTo(1);
  }

  /** A report of {@code requests} calls to catalog.shop, all in the first latency bucket. */
  private static ClientMessage report(long intervalMillis, long requests) {
    return ClientMessage.newBuilder()
        .setReport(io.mesh4j.wire.v1.CallReport.newBuilder()
            .setIntervalMillis(intervalMillis)
            .addCalls(io.mesh4j.wire.v1.CallStats.newBuilder()
                .setDestination("catalog.shop").setRoute("default").setSubset("v1")
                .setRequests(requests).addLatencyBuckets(requests)))
        .build();
  }

  private static ClientMessage hello(String application) {
    return ClientMessage.newBuilder()
        .setHello(Hello.newBuilder().setApplication(application).setNamespace("shop").addCalls("catalog"))
        .build();
  }

  /** A stream that records what the distributor sends and asks for. */
  private static final class FakeStream extends ServerCallStreamObserver<ServerMessage> {
    final List<ServerMessage> sent = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final AtomicInteger requested = new AtomicInteger();

    @Override
    public void onNext(ServerMessage value) {
      sent.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error.set(t);
    }

    @Override
    public void onCompleted() {}

    @Override
    public void request(int count) {
      requested.addAndGet(count);
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {}

    @Override
    public void setCompression(String compression) {}

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void setMessageCompression(boolean enable) {}
  }
}
