package io.mesh4j.controller.serve;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.mesh4j.controller.resolve.PolicyResolver;
import io.mesh4j.controller.resolve.ResourceCondition;
import io.mesh4j.controller.resolve.Scope;
import io.mesh4j.core.internal.controller.Snapshots;
import io.mesh4j.core.internal.wire.ClientMessage;
import io.mesh4j.core.internal.wire.Current;
import io.mesh4j.core.internal.wire.Hello;
import io.mesh4j.core.internal.wire.ServerMessage;
import io.mesh4j.core.internal.wire.Snapshot;
import io.mesh4j.core.internal.wire.Version;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the served world and every connected application, and decides what each one is sent:
 * one snapshot per distinct {@link Scope}, recomputed on every change of the world, pushed only
 * to applications whose content it changes, numbered from one counter that never moves below a
 * version any application says it holds (so a restarted controller never goes backwards).
 *
 * <p>Threading: every change (a new world, refused input, a stream's messages) runs on one
 * thread, {@code mesh4j-controller-update}, in arrival order; the fields below are confined to
 * it. What operators read ({@link #applications}, {@link #conditions}, the counters) is published
 * in thread-safe holders and may be read from any thread.
 */
public final class SnapshotDistributor implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SnapshotDistributor.class);

  /** The name of the update thread. */
  public static final String THREAD_NAME = "mesh4j-controller-update";

  private final ExecutorService updates =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, THREAD_NAME);
            t.setDaemon(true);
            return t;
          });
  private final InstantSource clock;

  // Confined to the update thread.
  private @Nullable PolicySet world;
  private long counter;
  private final Map<Scope, Shared> scopes = new HashMap<>();
  private final Map<Long, Session> sessions = new HashMap<>();

  // Read by operators from any thread.
  private final Map<Long, ApplicationStatus> status = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> nacksByApplication = new ConcurrentHashMap<>();
  private final AtomicLong nacks = new AtomicLong();
  private final AtomicLong pushes = new AtomicLong();
  private final AtomicLong snapshotsComputed = new AtomicLong();
  private volatile List<ResourceCondition> conditions = List.of();
  private volatile boolean ready;
  private volatile MeshConfig.Spec settings = MeshConfig.defaults();
  private volatile Runnable onNack = () -> {};

  /** @param clock wall time for "last synced" */
  public SnapshotDistributor(InstantSource clock) {
    this.clock = clock;
  }

  /** The world applications are served from now on; valid by construction (a {@link PolicySet}). */
  public void serve(PolicySet accepted) {
    serve(accepted, List.of());
  }

  /**
   * The world applications are served from now on, assembled from parts of which some were
   * refused: {@code problems} become the named resources' conditions, while {@code accepted}
   * (which holds the last good version of each refused resource, if any) is served.
   */
  public void serve(PolicySet accepted, List<Problem> problems) {
    settings = accepted.meshConfig().map(MeshConfig::spec).orElse(MeshConfig.defaults());
    updates.execute(
        () -> {
          world = accepted;
          conditions = PolicyResolver.conditions(accepted, problems);
          ready = true;
          if (problems.isEmpty()) {
            log.info("Serving policy version {} ({} resources) to {} scopes", accepted.version(), accepted.resources().size(), scopes.size());
          } else {
            log.warn("Serving policy version {} ({} resources) to {} scopes; refused: {}", accepted.version(), accepted.resources().size(), scopes.size(), problems);
          }
          for (Map.Entry<Scope, Shared> e : scopes.entrySet()) {
            recompute(e.getKey(), e.getValue());
          }
        });
  }

  /**
   * The mesh-wide settings of the world served last (trust domain, certificate lifetime), or the
   * defaults before any world or when it has no {@code MeshConfig}. Readable from any thread.
   */
  public MeshConfig.Spec settings() {
    return settings;
  }

  /**
   * The latest input was refused: nothing is sent, the last good world stays served, and the
   * problems become the named resources' conditions.
   */
  public void refuse(List<Problem> problems) {
    updates.execute(
        () -> {
          PolicySet served = world == null ? PolicySet.EMPTY : world;
          conditions = PolicyResolver.conditions(served, problems);
          log.warn("Refused policy input; still serving version {}: {}", served.version(), problems);
        });
  }

  /**
   * Called on the update thread after every NACK, once {@link #applications} shows it; for
   * inputs that surface refusals in the refused resources' status. Must be fast and not throw.
   */
  public void onNack(Runnable listener) {
    this.onNack = listener;
  }

  /** Whether a world has been served yet; before that, applications would receive nothing useful. */
  public boolean isReady() {
    return ready;
  }

  /** The {@code Accepted} condition of every resource. */
  public List<ResourceCondition> conditions() {
    return conditions;
  }

  /** Every connected application. */
  public List<ApplicationStatus> applications() {
    List<ApplicationStatus> out = new ArrayList<>(status.values());
    out.sort((a, b) -> Long.compare(a.session(), b.session()));
    return out;
  }

  /** NACKs received since start. */
  public long nackCount() {
    return nacks.get();
  }

  /** NACKs received since start, by {@code namespace/application}. */
  public Map<String, Long> nacksByApplication() {
    Map<String, Long> out = new HashMap<>();
    nacksByApplication.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Snapshots sent since start. */
  public long pushCount() {
    return pushes.get();
  }

  /** Snapshots computed since start (one per distinct scope and change). */
  public long computeCount() {
    return snapshotsComputed.get();
  }

  /** A new stream: its messages go to the returned observer. */
  StreamObserver<ClientMessage> open(long id, String peer, StreamObserver<ServerMessage> out) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ClientMessage message) {
        updates.execute(() -> onMessage(id, peer, out, message));
      }

      @Override
      public void onError(Throwable t) {
        updates.execute(() -> onClosed(id, t.toString()));
      }

      @Override
      public void onCompleted() {
        updates.execute(
            () -> {
              onClosed(id, "closed by the application");
              out.onCompleted();
            });
      }
    };
  }

  private void onMessage(long id, String peer, StreamObserver<ServerMessage> out, ClientMessage message) {
    Session session = sessions.get(id);
    if (session == null) {
      if (message.getKindCase() != ClientMessage.KindCase.HELLO) {
        out.onError(Status.INVALID_ARGUMENT.withDescription("the first message must be a Hello, got " + message.getKindCase()).asRuntimeException());
        return;
      }
      onHello(id, peer, out, message.getHello());
      return;
    }
    switch (message.getKindCase()) {
      case ACK -> onAck(session, message.getAck().getVersion());
      case NACK -> onNack(session, message.getNack().getVersion(), message.getNack().getProblemsList());
      default -> {
        sessions.remove(id);
        detach(session);
        status.remove(id);
        out.onError(Status.INVALID_ARGUMENT.withDescription("a Hello may only be sent once, as the first message").asRuntimeException());
      }
    }
  }

  private void onHello(long id, String peer, StreamObserver<ServerMessage> out, Hello hello) {
    String problem = helloProblem(hello);
    Scope scope = null;
    if (problem == null) {
      try {
        scope = PolicyResolver.scope(hello.getNamespace(), hello.getCallsList(), hello.getServesList());
      } catch (IllegalArgumentException e) {
        problem = "hello." + e.getMessage();
      }
    }
    if (problem != null || scope == null) {
      log.warn("Refused a stream from {}: {}", peer, problem);
      out.onError(Status.INVALID_ARGUMENT.withDescription(problem).asRuntimeException());
      return;
    }
    Version held = hello.hasHeld() ? hello.getHeld() : null;
    if (held != null) {
      // A restarted controller starts counting from zero; never number below what is out there.
      counter = Math.max(counter, held.getNumber());
    }
    Session session = new Session(id, peer, hello, scope, out);
    sessions.put(id, session);
    Shared shared = scopes.get(scope);
    if (shared == null) {
      shared = new Shared(compute(scope, null, held));
      scopes.put(scope, shared);
    }
    shared.sessions.add(session);
    if (held != null && held.getHash().equals(shared.snapshot.getVersion().getHash())) {
      // It already holds this content, under its number or ours, whichever is higher.
      Version current = held.getNumber() >= shared.snapshot.getVersion().getNumber() ? held : shared.snapshot.getVersion();
      session.sent = current;
      session.resources = refs(shared.snapshot);
      session.acked = current;
      session.lastSync = clock.instant();
      out.onNext(ServerMessage.newBuilder().setCurrent(Current.newBuilder().setVersion(current)).build());
      log.info("{} connected from {} and holds current version {}; nothing to send", session.name(), peer, Snapshots.describe(current));
    } else {
      if (held != null && held.getNumber() >= shared.snapshot.getVersion().getNumber()) {
        shared.snapshot = Snapshots.renumber(shared.snapshot, ++counter);
      }
      log.info("{} connected from {} holding {}; sending version {}", session.name(), peer,
          held == null ? "nothing" : Snapshots.describe(held), Snapshots.describe(shared.snapshot.getVersion()));
      push(session, shared.snapshot);
    }
    publish(session);
  }

  private static @Nullable String helloProblem(Hello hello) {
    if (hello.getApplication().isEmpty()) {
      return "hello.application: is required";
    }
    if (hello.getNamespace().isEmpty()) {
      return "hello.namespace: is required";
    }
    return null;
  }

  private void onAck(Session session, Version version) {
    session.acked = version;
    session.lastSync = clock.instant();
    log.info("{} applied version {}", session.name(), Snapshots.describe(version));
    publish(session);
  }

  private void onNack(Session session, Version version, List<io.mesh4j.core.internal.wire.Problem> wireProblems) {
    List<String> reasons = new ArrayList<>();
    for (io.mesh4j.core.internal.wire.Problem p : wireProblems) {
      reasons.add(Snapshots.fromWire(p).message());
    }
    session.lastNack = new ApplicationStatus.Nack(version.getNumber(), version.getHash(), reasons, clock.instant());
    session.lastSync = clock.instant();
    nacks.incrementAndGet();
    nacksByApplication.computeIfAbsent(session.key(), k -> new AtomicLong()).incrementAndGet();
    log.warn("{} refused version {} and keeps {}: {}", session.name(), Snapshots.describe(version),
        session.acked == null ? "nothing" : Snapshots.describe(session.acked), reasons);
    publish(session);
    try {
      onNack.run();
    } catch (RuntimeException e) {
      log.error("A NACK listener failed", e);
    }
  }

  private void onClosed(long id, String why) {
    Session session = sessions.remove(id);
    status.remove(id);
    if (session != null) {
      detach(session);
      log.info("{} disconnected ({})", session.name(), why);
    }
  }

  private void detach(Session session) {
    Shared shared = scopes.get(session.scope);
    if (shared != null) {
      shared.sessions.remove(session);
      if (shared.sessions.isEmpty()) {
        scopes.remove(session.scope);
      }
    }
  }

  private void recompute(Scope scope, Shared shared) {
    Snapshot next = compute(scope, shared.snapshot, null);
    if (next == shared.snapshot) {
      return;
    }
    shared.snapshot = next;
    for (Session session : shared.sessions) {
      if (session.sent == null || !session.sent.getHash().equals(next.getVersion().getHash())) {
        push(session, next);
      }
    }
  }

  /**
   * The scope's snapshot: {@code previous} itself when the content did not change; numbered as
   * {@code held} when that is the same content (a restarted controller resumes at the number
   * the application holds); otherwise under the next number.
   */
  private Snapshot compute(Scope scope, @Nullable Snapshot previous, @Nullable Version held) {
    PolicySet w = world == null ? PolicySet.EMPTY : world;
    Snapshot candidate = Snapshots.encode(0, PolicyResolver.resolve(w, scope));
    snapshotsComputed.incrementAndGet();
    String hash = candidate.getVersion().getHash();
    if (previous != null && previous.getVersion().getHash().equals(hash)) {
      return previous;
    }
    if (held != null && held.getHash().equals(hash)) {
      return Snapshots.renumber(candidate, held.getNumber());
    }
    return Snapshots.renumber(candidate, ++counter);
  }

  private void push(Session session, Snapshot snapshot) {
    session.sent = snapshot.getVersion();
    session.resources = refs(snapshot);
    pushes.incrementAndGet();
    try {
      session.out.onNext(ServerMessage.newBuilder().setSnapshot(snapshot).build());
    } catch (RuntimeException e) {
      // The stream was cancelled under us; its close callback will clean up.
      log.debug("Could not send to {}: {}", session.name(), e.toString());
    }
    publish(session);
  }

  private static List<String> refs(Snapshot snapshot) {
    List<String> out = new ArrayList<>(snapshot.getResourcesCount());
    for (io.mesh4j.core.internal.wire.Resource r : snapshot.getResourcesList()) {
      out.add(r.getRef());
    }
    return List.copyOf(out);
  }

  private void publish(Session session) {
    if (sessions.containsKey(session.id)) {
      status.put(session.id, session.toStatus());
    }
  }

  /**
   * Ends every stream cleanly, so applications reconnect (to this replica once it is back, or to
   * another) at once instead of waiting for the server to cut them off; they keep what they hold.
   */
  public void endStreams() {
    try {
      updates
          .submit(
              () -> {
                for (Session session : sessions.values()) {
                  try {
                    session.out.onCompleted();
                  } catch (RuntimeException e) {
                    log.debug("Stream of {} was already gone: {}", session.name(), e.toString());
                  }
                }
                log.info("Ended {} streams", sessions.size());
              })
          .get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      log.warn("Could not end every stream cleanly: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Already closed.
    }
  }

  /** Stops the update thread; call {@link #endStreams} first to let applications go cleanly. */
  @Override
  public void close() {
    updates.shutdown();
    try {
      updates.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One scope's snapshot and the applications that share it. */
  private static final class Shared {
    Snapshot snapshot;
    final Set<Session> sessions = new LinkedHashSet<>();

    Shared(Snapshot snapshot) {
      this.snapshot = snapshot;
    }
  }

  /** One connected application; confined to the update thread. */
  private static final class Session {
    final long id;
    final String peer;
    final Hello hello;
    final Scope scope;
    final StreamObserver<ServerMessage> out;
    @Nullable Version sent;
    List<String> resources = List.of();
    @Nullable Version acked;
    ApplicationStatus.@Nullable Nack lastNack;
    java.time.@Nullable Instant lastSync;

    Session(long id, String peer, Hello hello, Scope scope, StreamObserver<ServerMessage> out) {
      this.id = id;
      this.peer = peer;
      this.hello = hello;
      this.scope = scope;
      this.out = out;
    }

    String key() {
      return hello.getNamespace() + "/" + hello.getApplication();
    }

    String name() {
      return "Application " + key() + " (stream " + id + ")";
    }

    ApplicationStatus toStatus() {
      return new ApplicationStatus(
          id,
          hello.getApplication(),
          hello.getNamespace(),
          hello.getIdentity(),
          peer,
          scope.toString(),
          sent == null ? 0 : sent.getNumber(),
          resources,
          acked == null ? 0 : acked.getNumber(),
          acked == null ? "" : acked.getHash(),
          lastNack,
          lastSync);
    }
  }
}
