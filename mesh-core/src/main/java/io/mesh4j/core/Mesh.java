package io.mesh4j.core;

import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.base.Sleeper;
import io.mesh4j.core.base.Ticker;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.Inbound;
import io.mesh4j.core.call.Outbound;
import io.mesh4j.core.engine.Events;
import io.mesh4j.core.engine.SerialQueue;
import io.mesh4j.core.engine.compile.SnapshotCompiler;
import io.mesh4j.core.engine.runtime.CallEngine;
import io.mesh4j.core.engine.runtime.ConnectionTracking;
import io.mesh4j.core.engine.runtime.EngineContext;
import io.mesh4j.core.engine.runtime.MeshSnapshot;
import io.mesh4j.core.engine.runtime.SnapshotExplainer;
import io.mesh4j.core.engine.runtime.SnapshotStatus;
import io.mesh4j.core.engine.state.GuardRegistry;
import io.mesh4j.core.identity.WorkloadIdentity;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.core.telemetry.ExplainRequest;
import io.mesh4j.core.telemetry.Explanation;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.telemetry.MeshStatus;
import io.mesh4j.core.telemetry.MeshView;
import io.mesh4j.core.telemetry.TlsRefusal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh of one application: receives policy from its {@link ConfigSource}, compiles each
 * policy set into an immutable snapshot off the call path, publishes it with one volatile write,
 * and answers the source with an ACK or a NACK. A set that fails to compile, or that is older than
 * the one in effect, is refused and the previous snapshot stays. Adapters reach the per-call
 * engine through {@link #outbound()} and {@link #inbound()}.
 *
 * <p>Thread-safe. Policy updates are applied one at a time (on the source's thread, under a lock
 * that no call ever takes); listeners are told after the lock is released. Until the first set
 * arrives, every destination is unknown.
 */
public final class Mesh implements MeshView, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Mesh.class);

  private final Object updateLock = new Object();
  // the transports' connection reports; guarded by its own monitor, so that a report never waits
  // for a policy update to compile
  private final ConnectionTracking connections = new ConnectionTracking();
  private final Events events;
  private final Ticker ticker;
  private final GuardRegistry registry;
  private final SnapshotCompiler compiler;
  private final CallEngine engine;
  private final @Nullable ConfigSource source;
  private volatile PolicySet applied = PolicySet.EMPTY;
  private final WorkloadIdentity identity;
  private final Set<EndpointWatch> watches = ConcurrentHashMap.newKeySet();
  private final SerialQueue notifications = new SerialQueue();
  private volatile boolean closed;
  private final MeshListener identityEvents;

  private Mesh(Builder b) {
    this.events = new Events(b.listeners);
    Ticker ticker = b.ticker;
    this.ticker = ticker;
    this.identity = b.identity;
    EngineContext ctx =
        new EngineContext(ticker, b.sleeper, b.random, events, b.localZone, connections);
    this.registry = new GuardRegistry(updateLock);
    this.compiler = new SnapshotCompiler(ctx, registry);
    this.engine = new CallEngine(ctx);
    this.source = b.source;
    this.identityEvents = new IdentityEvents(events);
  }

  /** Forwards identity events only; see {@link #events()}. */
  private static final class IdentityEvents extends MeshListener {
    private final Events events;

    IdentityEvents(Events events) {
      this.events = events;
    }

    @Override
    public void certificateRenewed(String spiffeId, java.time.Instant notAfter) {
      events.certificateRenewed(spiffeId, notAfter);
    }

    @Override
    public void certificateRenewalFailed(
        String message, boolean retryable, java.time.@Nullable Instant notAfter) {
      events.certificateRenewalFailed(message, retryable, notAfter);
    }

    @Override
    public void certificateExpiring(String spiffeId, java.time.Instant notAfter) {
      events.certificateExpiring(spiffeId, notAfter);
    }

    @Override
    public void tlsRefused(io.mesh4j.core.telemetry.TlsRefusal refusal) {
      events.tlsRefused(refusal);
    }
  }

  /** Starts configuring a mesh. */
  public static Builder builder() {
    return new Builder();
  }

  private void start() {
    ConfigSource s = source;
    if (s == null) {
      return;
    }
    s.start(
        new ConfigSource.Listener() {
          @Override
          public ApplyResult onUpdate(PolicySet policies) {
            return apply(policies);
          }

          @Override
          public void onRejected(List<Problem> problems) {
            if (events.enabled()) {
              events.snapshotRefused(-1, List.copyOf(problems));
            }
          }
        });
  }

  private ApplyResult apply(PolicySet set) {
    List<Problem> problems;
    List<String> resets = List.of();
    synchronized (updateLock) {
      if (closed) {
        problems = List.of(new Problem("mesh", "", "must not be closed", null));
      } else if (set.version() < engine.snapshot().version()) {
        problems =
            List.of(
                new Problem(
                    "PolicySet",
                    "version",
                    "must not be older than the applied version " + engine.snapshot().version(),
                    Long.toString(set.version())));
      } else {
        registry.begin();
        SnapshotCompiler.Compiled compiled = null;
        try {
          compiled = compiler.compile(set);
          problems = compiled.problems();
        } catch (RuntimeException e) {
          // a defect in the compiler must cost one update, never the running configuration
          log.error("mesh4j: compiling policy version {} failed; it is refused", set.version(), e);
          problems =
              List.of(new Problem("PolicySet", "", "must compile, but the engine failed: " + e, null));
        }
        if (compiled != null && problems.isEmpty()) {
          resets = registry.commit();
          MeshSnapshot published = compiled.publish();
          engine.publish(published);
          applied = set;
          // a report that came between the bindings and the swap reached the old snapshot only
          synchronized (connections) {
            for (String d : connections.destinations()) {
              published.syncConnections(d, connections);
            }
          }
          appliedAtNanos = ticker.nanos();
        } else {
          registry.abort();
        }
      }
    }
    if (problems.isEmpty()) {
      notifyWatches();
    }
    if (events.enabled()) {
      for (String key : resets) {
        events.stateReset(key);
      }
      if (problems.isEmpty()) {
        events.snapshotApplied(set.version());
      } else {
        events.snapshotRefused(set.version(), problems);
      }
    }
    return problems.isEmpty() ? ApplyResult.accepted() : ApplyResult.refused(problems);
  }

  /** The client-side engine for adapters. */
  public Outbound outbound() {
    return engine;
  }

  /** The server-side engine for adapters. */
  public Inbound inbound() {
    return engine;
  }

  /**
   * The mesh-wide settings in force (mTLS mode, trust domain, tracing, access logs); every field
   * at its default until a {@code MeshConfig} arrives. One volatile read.
   */
  @Override
  public MeshConfig.Spec settings() {
    return engine.snapshot().settings();
  }

  /**
   * The workload's identity: the certificate it presents and the roots it trusts. Pending (no
   * material) unless the builder was given one or a certificate source fills it.
   */
  public WorkloadIdentity identity() {
    return identity;
  }

  /**
   * A listener that forwards the identity events ({@code certificate*} and {@code tlsRefused})
   * to this mesh's listeners, each shielded from the others. Identity components outside the
   * engine report through it: the TLS managers of {@code MeshTls} and a {@code
   * CertificateRotator}. Engine events sent here are ignored: only the engine reports those.
   */
  public MeshListener events() {
    return identityEvents;
  }

  @Override
  public java.time.@Nullable Instant certificateNotAfter() {
    var material = identity.current();
    return material == null ? null : material.notAfter();
  }

  /**
   * How many times a listener or a call observer has thrown. The mesh went on each time; the
   * first failure of each listener or observer class was logged.
   */
  public long listenerFailures() {
    return events.listenerFailures();
  }

  /**
   * The monotonic clock every decision of this mesh reads (deadlines, ejections, breaker waits).
   * Adapters measure attempt latencies with it, so that the latencies they report and the times
   * the engine compares them with come from one clock, fake or real.
   */
  public Ticker ticker() {
    return ticker;
  }

  /**
   * The endpoints of {@code destination} in the policy in effect, local zone first, as an
   * immutable list; empty when the destination is unknown or has none. For adapters that keep
   * connections ahead of calls; the per-call path never needs it, since every attempt names its
   * endpoint. Thread-safe; one volatile read.
   */
  public List<Endpoint> endpoints(String destination) {
    return engine.snapshot().endpoints(Objects.requireNonNull(destination, "destination"));
  }

  /**
   * The SPIFFE ID the policy in force requires of the endpoint at {@code address:port}, over all
   * destinations; null when no destination names one for it, or when two destinations name
   * different ones (then none is enforced). TLS trust managers use it to verify the server a
   * connection reached. One volatile read and one map lookup.
   */
  public @Nullable String endpointIdentity(String address, int port) {
    Objects.requireNonNull(address, "address");
    String authority = Endpoint.authority(address, port);
    return engine.snapshot().endpointIdentity(authority);
  }

  /**
   * Tells {@code watcher} the endpoints of {@code destination} now, and again after every policy
   * update that changes them (an update that leaves them equal is not reported), until the
   * returned watch is closed. Closing the mesh reports an empty list.
   *
   * <p>The watcher is called with the same lists {@link #endpoints} returns, one call at a time
   * per mesh and in the order the policy was applied, on the thread that applied the policy or
   * registered the watch, never while the mesh holds a lock. Like a {@link MeshListener} it must
   * be fast, must not block and must not apply policy; reading the mesh is fine. A watcher that
   * throws is logged and keeps its registration.
   */
  public EndpointWatch watchEndpoints(String destination, Consumer<List<Endpoint>> watcher) {
    return watchEndpoints(destination, watcher, false);
  }

  /**
   * Like {@link #watchEndpoints(String, Consumer)}, for a transport that keeps connections to the
   * endpoints it is given (a gRPC channel): with {@code tracksConnections}, it reports each
   * endpoint's connection through {@link EndpointWatch#connectionState}, and until it has
   * reported an endpoint ready, picks prefer endpoints with a ready connection, so that an attempt
   * does not wait for a handshake (a new or re-added endpoint) while another could answer.
   */
  public EndpointWatch watchEndpoints(
      String destination, Consumer<List<Endpoint>> watcher, boolean tracksConnections) {
    EndpointWatch watch =
        new EndpointWatch(
            Objects.requireNonNull(destination, "destination"),
            Objects.requireNonNull(watcher, "watcher"),
            tracksConnections);
    if (tracksConnections) {
      synchronized (connections) {
        connections.open(destination, watch);
        engine.snapshot().syncConnections(destination, connections);
      }
    }
    watches.add(watch);
    notifications.execute(watch::deliver);
    return watch;
  }

  private void notifyWatches() {
    for (EndpointWatch watch : watches) {
      notifications.execute(watch::deliver);
    }
  }

  /**
   * A registration made by {@link #watchEndpoints}; closing it stops the calls to its watcher
   * (a call already running finishes). Thread-safe; closing is idempotent.
   */
  public final class EndpointWatch implements AutoCloseable {
    private final String destination;
    private final Consumer<List<Endpoint>> watcher;
    private final boolean tracksConnections;
    private volatile boolean watching = true;
    // Confined to the notification queue.
    private @Nullable List<Endpoint> last;

    private EndpointWatch(
        String destination, Consumer<List<Endpoint>> watcher, boolean tracksConnections) {
      this.destination = destination;
      this.watcher = watcher;
      this.tracksConnections = tracksConnections;
    }

    /**
     * Reports whether this watch's transport has a ready connection to {@code address:port}
     * (ignored unless the watch tracks connections). Call on changes only; it never waits for a
     * policy update.
     */
    public void connectionState(String address, int port, boolean ready) {
      if (!tracksConnections || !watching) {
        return;
      }
      synchronized (connections) {
        connections.report(destination, this, Endpoint.authority(address, port), ready);
        engine.snapshot().syncConnections(destination, connections);
      }
    }

    /** The destination watched. */
    public String destination() {
      return destination;
    }

    /**
     * Runs in the notification queue; reads the snapshot in effect at that moment, so a watcher
     * that falls behind skips straight to the newest list.
     */
    private void deliver() {
      if (!watching) {
        return;
      }
      List<Endpoint> now = endpoints(destination);
      List<Endpoint> before = last;
      if (now.equals(before)) {
        return;
      }
      last = now;
      try {
        watcher.accept(now);
      } catch (RuntimeException e) {
        log.warn("mesh4j: endpoint watcher for {} threw", destination, e);
      }
    }

    @Override
    public void close() {
      watching = false;
      watches.remove(this);
      if (tracksConnections) {
        synchronized (connections) {
          connections.close(destination, this);
          engine.snapshot().syncConnections(destination, connections);
        }
      }
    }
  }

  // ticker reading when the version in effect was applied; read only by status()
  private volatile long appliedAtNanos;

  /**
   * The policy version in effect, how long ago it was applied, and every destination it knows
   * with its endpoints, subsets, breaker states and ejections. For operators; it walks the whole
   * snapshot and allocates, so it is no call-path API. Thread-safe.
   */
  public MeshStatus status() {
    MeshSnapshot snapshot = engine.snapshot();
    long now = ticker.nanos();
    long version = snapshot.version();
    return new MeshStatus(
        version,
        version == 0 ? null : java.time.Duration.ofNanos(Math.max(0, now - appliedAtNanos)),
        SnapshotStatus.destinations(snapshot, now));
  }

  /**
   * The policy set in effect, as it was applied (immutable values); {@link PolicySet#EMPTY}
   * before the first. For operators, e.g. to compare with what the controller sent. Thread-safe.
   */
  public PolicySet policies() {
    return applied;
  }

  /**
   * What the mesh would do with {@code request} now, and why: which rule matches (and why each
   * earlier one does not), the matched rule's backends and weights, and each backend's breaker,
   * endpoints and next pick, from the policy in effect and the live state of its guards. Nothing
   * is sent and nothing changes: no counter moves, no ejection ends, no random value is drawn. For
   * operators (the actuator's {@code mesh/explain}, {@code mesh4j explain}); it allocates, so it
   * is no call-path API. Thread-safe; one volatile read.
   */
  public Explanation explain(ExplainRequest request) {
    Objects.requireNonNull(request, "request");
    return SnapshotExplainer.explain(engine.snapshot(), request, ticker.nanos());
  }

  /** The version of the policy set in effect; 0 before the first one. */
  public long appliedVersion() {
    return engine.snapshot().version();
  }

  /**
   * Stops the config source and releases all long-lived state. Calls planned afterwards see no
   * destinations. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ConfigSource s = source;
    if (s != null) {
      s.close();
    }
    synchronized (updateLock) {
      registry.clear();
      engine.publish(MeshSnapshot.empty());
    }
    notifyWatches();
  }

  /** Configures a {@link Mesh}. Not thread-safe. */
  public static final class Builder {
    private @Nullable ConfigSource source;
    private @Nullable String localZone;
    private Ticker ticker = Ticker.system();
    private MeshRandom random = MeshRandom.threadLocal();
    private final List<MeshListener> listeners = new ArrayList<>();
    private Sleeper sleeper = Sleeper.system();
    private WorkloadIdentity identity = WorkloadIdentity.pending();

    private Builder() {}

    /** Where policy comes from; without one, every destination stays unknown. */
    public Builder configSource(ConfigSource source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /** The application's zone, for zone-aware load balancing; unknown by default. */
    public Builder localZone(String zone) {
      this.localZone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    /** The monotonic clock; {@link Ticker#system()} by default. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * How the mesh waits out fault delays and retry backoffs, on every transport; {@link
     * Sleeper#system()} by default. Tests pair a fake sleeper with a fake ticker.
     */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /** The source of chance; {@link MeshRandom#threadLocal()} by default. */
    public Builder random(MeshRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** The workload identity transports use for mTLS; pending (no material) by default. */
    public Builder identity(WorkloadIdentity identity) {
      this.identity = Objects.requireNonNull(identity, "identity");
      return this;
    }

    /**
     * Adds a listener: metrics, tracing, access logs, or anything else that observes the mesh's
     * decisions and calls. Listeners are called in the order they were added, except that those
     * that trace calls observe each call first, so that the others see its trace id. Adding the
     * same one twice registers it once.
     */
    public Builder listener(MeshListener listener) {
      Objects.requireNonNull(listener, "listener");
      if (!listeners.contains(listener)) {
        listeners.add(listener);
      }
      return this;
    }

    /** Builds the mesh and starts its config source, which may apply a first set at once. */
    public Mesh build() {
      Mesh mesh = new Mesh(this);
      mesh.events.attach(mesh);
      mesh.start();
      return mesh;
    }
  }
}
