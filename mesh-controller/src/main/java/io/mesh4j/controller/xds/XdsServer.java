package io.mesh4j.controller.xds;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.mesh4j.controller.ca.CallerIdentity;
import io.mesh4j.controller.ca.WorkloadAuthenticator;
import io.mesh4j.controller.resolve.PolicyResolver;
import io.mesh4j.controller.resolve.Scope;
import io.mesh4j.controller.serve.ApplicationStatus;
import io.mesh4j.controller.serve.PolicyStreamService;
import io.mesh4j.controller.serve.SnapshotDistributor;
import io.mesh4j.core.policy.PolicySet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's xDS face: an aggregated discovery service (ADS, xDS v3, state of the world and
 * incremental) built on envoy's java-control-plane, serving each peer the {@link XdsTranslator
 * translation} of the world the policy streams serve, and following every change of it.
 *
 * <p>Who a peer is comes only from proof, as on the policy stream: the service is {@link
 * PolicyStreamService#authenticated authenticated} like it, and every request's {@code node} is
 * replaced by one the controller writes from that proof (its {@code id} the proven SPIFFE ID, its
 * {@code cluster} the cache group), so nothing a peer says in its node chooses what it is sent.
 * Peers are grouped by their proven namespace, which decides whose Gateway API routes apply to
 * them; peers of a controller without authentication share one group.
 *
 * <p>Every peer's stream shows with the policy streams on the controller's status ({@link
 * SnapshotDistributor#applications}, {@code /status}, {@code mesh4j status}), named by its proof:
 * what it was sent and applied per type, and its latest refusal in its own words ({@link
 * XdsPeer}); at most {@link SnapshotDistributor.Limits#maxStreamsPerIdentity} streams of one
 * identity show, every stream is served.
 *
 * <p>A peer learns of every destination service (any identity may read any service's routes,
 * policies and endpoints, {@link io.mesh4j.controller.resolve.Visibility}), never of
 * authorization policies.
 *
 * <p>Thread-safe: worlds arrive on the distributor's update thread, new groups on gRPC's call
 * threads; both take this object's lock, which per-call work never does.
 */
public final class XdsServer {

  private static final Logger log = LoggerFactory.getLogger(XdsServer.class);

  /** The group of peers of a controller without authentication. */
  static final String ANONYMOUS = "";

  private final SimpleCache<String> cache = new SimpleCache<>(Node::getCluster);
  private final V3DiscoveryServer discovery;
  private final SnapshotDistributor distributor;
  private final AtomicLong nacks = new AtomicLong();
  /** Open ADS streams by proven {@code namespace/serviceAccount}, to bound those status shows. */
  private final Map<String, Integer> peersByOwner = new ConcurrentHashMap<>();

  // Guarded by this.
  private PolicySet world = PolicySet.EMPTY;
  private final Map<String, XdsResources> served = new HashMap<>();
  private List<XdsGap> gaps = List.of();
  private long version;

  private XdsServer(SnapshotDistributor distributor) {
    this.distributor = distributor;
    this.discovery = new V3DiscoveryServer(new Callbacks(), cache);
  }

  /** An xDS server that serves every world {@code distributor} serves, from now on. */
  public static XdsServer start(SnapshotDistributor distributor) {
    XdsServer server = new XdsServer(distributor);
    distributor.onWorldServed(server::serve);
    return server;
  }

  /**
   * The ADS service to add to a server, behind the policy stream's authentication.
   *
   * @param authenticator null only for a controller explicitly run without authentication
   */
  public ServerServiceDefinition definition(@Nullable WorkloadAuthenticator authenticator) {
    ServerServiceDefinition ads = ServerInterceptors.intercept(discovery.getAggregatedDiscoveryServiceImpl(), new ProvenNode());
    return PolicyStreamService.authenticated(ads, distributor, authenticator);
  }

  /** What the world served now says that xDS cannot, for every peer alike. */
  public synchronized List<XdsGap> gaps() {
    return gaps;
  }

  /** NACKs xDS peers sent since start. */
  public long nackCount() {
    return nacks.get();
  }

  private synchronized void serve(PolicySet next) {
    world = next;
    for (String group : List.copyOf(served.keySet())) {
      update(group);
    }
    if (served.isEmpty()) {
      // Nobody connected yet: still tell operators what xDS peers will not get.
      report(translate(ANONYMOUS));
    }
  }

  /** The group's snapshot, made when its first peer arrives. */
  private synchronized void ensure(String group) {
    if (!served.containsKey(group)) {
      update(group);
    }
  }

  private void update(String group) {
    XdsResources next = translate(group);
    XdsResources previous = served.get(group);
    if (previous != null && previous.equals(next)) {
      return;
    }
    served.put(group, next);
    String v = Long.toString(++version);
    cache.setSnapshot(group, Snapshot.create(next.clusters(), next.endpoints(), next.listeners(), List.of(), List.of(), v));
    log.info("xDS: serving version {} to {} ({} listeners, {} clusters) from policy version {}",
        v, group.equals(ANONYMOUS) ? "every peer" : "namespace " + group, next.listeners().size(), next.clusters().size(),
        world.version());
    report(next);
  }

  private XdsResources translate(String group) {
    SortedSet<String> services = new TreeSet<>();
    world.routes().forEach(r -> services.add(r.spec().destination()));
    world.destinationPolicies().forEach(p -> services.add(p.spec().service()));
    world.endpoints().forEach(e -> services.add(e.spec().service()));
    return XdsTranslator.translate(PolicyResolver.resolve(world, new Scope(group, services, new TreeSet<>())));
  }

  private void report(XdsResources resources) {
    if (resources.gaps().equals(gaps)) {
      return;
    }
    gaps = resources.gaps();
    if (gaps.isEmpty()) {
      log.info("xDS: the policy served is expressed in full");
      return;
    }
    StringBuilder lines = new StringBuilder();
    for (XdsGap gap : gaps) {
      lines.append("\n  ").append(gap);
    }
    log.warn("xDS: {} things the policy says are served differently or not at all to xDS peers:{}", gaps.size(), lines);
  }

  /**
   * Replaces the node of every request with one written from the call's proof, makes sure the
   * peer's group has a snapshot before the request reaches the cache, and keeps the peer's {@link
   * XdsPeer status}: what it was sent, applied and refused.
   *
   * <p>NACKs are counted, logged and shown here. The snapshot cache answers at once a request whose
   * version differs from its own or that names resources the stream has not accepted, so a NACK
   * passed on as it came would be answered with the refused resources again, and refused again,
   * in a loop. A NACK of the last response of its type on the call is passed on as holding it, so
   * the next answer waits for a new version. The peer keeps its own last good version either way.
   */
  private final class ProvenNode implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      CallerIdentity caller = PolicyStreamService.caller();
      String group = caller == null ? ANONYMOUS : caller.namespace();
      String id = caller == null ? "unauthenticated " + PolicyStreamService.peer() : caller.spiffeId(distributor.settings().trustDomain());
      String owner = caller == null ? ANONYMOUS : caller.toString();
      String address = PolicyStreamService.peer();
      AtomicReference<@Nullable XdsPeer> peer = new AtomicReference<>();
      ServerCall<Q, R> remembering = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override
        public void sendMessage(R message) {
          XdsPeer p = peer.get();
          if (p != null && message instanceof DiscoveryResponse r) {
            p.sent(r.getTypeUrl(), r.getNonce(), r.getVersionInfo(), () -> XdsPeer.names(r.getResourcesList()));
          } else if (p != null && message instanceof DeltaDiscoveryResponse r) {
            p.sent(r.getTypeUrl(), r.getNonce(), r.getSystemVersionInfo(),
                () -> r.getResourcesList().stream().map(Resource::getName).toList());
          }
          super.sendMessage(message);
        }
      };
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(remembering, headers)) {
        @Override
        @SuppressWarnings("unchecked") // the ADS methods' request types
        public void onMessage(Q message) {
          ensure(group);
          if (message instanceof DiscoveryRequest r) {
            XdsPeer p = peer(r.getNode());
            DiscoveryRequest.Builder proven = r.toBuilder().setNode(node(r.getNode(), id, group));
            if (r.hasErrorDetail()) {
              nacks.incrementAndGet();
              log.warn("xDS: {} refused {} (nonce {}): {}", id, r.getTypeUrl(), r.getResponseNonce(),
                  r.getErrorDetail().getMessage());
              String last = p.lastSent(r.getTypeUrl(), r.getResponseNonce());
              if (last != null) {
                proven.setVersionInfo(last).clearErrorDetail();
              }
            }
            p.answered(r.getTypeUrl(), r.getResponseNonce(), r.hasErrorDetail() ? r.getErrorDetail().getMessage() : null);
            super.onMessage((Q) proven.build());
          } else if (message instanceof DeltaDiscoveryRequest r) {
            XdsPeer p = peer(r.getNode());
            p.answered(r.getTypeUrl(), r.getResponseNonce(), r.hasErrorDetail() ? r.getErrorDetail().getMessage() : null);
            super.onMessage((Q) r.toBuilder().setNode(node(r.getNode(), id, group)).build());
          } else {
            super.onMessage(message);
          }
        }

        @Override
        public void onCancel() {
          gone();
          super.onCancel();
        }

        @Override
        public void onComplete() {
          gone();
          super.onComplete();
        }

        // The call's peer, made at its first request (whose node id it shows, for information).
        private XdsPeer peer(Node claimed) {
          XdsPeer p = peer.get();
          if (p == null) {
            boolean shown = peersByOwner.merge(owner, 1, Integer::sum) <= distributor.limits().maxStreamsPerIdentity();
            if (!shown) {
              log.debug("xDS: {} has more streams than status shows; this one is served, not shown", id);
            }
            p = caller == null
                ? new XdsPeer(distributor, shown, ApplicationStatus.UNAUTHENTICATED, "", "", address, "every service",
                    claimed.getId())
                : new XdsPeer(distributor, shown, caller.serviceAccount(), caller.namespace(), id, address,
                    "every service, namespace " + group, claimed.getId());
            peer.set(p);
          }
          return p;
        }

        private void gone() {
          XdsPeer p = peer.getAndSet(null);
          if (p != null) {
            p.close();
            peersByOwner.computeIfPresent(owner, (k, n) -> n <= 1 ? null : n - 1);
          }
        }
      };
    }

    private static Node node(Node claimed, String id, String group) {
      // Only what describes the client build is kept, for logs; nothing that names or groups it.
      return Node.newBuilder()
          .setId(id)
          .setCluster(group)
          .setUserAgentName(claimed.getUserAgentName())
          .setUserAgentVersion(claimed.getUserAgentVersion())
          .build();
    }
  }

  /** Logs what peers hold (their NACKs are logged before the cache sees them); the node is the proven one. */
  private final class Callbacks implements DiscoveryServerCallbacks {
    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
      if (!request.getVersionInfo().isEmpty()) {
        log.debug("xDS: {} (stream {}) holds {} version {}", request.getNode().getId(), streamId, request.getTypeUrl(),
            request.getVersionInfo());
      }
    }

    @Override
    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
      if (request.hasErrorDetail()) {
        nacks.incrementAndGet();
        log.warn("xDS: {} (stream {}) refused {}: {}", request.getNode().getId(), streamId, request.getTypeUrl(),
            request.getErrorDetail().getMessage());
      }
    }
  }
}
