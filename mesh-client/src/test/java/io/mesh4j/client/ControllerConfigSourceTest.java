package io.mesh4j.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.core.source.RecordingListener;
import io.mesh4j.wire.v1.ClientMessage;
import io.mesh4j.wire.v1.Current;
import io.mesh4j.wire.v1.Hello;
import io.mesh4j.wire.v1.PolicyServiceGrpc;
import io.mesh4j.wire.v1.Resource;
import io.mesh4j.wire.v1.ServerMessage;
import io.mesh4j.wire.v1.Snapshot;
import io.mesh4j.wire.v1.Snapshots;
import io.mesh4j.wire.v1.Version;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The application's end of the stream against a scripted controller on loopback, for the cases a
 * well-behaved controller never produces.
 */
@Timeout(20)
class ControllerConfigSourceTest {

  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

  private final BlockingQueue<ClientMessage> received = new LinkedBlockingQueue<>();
  private volatile @Nullable StreamObserver<ServerMessage> toClient;
  private @Nullable Server server;
  private @Nullable ControllerConfigSource source;
  private final RecordingListener listener = new RecordingListener();

  @BeforeEach
  void startScriptedController() throws IOException {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
            .addService(
                new PolicyServiceGrpc.PolicyServiceImplBase() {
                  @Override
                  public StreamObserver<ClientMessage> subscribe(StreamObserver<ServerMessage> out) {
                    toClient = out;
                    return new StreamObserver<>() {
                      @Override
                      public void onNext(ClientMessage value) {
                        received.add(value);
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        out.onCompleted();
                      }
                    };
                  }
                })
            .build()
            .start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (source != null) {
      source.close();
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void introducesItselfWithWhatItCallsAndServes() throws InterruptedException {
    connect();

    Hello hello = next().getHello();

    assertThat(hello.getApplication()).isEqualTo("frontend");
    assertThat(hello.getNamespace()).isEqualTo("shop");
    assertThat(hello.getIdentity()).isEqualTo("spiffe://cluster.local/ns/shop/sa/frontend");
    assertThat(hello.getCallsList()).containsExactly("catalog");
    assertThat(hello.getServesList()).containsExactly("frontend");
    assertThat(hello.hasHeld()).isFalse();
  }

  @Test
  void acksAnAppliedSnapshotAndReportsItsVersionAndSyncTime() throws InterruptedException {
    connect();
    next();

    Snapshot snapshot = snapshot(3, 90);
    send(snapshot);

    assertThat(next().getAck().getVersion()).isEqualTo(snapshot.getVersion());
    assertThat(listener.last().version()).isEqualTo(3);
    assertThat(source().status())
        .isEqualTo(new ControllerConfigSource.Status(true, 3, snapshot.getVersion().getHash(), NOW));
  }

  @Test
  void refusesAnOlderVersionOnTheSameStreamAndKeepsWhatItHolds() throws InterruptedException {
    connect();
    next();
    send(snapshot(5, 90));
    next();

    Snapshot older = snapshot(4, 10);
    send(older);

    ClientMessage answer = next();
    assertThat(answer.getNack().getVersion()).isEqualTo(older.getVersion());
    assertThat(answer.getNack().getProblems(0).getExpected())
        .isEqualTo("must be greater than the version last sent on this stream, 5; versions only move forward");
    assertThat(listener.updates).hasSize(1);
    assertThat(source().status().version()).isEqualTo(5);
  }

  @Test
  void sameContentUnderAHigherNumberIsAdoptedWithoutApplyingAgain() throws InterruptedException {
    connect();
    next();
    Snapshot first = snapshot(2, 90);
    send(first);
    next();

    send(Snapshots.renumber(first, 7));

    assertThat(next().getAck().getVersion().getNumber()).isEqualTo(7);
    assertThat(listener.updates).hasSize(1);
    assertThat(source().status().version()).isEqualTo(7);
  }

  @Test
  void invalidSnapshotIsNackedWithItsFieldPathAndNeverReachesTheListener() throws InterruptedException {
    connect();
    next();
    String yaml =
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends: [{weight: -1}]
        """;
    List<Resource> resources = List.of(Resource.newBuilder().setRef("TrafficRoute shop/catalog").setYaml(yaml).build());
    Snapshot invalid =
        Snapshot.newBuilder()
            .setVersion(Version.newBuilder().setNumber(1).setHash(Snapshots.hash(resources)))
            .addAllResources(resources)
            .build();

    send(invalid);

    ClientMessage answer = next();
    assertThat(answer.getNack().getProblemsList())
        .extracting(p -> Snapshots.fromWire(p).message())
        .containsExactly("TrafficRoute shop/catalog: spec.rules[0].backends[0].weight: must be >= 0, got -1");
    assertThat(listener.updates).isEmpty();
    assertThat(listener.rejections).hasSize(1);
  }

  @Test
  void snapshotWhoseHashDoesNotMatchItsContentIsRefused() throws InterruptedException {
    connect();
    next();
    Snapshot tampered =
        snapshot(1, 90).toBuilder().setVersion(Version.newBuilder().setNumber(1).setHash("00")).build();

    send(tampered);

    assertThat(next().getNack().getProblems(0).getPath()).isEqualTo("version.hash");
    assertThat(listener.updates).isEmpty();
  }

  @Test
  void listenerThatRefusesGetsTheControllerANackWithItsReasons() throws InterruptedException {
    ConfigSource.Listener refusing =
        new ConfigSource.Listener() {
          @Override
          public ApplyResult onUpdate(PolicySet policies) {
            return ApplyResult.refused(List.of(new Problem("engine", "", "must compile", "x")));
          }

          @Override
          public void onRejected(List<Problem> problems) {}
        };
    connect(refusing);
    next();

    send(snapshot(1, 90));

    assertThat(Snapshots.fromWire(next().getNack().getProblems(0)).message()).isEqualTo("engine: must compile, got x");
    assertThat(source().status().version()).isZero();
  }

  @Test
  void reconnectsAfterTheStreamEndsAndSaysWhichVersionItHolds() throws InterruptedException {
    connect();
    next();
    Snapshot snapshot = snapshot(4, 90);
    send(snapshot);
    next();

    toClient().onCompleted();

    Hello again = next().getHello();
    assertThat(again.getHeld()).isEqualTo(snapshot.getVersion());
    toClient().onNext(ServerMessage.newBuilder().setCurrent(Current.newBuilder().setVersion(snapshot.getVersion())).build());
    await().atMost(Duration.ofSeconds(5)).until(() -> source().status().connected());
    assertThat(listener.updates).hasSize(1);
  }

  @Test
  void theSourcesOfOneJvmShareOneThreadAndClosingOneLeavesTheOtherServed() throws InterruptedException {
    connect();
    next();
    ControllerConfigSource first = source();
    RecordingListener second = new RecordingListener();
    connect(second);
    next();

    assertThat(Thread.getAllStackTraces().keySet())
        .filteredOn(t -> t.isAlive() && t.getName().equals("mesh4j-controller-stream"))
        .hasSize(1);
    first.close();
    send(snapshot(1, 90));

    assertThat(next().getAck().getVersion().getNumber()).isEqualTo(1);
    assertThat(second.updates).hasSize(1);
    assertThat(listener.updates).isEmpty();
    source().close();
    await("the shared thread to end once no source is open")
        .atMost(Duration.ofSeconds(10))
        .until(() -> Thread.getAllStackTraces().keySet().stream()
            .noneMatch(t -> t.isAlive() && t.getName().equals("mesh4j-controller-stream")));
  }

  // --- fixtures

  private void connect() {
    connect(listener);
  }

  private void connect(ConfigSource.Listener l) {
    source =
        ControllerConfigSource.builder("127.0.0.1:" + ((InetSocketAddress) server.getListenSockets().get(0)).getPort())
            .application("frontend")
            .namespace("shop")
            .identity("spiffe://cluster.local/ns/shop/sa/frontend")
            .calls("catalog")
            .serves("frontend")
            .backoff(Duration.ofMillis(20), Duration.ofMillis(100))
            .random(new SplittableRandom(7))
            .clock(InstantSource.fixed(NOW))
            .build();
    source.start(l);
  }

  private ControllerConfigSource source() {
    ControllerConfigSource s = source;
    if (s == null) {
      throw new IllegalStateException("not connected");
    }
    return s;
  }

  private StreamObserver<ServerMessage> toClient() {
    StreamObserver<ServerMessage> out = toClient;
    if (out == null) {
      throw new IllegalStateException("no stream");
    }
    return out;
  }

  private void send(Snapshot snapshot) {
    toClient().onNext(ServerMessage.newBuilder().setSnapshot(snapshot).build());
  }

  private ClientMessage next() throws InterruptedException {
    ClientMessage m = received.poll(5, TimeUnit.SECONDS);
    if (m == null) {
      throw new AssertionError("the application sent nothing within 5 s");
    }
    return m;
  }

  private static Snapshot snapshot(long number, int weight) {
    PolicySet set =
        PolicySet.parse(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog
              rules:
                - backends: [{weight: %d}]
            """
                .formatted(weight));
    return Snapshots.encode(number, set.resources());
  }
}
