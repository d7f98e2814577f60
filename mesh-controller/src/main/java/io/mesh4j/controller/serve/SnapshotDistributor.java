package io.mesh4j.controller.serve;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mesh4j.controller.ca.CallerIdentity;
import io.mesh4j.controller.resolve.PolicyResolver;
import io.mesh4j.controller.resolve.ResourceCondition;
import io.mesh4j.controller.resolve.Scope;
import io.mesh4j.controller.resolve.Visibility;
import io.mesh4j.wire.v1.Snapshots;
import io.mesh4j.wire.v1.CallReport;
import io.mesh4j.wire.v1.ClientMessage;
import io.mesh4j.wire.v1.Current;
import io.mesh4j.wire.v1.AdminEndpoint;
import io.mesh4j.wire.v1.Hello;
import io.mesh4j.wire.v1.ServerMessage;
import io.mesh4j.wire.v1.Snapshot;
import io.mesh4j.wire.v1.Version;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the served world and every connected application, and decides what each one is sent:
 * one snapshot per distinct {@link Scope}, recomputed on every change of the world, pushed only
 * to applications whose content it changes.
 *
 * <p>Nothing a client sends moves state it does not own. Who an application is comes from the
 * proof its stream carried ({@link StreamAuthentication}), never from its Hello; which services it
 * may serve follows {@link Visibility}; version numbers come from this controller's own {@link
 * VersionClock}, and a version an application says it holds counts only by its content hash; an
 * Ack or Nack counts only for the version last sent on that stream, once. Everything else is
 * refused and counted by {@link StreamRefusal}, never shown as state.
 *
 * <p>Work and state per client are bounded: each stream has at most one message waiting for the
 * update thread (inbound flow control), an identity has at most {@link Limits#maxStreamsPerIdentity}
 * streams, a Nack keeps at most {@link #MAX_NACK_REASONS} reasons, call reports are checked,
 * spaced and bounded ({@link MeshTraffic}) and refused ones only counted, and an identity's counters
 * disappear {@link Limits#retention} after its last stream closed. Bursts of world changes and of
 * Nack listeners are coalesced, so a noisy input or client cannot queue work ahead of others.
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

  /** At most this many reasons of one Nack are kept for status; the rest are counted. */
  static final int MAX_NACK_REASONS = 20;

  private static final int MAX_REASON_CHARS = 1_000;
  private static final int MAX_HELLO_SERVICES = 512;
  private static final int MAX_ADMIN_REPORTS = 8;
  private static final Pattern ADMIN_PATH = Pattern.compile("/[A-Za-z0-9/._~-]{0,255}");
  private static final int MAX_NAME_CHARS = 253;
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");

  /** Accepted call reports on one stream are at least this far apart (contract rule 9). */
  static final Duration MIN_REPORT_SPACING = Duration.ofMillis(500);

  /** A stream that sent this many refused call reports is closed (contract rule 9). */
  static final int MAX_REFUSED_REPORTS = 64;

  /**
   * Bounds on what clients can make the controller hold.
   *
   * @param maxStreamsPerIdentity open streams one identity may have (its replicas share it)
   * @param retention how long an identity's counters outlive its last stream
   */
  public record Limits(int maxStreamsPerIdentity, Duration retention) {
    /** 256 streams per identity; counters kept 5 minutes after the last stream. */
    public static final Limits DEFAULT = new Limits(256, Duration.ofMinutes(5));

    public Limits {
      if (maxStreamsPerIdentity < 1 || retention.isNegative()) {
        throw new IllegalArgumentException("limits must be positive: " + maxStreamsPerIdentity + ", " + retention);
      }
    }
  }

  private final ScheduledExecutorService updates;
  private final InstantSource clock;
  private final Limits limits;
  private final VersionClock versions;
  private final StreamRefusal.Counts refusals = new StreamRefusal.Counts();
  private final MeshTraffic traffic;

  // Confined to the update thread.
  private @Nullable PolicySet world;
  private final Map<Scope, Shared> scopes = new HashMap<>();
  private final Map<Long, Session> sessions = new HashMap<>();
  private final Map<String, Integer> streamsByOwner = new HashMap<>();
  private final Map<String, Instant> ownerGoneSince = new HashMap<>();
  // Refused call reports of streams that have not sent their Hello yet.
  private final Map<Long, Integer> reportsBeforeHello = new HashMap<>();
  private final List<Consumer<PolicySet>> worldListeners = new ArrayList<>();

  // Handed from any thread to the update thread; at most one task of each kind is queued.
  private final AtomicReference<@Nullable Input> pendingInput = new AtomicReference<>();
  private final AtomicBoolean refusalListenerQueued = new AtomicBoolean();

  // Read by operators from any thread.
  private final Map<Long, ApplicationStatus> status = new ConcurrentHashMap<>();
  private final AtomicLong sessionIds = new AtomicLong();
  /** The content each session was last sent or confirmed, by session, for operators. */
  private final Map<Long, Snapshot> contents = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> nacksByOwner = new ConcurrentHashMap<>();
  private final AtomicLong nacks = new AtomicLong();
  private final AtomicLong pushes = new AtomicLong();
  private final AtomicLong snapshotsComputed = new AtomicLong();
  private volatile List<ResourceCondition> conditions = List.of();
  private volatile boolean ready;
  private volatile MeshConfig.Spec settings = MeshConfig.defaults();
  private volatile Runnable onRefusalsChanged = () -> {};

  /** What the inputs said last: a world to serve (null: keep the one served) and its problems. */
  private record Input(@Nullable PolicySet world, List<Problem> problems) {}

  /** @param clock wall time for "last synced", version numbers and retention */
  public SnapshotDistributor(InstantSource clock) {
    this(clock, Limits.DEFAULT);
  }

  /** @param clock wall time for "last synced", version numbers and retention */
  @SuppressWarnings("FutureReturnValueIgnored") // the sweep runs until the executor stops
  public SnapshotDistributor(InstantSource clock, Limits limits) {
    this.clock = clock;
    this.limits = limits;
    this.versions = new VersionClock(clock);
    this.traffic = new MeshTraffic(clock);
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, THREAD_NAME);
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    this.updates = executor;
    long sweepMillis = Math.max(1_000, Math.min(30_000, limits.retention().toMillis() / 2));
    updates.scheduleWithFixedDelay(this::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
  }

  /** The world applications are served from now on; valid by construction (a {@link PolicySet}). */
  public void serve(PolicySet accepted) {
    serve(accepted, List.of());
  }

  /**
   * The world applications are served from now on, assembled from parts of which some were
   * refused: {@code problems} become the named resources' conditions, while {@code accepted}
   * (which holds the last good version of each refused resource, if any) is served. When changes
   * arrive faster than they are served, only the latest is.
   */
  public void serve(PolicySet accepted, List<Problem> problems) {
    settings = accepted.meshConfig().map(MeshConfig::spec).orElse(MeshConfig.defaults());
    offer(new Input(accepted, List.copyOf(problems)));
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
    List<Problem> copy = List.copyOf(problems);
    Input previous;
    Input next;
    do {
      previous = pendingInput.get();
      // A world not yet served stays the one to serve; only its problems change.
      next = new Input(previous == null ? null : previous.world(), copy);
    } while (!pendingInput.compareAndSet(previous, next));
    if (previous == null) {
      onUpdateThread(this::applyInput);
    }
  }

  private void offer(Input input) {
    if (pendingInput.getAndSet(input) == null) {
      onUpdateThread(this::applyInput);
    }
  }

  private void applyInput() {
    Input input = pendingInput.getAndSet(null);
    if (input == null) {
      return;
    }
    PolicySet accepted = input.world();
    if (accepted == null) {
      PolicySet served = world == null ? PolicySet.EMPTY : world;
      conditions = PolicyResolver.conditions(served, input.problems());
      log.warn("Refused policy input; still serving version {}: {}", served.version(), input.problems());
      return;
    }
    world = accepted;
    conditions = PolicyResolver.conditions(accepted, input.problems());
    ready = true;
    if (input.problems().isEmpty()) {
      log.info("Serving policy version {} ({} resources) to {} scopes", accepted.version(), accepted.resources().size(), scopes.size());
    } else {
      log.warn("Serving policy version {} ({} resources) to {} scopes; refused: {}", accepted.version(), accepted.resources().size(), scopes.size(), input.problems());
    }
    for (Map.Entry<Scope, Shared> e : scopes.entrySet()) {
      recompute(e.getKey(), e.getValue());
    }
    for (Consumer<PolicySet> listener : worldListeners) {
      tellWorld(listener, accepted);
    }
  }

  /**
   * Called on the update thread with every world served from now on, after the policy streams
   * were sent theirs, and at once with the world served now, if any: for other faces of the
   * controller that serve the same world (xDS). Must be fast and not throw.
   */
  public void onWorldServed(Consumer<PolicySet> listener) {
    onUpdateThread(
        () -> {
          worldListeners.add(listener);
          PolicySet served = world;
          if (served != null) {
            tellWorld(listener, served);
          }
        });
  }

  private static void tellWorld(Consumer<PolicySet> listener, PolicySet served) {
    try {
      listener.accept(served);
    } catch (RuntimeException e) {
      log.error("A world listener failed on version {}", served.version(), e);
    }
  }

  /**
   * Called on the update thread whenever what applications refuse may have changed, once {@link
   * #applications} shows it: after a NACK, and after an application that had refused a version
   * applies a later one or goes away (so a refusal shown in a resource's status also ends). For
   * inputs that surface refusals in the refused resources' status. A burst calls it once. Must be
   * fast and not throw.
   */
  public void onRefusalsChanged(Runnable listener) {
    this.onRefusalsChanged = listener;
  }

  /** Whether a world has been served yet; before that, applications would receive nothing useful. */
  public boolean isReady() {
    return ready;
  }

  /** The {@code Accepted} condition of every resource. */
  public List<ResourceCondition> conditions() {
    return conditions;
  }

  /** The clock of every time {@link #applications} shows. */
  public InstantSource clock() {
    return clock;
  }

  /** The bounds on what clients can make the controller hold. */
  public Limits limits() {
    return limits;
  }

  /** A new stream number, unique among the streams of every face of the controller. */
  public long newSession() {
    return sessionIds.incrementAndGet();
  }

  /**
   * Shows, or updates, the status of a stream another face of the controller serves (xDS), by its
   * {@link #newSession session number}, until {@link #withdraw}n. Any thread.
   */
  public void publish(ApplicationStatus stream) {
    status.put(stream.session(), stream);
  }

  /** Stops showing a stream {@link #publish}ed by another face; its stream closed. Any thread. */
  public void withdraw(long session) {
    status.remove(session);
  }

  /** Every connected application, of every kind. */
  public List<ApplicationStatus> applications() {
    List<ApplicationStatus> out = new ArrayList<>(status.values());
    out.sort((a, b) -> Long.compare(a.session(), b.session()));
    return out;
  }

  /**
   * The content the application on stream {@code session} was last sent (or confirmed to hold),
   * as the controller resolved it; null when the stream is gone or was sent nothing yet.
   */
  public @Nullable Snapshot content(long session) {
    return contents.get(session);
  }

  /** The live traffic applications report on their streams. */
  public MeshTraffic traffic() {
    return traffic;
  }

  /** NACKs received since start. */
  public long nackCount() {
    return nacks.get();
  }

  /**
   * NACKs received, by the {@code namespace/serviceAccount} the streams proved (on a controller
   * without authentication, the {@code namespace/application} they claimed). An identity leaves
   * this map {@link Limits#retention} after its last stream closed.
   */
  public Map<String, Long> nacksByApplication() {
    Map<String, Long> out = new HashMap<>();
    nacksByOwner.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Stream messages and streams refused since start, by reason. */
  public Map<StreamRefusal, Long> refusals() {
    Map<StreamRefusal, Long> out = new EnumMap<>(StreamRefusal.class);
    for (StreamRefusal r : StreamRefusal.values()) {
      out.put(r, refusals.get(r));
    }
    return out;
  }

  StreamRefusal.Counts refusalCounts() {
    return refusals;
  }

  /** Snapshots sent since start. */
  public long pushCount() {
    return pushes.get();
  }

  /** Snapshots computed since start (one per distinct scope and change). */
  public long computeCount() {
    return snapshotsComputed.get();
  }

  /**
   * A new stream: its messages go to the returned observer. Inbound flow control must be manual
   * ({@code disableAutoRequest}); the distributor asks for each next message only once it handled
   * the previous one.
   *
   * @param caller who the stream proved to be, or null on a controller without authentication
   */
  StreamObserver<ClientMessage> open(
      long id, String peer, @Nullable CallerIdentity caller, ServerCallStreamObserver<ServerMessage> out) {
    out.request(1);
    return new StreamObserver<>() {
      @Override
      public void onNext(ClientMessage message) {
        onUpdateThread(
            () -> {
              if (onMessage(id, peer, caller, out, message)) {
                out.request(1);
              }
            });
      }

      @Override
      public void onError(Throwable t) {
        onUpdateThread(() -> onClosed(id, t.toString()));
      }

      @Override
      public void onCompleted() {
        onUpdateThread(
            () -> {
              onClosed(id, "closed by the application");
              try {
                out.onCompleted();
              } catch (RuntimeException e) {
                log.debug("Stream {} was already gone: {}", id, e.toString());
              }
            });
      }
    };
  }

  /** Handles one message; false when the stream was closed because of it. */
  private boolean onMessage(
      long id, String peer, @Nullable CallerIdentity caller, StreamObserver<ServerMessage> out, ClientMessage message) {
    Session session = sessions.get(id);
    if (session == null) {
      if (message.getKindCase() == ClientMessage.KindCase.REPORT) {
        int refused = reportsBeforeHello.merge(id, 1, Integer::sum);
        return refuseReport(id, out, null, refused, StreamRefusal.REPORT_BEFORE_HELLO, "a call report before the Hello");
      }
      if (message.getKindCase() != ClientMessage.KindCase.HELLO) {
        return refuseStream(id, out, StreamRefusal.INVALID_MESSAGE, Status.INVALID_ARGUMENT,
            "mesh4j: the first message must be a Hello, got " + message.getKindCase());
      }
      return onHello(id, peer, caller, out, message.getHello());
    }
    switch (message.getKindCase()) {
      case ACK -> onAck(session, message.getAck().getVersion());
      case NACK -> onNack(session, message.getNack().getVersion(), message.getNack().getProblemsList());
      case ADMIN -> {
        return onAdmin(session, out, message.getAdmin());
      }
      case REPORT -> {
        return onReport(session, out, message.getReport());
      }
      case HELLO -> {
        return refuseStream(id, out, StreamRefusal.INVALID_MESSAGE, Status.INVALID_ARGUMENT,
            "mesh4j: a Hello may only be sent once, as the first message");
      }
      default -> {
        return refuseStream(id, out, StreamRefusal.INVALID_MESSAGE, Status.INVALID_ARGUMENT,
            "mesh4j: a message of no known kind");
      }
    }
    return true;
  }

  /** Closes a stream for what it sent, counting why; always false. */
  private boolean refuseStream(long id, StreamObserver<ServerMessage> out, StreamRefusal reason, Status status, String message) {
    refusals.add(reason);
    Session session = sessions.get(id);
    onClosed(id, message);
    log.warn("Closed stream {}{} ({}): {}", id, session == null ? "" : " of " + session.name(), reason.label(), message);
    try {
      out.onError(status.withDescription(message).asRuntimeException());
    } catch (RuntimeException e) {
      log.debug("Stream {} was already gone: {}", id, e.toString());
    }
    return false;
  }

  /** Records a call report, or ignores and counts it; false when the stream was closed for it. */
  private boolean onReport(Session session, StreamObserver<ServerMessage> out, CallReport report) {
    MeshTraffic.Refusal refusal = MeshTraffic.check(report);
    if (refusal != null) {
      return refuseReport(session.id, out, session, ++session.refusedReports, refusal.reason(), refusal.message());
    }
    Instant now = clock.instant();
    Instant last = session.lastReport;
    if (last != null && now.isBefore(last.plus(MIN_REPORT_SPACING))) {
      return refuseReport(session.id, out, session, ++session.refusedReports, StreamRefusal.REPORT_TOO_FREQUENT,
          "a call report " + Duration.between(last, now).toMillis() + " ms after the previous accepted one; at least "
              + MIN_REPORT_SPACING.toMillis() + " ms apart");
    }
    session.lastReport = now;
    // The stream's proof and Hello say whose calls these are; the report is never asked.
    traffic.record(session.owner, session.hello.getNamespace(), session.hello.getApplication(), report);
    return true;
  }

  /** Ignores and counts a call report; closes the stream once it sent too many; false when closed. */
  private boolean refuseReport(
      long id, StreamObserver<ServerMessage> out, @Nullable Session session, int refused, StreamRefusal reason, String why) {
    refusals.add(reason);
    if (refused >= MAX_REFUSED_REPORTS) {
      return refuseStream(id, out, StreamRefusal.TOO_MANY_REFUSED_REPORTS, Status.RESOURCE_EXHAUSTED,
          "mesh4j: " + refused + " call reports refused on this stream, the last: " + why);
    }
    if (refused == 1) {
      // Once per stream: a misbehaving client must not flood the log; the counter keeps counting.
      log.warn("Ignored a call report on stream {}{} ({}): {}", id, session == null ? "" : " of " + session.name(), reason.label(), why);
    }
    return true;
  }

  private boolean onHello(long id, String peer, @Nullable CallerIdentity caller, StreamObserver<ServerMessage> out, Hello hello) {
    String problem = helloProblem(hello);
    if (problem != null) {
      return refuseStream(id, out, StreamRefusal.INVALID_MESSAGE, Status.INVALID_ARGUMENT, "mesh4j: " + problem);
    }
    Scope scope;
    try {
      scope = PolicyResolver.scope(hello.getNamespace(), hello.getCallsList(), hello.getServesList());
    } catch (IllegalArgumentException e) {
      return refuseStream(id, out, StreamRefusal.INVALID_MESSAGE, Status.INVALID_ARGUMENT, "mesh4j: hello." + e.getMessage());
    }
    String owner;
    String identity;
    if (caller != null) {
      String spiffeId = caller.spiffeId(settings.trustDomain());
      if (!hello.getNamespace().equals(caller.namespace())) {
        return refuseStream(id, out, StreamRefusal.IDENTITY_MISMATCH, Status.PERMISSION_DENIED,
            "mesh4j: the stream authenticated as " + caller + " but its Hello claims namespace " + hello.getNamespace());
      }
      if (!hello.getIdentity().isEmpty() && !hello.getIdentity().equals(spiffeId)) {
        return refuseStream(id, out, StreamRefusal.IDENTITY_MISMATCH, Status.PERMISSION_DENIED,
            "mesh4j: the stream authenticated as " + spiffeId + " but its Hello claims identity " + hello.getIdentity());
      }
      PolicySet w = world == null ? PolicySet.EMPTY : world;
      for (String service : scope.serves()) {
        if (!Visibility.mayServe(caller.namespace(), caller.serviceAccount(), spiffeId, service, w)) {
          return refuseStream(id, out, StreamRefusal.NOT_SERVED_BY_CALLER, Status.PERMISSION_DENIED,
              "mesh4j: " + spiffeId + " does not serve " + service + "; a workload serves a service of its own"
                  + " namespace named after its service account or whose endpoints carry its identity");
        }
      }
      owner = caller.toString();
      identity = spiffeId;
    } else {
      owner = hello.getNamespace() + "/" + hello.getApplication();
      identity = hello.getIdentity();
    }
    int open = streamsByOwner.getOrDefault(owner, 0);
    if (open >= limits.maxStreamsPerIdentity()) {
      return refuseStream(id, out, StreamRefusal.TOO_MANY_STREAMS, Status.RESOURCE_EXHAUSTED,
          "mesh4j: " + owner + " already has " + open + " open policy streams, the most one identity may have");
    }
    streamsByOwner.put(owner, open + 1);
    ownerGoneSince.remove(owner);
    Session session = new Session(id, peer, hello, owner, identity, scope, out, clock.instant());
    sessions.put(id, session);
    Shared shared = scopes.get(scope);
    if (shared == null) {
      shared = new Shared(compute(scope, null));
      scopes.put(scope, shared);
    }
    shared.sessions.add(session);
    // A held number is the client's word: only the content hash says whether it holds ours.
    Version held = hello.hasHeld() ? hello.getHeld() : null;
    Version ours = shared.snapshot.getVersion();
    if (held != null && held.getHash().equals(ours.getHash())) {
      session.sent = ours;
      session.content = shared.snapshot;
      session.answered = true;
      session.resources = shared.resources;
      session.acked = ours;
      session.lastSync = clock.instant();
      send(session, ServerMessage.newBuilder().setCurrent(Current.newBuilder().setVersion(ours)).build());
      log.info("{} connected from {} and holds the current content; confirmed as version {}", session.name(), peer, Snapshots.describe(ours));
    } else {
      log.info("{} connected from {}; sending version {}", session.name(), peer, Snapshots.describe(ours));
      push(session, shared);
    }
    publish(session);
    return true;
  }

  private boolean onAdmin(Session session, StreamObserver<ServerMessage> out, AdminEndpoint admin) {
    String problem = adminProblem(admin);
    if (problem == null && ++session.adminReports > MAX_ADMIN_REPORTS) {
      problem = "admin: at most " + MAX_ADMIN_REPORTS + " per stream";
    }
    if (problem != null) {
      return refuseStream(session.id, out, StreamRefusal.INVALID_MESSAGE, Status.INVALID_ARGUMENT, "mesh4j: " + problem);
    }
    String host = peerHost(session.peer);
    session.adminUrl = host == null ? "" : admin.getScheme() + "://" + host + ":" + admin.getPort() + admin.getPath();
    publish(session);
    return true;
  }

  private static @Nullable String adminProblem(AdminEndpoint admin) {
    if (!admin.getScheme().equals("http") && !admin.getScheme().equals("https")) {
      return "admin.scheme: must be http or https, got " + shorten(admin.getScheme());
    }
    if (admin.getPort() < 1 || admin.getPort() > 65_535) {
      return "admin.port: must be 1 to 65535, got " + admin.getPort();
    }
    if (!ADMIN_PATH.matcher(admin.getPath()).matches()) {
      return "admin.path: must be / then at most 255 characters of letters, digits and /._~-, got " + shorten(admin.getPath());
    }
    return null;
  }

  /** The host of a peer as gRPC prints it ({@code name/1.2.3.4:5}), bracketed when IPv6; null if none. */
  static @Nullable String peerHost(String peer) {
    int colon = peer.lastIndexOf(':');
    if (colon <= 0) {
      return null;
    }
    String host = peer.substring(peer.indexOf('/') + 1, colon);
    if (host.startsWith("[") || !host.contains(":")) {
      return host.isEmpty() ? null : host;
    }
    return "[" + host + "]";
  }

  private static @Nullable String helloProblem(Hello hello) {
    if (hello.getApplication().isEmpty()) {
      return "hello.application: is required";
    }
    if (hello.getNamespace().isEmpty()) {
      return "hello.namespace: is required";
    }
    if (!isName(hello.getApplication())) {
      return "hello.application: must be a DNS subdomain of at most " + MAX_NAME_CHARS + " characters, got " + shorten(hello.getApplication());
    }
    if (!isName(hello.getNamespace())) {
      return "hello.namespace: must be a DNS label, got " + shorten(hello.getNamespace());
    }
    if (hello.getIdentity().length() > 2_048) {
      return "hello.identity: must be a SPIFFE ID of at most 2048 characters";
    }
    if (hello.getCallsCount() + hello.getServesCount() > MAX_HELLO_SERVICES) {
      return "hello.calls, hello.serves: at most " + MAX_HELLO_SERVICES + " services in all, got "
          + (hello.getCallsCount() + hello.getServesCount());
    }
    return null;
  }

  private static boolean isName(String s) {
    return s.length() <= MAX_NAME_CHARS && NAME.matcher(s).matches();
  }

  private static String shorten(String s) {
    return s.length() <= 80 ? "\"" + s + "\"" : "\"" + s.substring(0, 80) + "...\" (" + s.length() + " characters)";
  }

  private void onAck(Session session, Version version) {
    if (!answers(session, version, "Ack")) {
      return;
    }
    session.acked = session.sent;
    session.lastSync = clock.instant();
    if (log.isInfoEnabled()) {
      // One per application and change: not even its message is built when it is not logged.
      log.info("{} applied version {}", session.name(), Snapshots.describe(version));
    }
    publish(session);
    if (session.lastNack != null) {
      // Its refusal is over; whoever shows refusals must see that, not only new ones.
      refusalsChanged();
    }
  }

  /** Whether an Ack or Nack answers the version last sent on this stream, for the first time. */
  private boolean answers(Session session, Version version, String kind) {
    Version sent = session.sent;
    if (sent == null || sent.getNumber() != version.getNumber() || !sent.getHash().equals(version.getHash())) {
      refusals.add(StreamRefusal.UNKNOWN_VERSION);
      log.warn("{} sent a {} for version {}, which is not the version last sent to it ({}); ignored",
          session.name(), kind, shorten(Snapshots.describe(version)), sent == null ? "none" : Snapshots.describe(sent));
      return false;
    }
    if (session.answered) {
      refusals.add(StreamRefusal.DUPLICATE_ANSWER);
      log.warn("{} answered version {} a second time with a {}; ignored", session.name(), Snapshots.describe(sent), kind);
      return false;
    }
    session.answered = true;
    return true;
  }

  private void onNack(Session session, Version version, List<io.mesh4j.wire.v1.Problem> wireProblems) {
    if (!answers(session, version, "Nack")) {
      return;
    }
    List<String> reasons = new ArrayList<>();
    for (io.mesh4j.wire.v1.Problem p : wireProblems) {
      if (reasons.size() == MAX_NACK_REASONS) {
        reasons.add("(" + (wireProblems.size() - MAX_NACK_REASONS) + " more)");
        break;
      }
      String reason = Snapshots.fromWire(p).message();
      reasons.add(reason.length() <= MAX_REASON_CHARS ? reason : reason.substring(0, MAX_REASON_CHARS) + "...");
    }
    if (reasons.isEmpty()) {
      reasons.add("(no reason given)");
    }
    session.lastNack = new ApplicationStatus.Nack(version.getNumber(), version.getHash(), reasons, clock.instant());
    session.lastSync = clock.instant();
    nacks.incrementAndGet();
    nacksByOwner.computeIfAbsent(session.owner, k -> new AtomicLong()).incrementAndGet();
    log.warn("{} refused version {} and keeps {}: {}", session.name(), Snapshots.describe(version),
        session.acked == null ? "nothing" : Snapshots.describe(session.acked), reasons);
    publish(session);
    refusalsChanged();
  }

  private void refusalsChanged() {
    if (refusalListenerQueued.compareAndSet(false, true)) {
      // Queued behind what is waiting now, so a burst runs the listener once.
      onUpdateThread(
          () -> {
            refusalListenerQueued.set(false);
            try {
              onRefusalsChanged.run();
            } catch (RuntimeException e) {
              log.error("A refusal listener failed", e);
            }
          });
    }
  }

  private void onClosed(long id, String why) {
    reportsBeforeHello.remove(id);
    Session session = sessions.remove(id);
    status.remove(id);
    contents.remove(id);
    if (session != null) {
      detach(session);
      int open = streamsByOwner.getOrDefault(session.owner, 1) - 1;
      if (open <= 0) {
        streamsByOwner.remove(session.owner);
        ownerGoneSince.put(session.owner, clock.instant());
      } else {
        streamsByOwner.put(session.owner, open);
      }
      log.info("{} disconnected ({})", session.name(), why);
      if (session.lastNack != null) {
        refusalsChanged();
      }
    }
  }

  /** Forgets the counters of identities whose last stream closed longer than the retention ago. */
  void sweep() {
    traffic.sweep();
    Instant cutoff = clock.instant().minus(limits.retention());
    ownerGoneSince.entrySet().removeIf(
        e -> {
          if (e.getValue().isAfter(cutoff)) {
            return false;
          }
          nacksByOwner.remove(e.getKey());
          return true;
        });
  }

  /** Runs {@link #sweep} on the update thread and waits for it; for tests with a fake clock. */
  void sweepNow() throws Exception {
    updates.submit(this::sweep).get(5, TimeUnit.SECONDS);
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

  @SuppressWarnings("ReferenceEquality") // compute() returns the same instance when nothing changed
  private void recompute(Scope scope, Shared shared) {
    Snapshot next = compute(scope, shared.snapshot);
    if (next == shared.snapshot) {
      return;
    }
    shared.set(next);
    for (Session session : shared.sessions) {
      if (session.sent == null || !session.sent.getHash().equals(next.getVersion().getHash())) {
        push(session, shared);
      }
    }
  }

  /** The scope's snapshot: {@code previous} itself when the content did not change, else a new version. */
  private Snapshot compute(Scope scope, @Nullable Snapshot previous) {
    PolicySet w = world == null ? PolicySet.EMPTY : world;
    Snapshot candidate = Snapshots.encode(0, PolicyResolver.resolve(w, scope));
    snapshotsComputed.incrementAndGet();
    if (previous != null && previous.getVersion().getHash().equals(candidate.getVersion().getHash())) {
      return previous;
    }
    return Snapshots.renumber(candidate, versions.next());
  }

  private void push(Session session, Shared shared) {
    session.sent = shared.snapshot.getVersion();
    session.content = shared.snapshot;
    session.answered = false;
    session.resources = shared.resources;
    pushes.incrementAndGet();
    send(session, shared.message);
    publish(session);
  }

  private void send(Session session, ServerMessage message) {
    try {
      session.out.onNext(message);
    } catch (RuntimeException e) {
      // The stream was cancelled under us; its close callback will clean up.
      log.debug("Could not send to {}: {}", session.name(), e.toString());
    }
  }

  private static List<String> refs(Snapshot snapshot) {
    List<String> out = new ArrayList<>(snapshot.getResourcesCount());
    for (io.mesh4j.wire.v1.Resource r : snapshot.getResourcesList()) {
      out.add(r.getRef());
    }
    return List.copyOf(out);
  }

  private void publish(Session session) {
    if (sessions.containsKey(session.id)) {
      status.put(session.id, session.toStatus());
      Snapshot content = session.content;
      if (content != null) {
        contents.put(session.id, content);
      }
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
    } catch (RejectedExecutionException e) {
      // Already closed.
    }
  }

  /**
   * Queues {@code task} for the update thread. Once the distributor is closed the task is dropped:
   * a stream's last callbacks and an input's last change may arrive while the controller stops.
   */
  private void onUpdateThread(Runnable task) {
    try {
      updates.execute(task);
    } catch (RejectedExecutionException e) {
      log.debug("Closed; dropped a late update: {}", task);
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

  /**
   * One scope's snapshot and the applications that share it. The message and the list of
   * resources are made once per snapshot and shared by every push (the message is then encoded
   * once, {@link EncodeOnceMarshaller}).
   */
  private static final class Shared {
    Snapshot snapshot;
    ServerMessage message;
    List<String> resources;
    final Set<Session> sessions = new LinkedHashSet<>();

    Shared(Snapshot snapshot) {
      set(snapshot);
    }

    void set(Snapshot next) {
      snapshot = next;
      message = ServerMessage.newBuilder().setSnapshot(next).build();
      resources = refs(next);
    }
  }

  /** One connected application; confined to the update thread. */
  private static final class Session {
    final long id;
    final String peer;
    final Hello hello;
    /** Who counters are kept for: the proven {@code namespace/serviceAccount}. */
    final String owner;
    /** The proven SPIFFE ID (or, without authentication, the claimed one). */
    final String identity;
    final Scope scope;
    final StreamObserver<ServerMessage> out;
    @Nullable Version sent;
    @Nullable Snapshot content;
    /** Whether {@link #sent} was answered (Ack or Nack) or needs no answer (a Current). */
    boolean answered;
    List<String> resources = List.of();
    @Nullable Version acked;
    ApplicationStatus.@Nullable Nack lastNack;
    @Nullable Instant lastSync;
    final Instant connectedSince;
    int adminReports;
    String adminUrl = "";
    /** When the last accepted call report arrived. */
    @Nullable Instant lastReport;
    int refusedReports;

    Session(
        long id, String peer, Hello hello, String owner, String identity, Scope scope, StreamObserver<ServerMessage> out,
        Instant connectedSince) {
      this.id = id;
      this.connectedSince = connectedSince;
      this.peer = peer;
      this.hello = hello;
      this.owner = owner;
      this.identity = identity;
      this.scope = scope;
      this.out = out;
    }

    String name() {
      return "Application " + hello.getNamespace() + "/" + hello.getApplication() + " as " + owner + " (stream " + id + ")";
    }

    ApplicationStatus toStatus() {
      return new ApplicationStatus(
          id,
          hello.getApplication(),
          hello.getNamespace(),
          identity,
          peer,
          scope.toString(),
          sent == null ? 0 : sent.getNumber(),
          resources,
          acked == null ? 0 : acked.getNumber(),
          acked == null ? "" : acked.getHash(),
          lastNack,
          lastSync,
          connectedSince,
          adminUrl,
          ApplicationStatus.NATIVE,
          "",
          Map.of());
    }
  }
}
