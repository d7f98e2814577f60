package io.mesh4j.controller.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.mesh4j.controller.serve.ApplicationStatus;
import io.mesh4j.controller.serve.SnapshotDistributor;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** An xDS peer's status, driven directly with a fake clock: what it shows and what it keeps. */
@Timeout(20)
class XdsPeerTest {

  private static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  private static final String LDS = Resources.V3.LISTENER_TYPE_URL;

  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-01T00:00:00Z"));
  private final InstantSource clock = () -> now.get();
  private final SnapshotDistributor distributor = new SnapshotDistributor(clock, SnapshotDistributor.Limits.DEFAULT);

  @AfterEach
  void close() {
    distributor.close();
  }

  @Test
  void aPeerShowsWhatItAppliedPerTypeAndItsRefusalWithTheRefusedNames() {
    XdsPeer peer = peer(true, "claimed");
    peer.sent(LDS, "1", "7", () -> List.of("catalog.shop"));
    peer.sent(CDS, "2", "7", () -> List.of("catalog.shop/v1"));
    assertThat(status().sentVersion()).isEqualTo(7);
    assertThat(status().ackedVersion()).isZero();

    peer.answered(LDS, "1", null);
    peer.answered(CDS, "2", null);
    assertThat(status().inSync()).isTrue();
    assertThat(status().ackedByType()).containsEntry("Listener", 7L).containsEntry("Cluster", 7L);

    peer.sent(CDS, "3", "8", () -> List.of("catalog.shop/v1", "catalog.shop/v2"));
    now.set(now.get().plusSeconds(5));
    peer.answered(CDS, "3", "no supported load balancing policy");
    ApplicationStatus refused = status();
    assertThat(refused.inSync()).isFalse();
    assertThat(refused.ackedVersion()).isEqualTo(7);
    assertThat(refused.ackedByType()).containsEntry("Cluster", 7L);
    assertThat(refused.lastNack()).isEqualTo(new ApplicationStatus.Nack(
        8, "", List.of("no supported load balancing policy"), now.get(), "Cluster", List.of("catalog.shop/v1", "catalog.shop/v2")));
    assertThat(refused.lastSync()).isEqualTo(now.get());
    assertThat(refused.node()).isEqualTo("claimed");
  }

  @Test
  void anAnswerToAResponseNotLastSentChangesNothing() {
    XdsPeer peer = peer(true, "");
    peer.sent(CDS, "2", "7", List::of);
    peer.answered(CDS, "", null); // a first request
    peer.answered(CDS, "1", "stale refusal");
    peer.answered(LDS, "2", null); // a type never sent
    assertThat(status().lastNack()).isNull();
    assertThat(status().ackedVersion()).isZero();
    assertThat(status().lastSync()).isNull();
    assertThat(peer.lastSent(CDS, "2")).isEqualTo("7");
    assertThat(peer.lastSent(CDS, "1")).isNull();
  }

  @Test
  void whatAHostilePeerSendsIsKeptBounded() {
    XdsPeer peer = peer(true, "n".repeat(10_000));
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      many.add("cluster-" + i + "-" + "x".repeat(1_000));
    }
    peer.sent(CDS, "1", "1", () -> many);
    peer.answered(CDS, "1", "e".repeat(1_000_000));
    ApplicationStatus s = status();
    assertThat(s.node()).hasSizeLessThan(XdsPeer.MAX_NODE_CHARS + 40);
    assertThat(s.lastNack().reasons()).singleElement().asString().hasSizeLessThan(XdsPeer.MAX_REASON_CHARS + 40);
    assertThat(s.lastNack().names()).hasSize(XdsPeer.MAX_NAMES + 1).last().isEqualTo("(980 more)");
    assertThat(s.lastNack().names().get(0)).hasSizeLessThan(XdsPeer.MAX_NAME_CHARS + 40);
  }

  @Test
  void aClosedPeerIsGoneAndOneNotShownNeverShows() {
    XdsPeer hidden = peer(false, "");
    hidden.sent(CDS, "1", "1", List::of);
    assertThat(distributor.applications()).isEmpty();
    assertThat(hidden.lastSent(CDS, "1")).as("still kept, to hold back a refused version").isEqualTo("1");

    XdsPeer peer = peer(true, "");
    assertThat(distributor.applications()).hasSize(1);
    peer.close();
    peer.sent(CDS, "1", "1", List::of); // a response racing the close
    assertThat(distributor.applications()).isEmpty();
  }

  @Test
  void namesAreReadFromTheResources() {
    assertThat(XdsPeer.names(List.of(Any.pack(Cluster.newBuilder().setName("catalog.shop/v1").build()))))
        .containsExactly("catalog.shop/v1");
  }

  private XdsPeer peer(boolean shown, String node) {
    return new XdsPeer(distributor, shown, "frontend", "shop", "spiffe://cluster.local/ns/shop/sa/frontend",
        "/127.0.0.1:5000", "every service, namespace shop", node);
  }

  private ApplicationStatus status() {
    List<ApplicationStatus> all = distributor.applications();
    assertThat(all).hasSize(1);
    assertThat(all.get(0).kind()).isEqualTo(ApplicationStatus.XDS);
    return all.get(0);
  }
}
