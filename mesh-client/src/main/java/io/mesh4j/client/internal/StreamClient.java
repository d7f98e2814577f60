package io.mesh4j.client.internal;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.mesh4j.core.base.Backoff;
import io.mesh4j.core.policy.DocumentCache;
import io.mesh4j.core.policy.PolicyResult;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.wire.v1.Ack;
import io.mesh4j.wire.v1.AdminEndpoint;
import io.mesh4j.wire.v1.CallReport;
import io.mesh4j.wire.v1.ClientMessage;
import io.mesh4j.wire.v1.Current;
import io.mesh4j.wire.v1.Hello;
import io.mesh4j.wire.v1.Nack;
import io.mesh4j.wire.v1.PolicyServiceGrpc;
import io.mesh4j.wire.v1.ServerMessage;
import io.mesh4j.wire.v1.Snapshot;
import io.mesh4j.wire.v1.Snapshots;
import io.mesh4j.wire.v1.Version;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application's end of the control stream (see {@code mesh4j/v1/policy_stream.proto} for the
 * contract): introduces the application, validates every snapshot through {@link PolicySet},
 * hands good ones to the listener and ACKs only what the listener applied, NACKs the rest, and
 * reconnects with jittered exponential backoff after any loss while keeping what it holds. Each
 * reconnection first cuts short the channel's own connection backoff, so the stream's backoff,
 * not the channel's, decides how soon a returning controller is reached.
 *
 * <p>Threading: everything after {@link #start} runs one task at a time on the client's {@link
 * #serialExecutor}, which is also the gRPC channel's executor, so stream callbacks, reconnection
 * timers and listener calls never overlap and the mutable state below needs no lock. Those tasks
 * run on one daemon thread that every client in the JVM shares, as grpc-java's channels share
 * their default executor: an application holds one client, and a process holding thousands (the
 * controller's scale benchmark) wakes one thread per message instead of one of thousands. {@link
 * #status} may be read from any thread.
 */
public final class StreamClient {

  private static final Logger log = LoggerFactory.getLogger(StreamClient.class);

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** The name of the thread the clients share. */
  public static final String THREAD_NAME = "mesh4j-controller-stream";

  /**
   * A daemon started by the first task; it ends once it found nothing to do for a while (every
   * client closed and its timers cancelled), so a closed application keeps no thread of the mesh.
   */
  private static final class SharedThread {
    static final ScheduledThreadPoolExecutor EXECUTOR = create();

    private static ScheduledThreadPoolExecutor create() {
      ScheduledThreadPoolExecutor executor =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, THREAD_NAME);
                t.setDaemon(true);
                return t;
              });
      executor.setRemoveOnCancelPolicy(true);
      executor.setKeepAliveTime(2, TimeUnit.SECONDS);
      executor.allowCoreThreadTimeOut(true);
      return executor;
    }
  }

  /**
   * A new client's executor: runs its tasks in order, one at a time, on the shared thread. Give it
   * to the client's channel and to the constructor.
   */
  public static Executor serialExecutor() {
    return MoreExecutors.newSequentialExecutor(SharedThread.EXECUTOR);
  }

  /**
   * What the client needs to know.
   *
   * @param target where the controller listens, for {@link #describe}
   * @param hello the application's introduction, without the held version (added per stream)
   * @param cacheFile where the last good snapshot is kept, or null for no cache
   * @param tokenFile the workload's bearer token, re-read for every stream (projected tokens
   *     rotate), or null to send none
   * @param calls what is reported on the stream every {@code reportInterval}, or null to send no
   *     call reports
   * @param reportInterval how often calls are reported; zero for never
   */
  public record Settings(
      String target,
      Hello hello,
      @Nullable Path cacheFile,
      Backoff backoff,
      InstantSource clock,
      @Nullable Path tokenFile,
      @Nullable CallCollector calls,
      Duration reportInterval) {}

  /**
   * What the client holds and how current it is.
   *
   * @param connected whether a stream is open and the controller has answered on it
   * @param version the version in effect, or null before any was applied
   * @param lastSync when the controller last confirmed or changed that version, or null if never
   */
  public record Status(boolean connected, @Nullable Version version, @Nullable Instant lastSync) {}

  private final Settings settings;
  private final ManagedChannel channel;
  private final Executor executor;
  private final @Nullable CacheFile cache;
  // What the resources of the last good snapshot were read as; used by start() on the calling
  // thread, then only on the executor thread (start() hands over before submitting to it).
  private final DocumentCache documents = new DocumentCache();
  private volatile boolean closed;
  // Timers on the shared thread that hop onto this client's executor; cancelled by close().
  private volatile @Nullable ScheduledFuture<?> reporting;
  private volatile @Nullable ScheduledFuture<?> reconnecting;
  private volatile Status status = new Status(false, null, null);

  // Confined to the executor thread (start() hands over before submitting to it).
  private ConfigSource.@Nullable Listener listener;
  private @Nullable Version held;
  private int failedAttempts;
  private @Nullable String lastLossReason;
  private long streamGeneration;
  // The number of the last version the controller sent on the open stream; 0 before its first.
  private long lastOnStream;
  private @Nullable ClientCallStreamObserver<ClientMessage> requests;
  // Confined to the executor; said again on every new stream.
  private @Nullable AdminEndpoint admin;

  /**
   * @param channel a channel to the controller whose executor is {@code executor}; the client
   *     owns it and shuts it down on {@link #close}
   * @param executor from {@link #serialExecutor}, for this client alone
   */
  public StreamClient(Settings settings, ManagedChannel channel, Executor executor) {
    this.settings = settings;
    this.channel = channel;
    this.executor = executor;
    this.cache = settings.cacheFile() == null ? null : new CacheFile(settings.cacheFile());
  }

  /**
   * Delivers the cached snapshot, if there is a good one, on the calling thread, then connects in
   * the background.
   */
  public void start(ConfigSource.Listener listener) {
    synchronized (this) {
      if (this.listener != null || closed) {
        throw new IllegalStateException("a controller source can be started once");
      }
      this.listener = listener;
    }
    if (cache != null) {
      cache.read().ifPresent(this::applyCached);
    }
    executor.execute(this::connect);
    long every = settings.reportInterval().toMillis();
    if (settings.calls() != null && every > 0) {
      // With a fixed delay, not rate: a stalled thread must not catch up with reports in a burst,
      // which the controller would refuse as too frequent.
      reporting = SharedThread.EXECUTOR.scheduleWithFixedDelay(
          () -> executor.execute(this::report), every, every, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Sends what the calls did since the last report (rule 9 of the contract), once the controller
   * answered the Hello on the open stream. Without such a stream the counts are dropped: a report
   * covers one interval, and the controller shows rates, not totals.
   */
  private void report() {
    CallCollector calls = settings.calls();
    if (calls == null || closed) {
      return;
    }
    CallReport report = calls.drain(settings.reportInterval().toMillis());
    if (requests != null && status.connected() && report.getCallsCount() > 0) {
      send(ClientMessage.newBuilder().setReport(report).build());
    }
  }

  /** What the client holds now; callable from any thread. */
  public Status status() {
    return status;
  }

  /** For logs and messages. */
  public String describe() {
    return "controller " + settings.target();
  }

  /** Closes the stream and the channel; no listener call starts after this returns. */
  public void close() {
    closed = true;
    cancel(reporting);
    cancel(reconnecting);
    executor.execute(
        () -> {
          ClientCallStreamObserver<ClientMessage> r = requests;
          if (r != null) {
            r.cancel("application closed the controller source", null);
          }
        });
    channel.shutdown();
    if (Thread.currentThread().getName().equals(THREAD_NAME)) {
      // Waiting here would wait for this very thread; the closed flag stops further deliveries.
      return;
    }
    try {
      // The channel's last callbacks run on the executor, so it stays up until they are done.
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
      // A task running now (a listener call among them) ends before this one; later ones see closed.
      CountDownLatch drained = new CountDownLatch(1);
      executor.execute(drained::countDown);
      drained.await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void cancel(@Nullable ScheduledFuture<?> timer) {
    if (timer != null) {
      timer.cancel(false);
    }
  }

  private void applyCached(Snapshot snapshot) {
    ConfigSource.Listener l = listener;
    PolicyResult decoded = Snapshots.decode(snapshot, documents);
    if (l == null || !decoded.isValid()) {
      log.warn("Ignoring the cached snapshot in {}: {}", cache, decoded.problems());
      return;
    }
    ApplyResult result = deliver(l, decoded.orElseThrow());
    if (result.applied()) {
      held = snapshot.getVersion();
      status = new Status(false, held, null);
      log.info("Started from cached snapshot {} in {}", Snapshots.describe(held), cache);
    } else {
      log.warn("The cached snapshot in {} was refused: {}", cache, result.problems());
    }
  }

  private void connect() {
    if (closed) {
      return;
    }
    long generation = ++streamGeneration;
    lastOnStream = 0;
    Hello.Builder hello = settings.hello().toBuilder();
    if (held != null) {
      hello.setHeld(held);
    }
    PolicyServiceGrpc.PolicyServiceStub stub = PolicyServiceGrpc.newStub(channel);
    Path tokenFile = settings.tokenFile();
    if (tokenFile != null) {
      String token;
      try {
        token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
      } catch (IOException | RuntimeException e) {
        token = "";
        log.warn("Cannot read the workload token file {} ({})", tokenFile, e.toString());
      }
      if (token.isEmpty()) {
        onLost(generation, new IllegalStateException("mesh4j: no workload token in " + tokenFile));
        return;
      }
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + token);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    // The channel keeps its own connection backoff under ours (growing to two minutes), and while
    // it waits a new stream fails at once without reaching the network; cut it short so that this
    // attempt, or at worst the next, finds a controller that is back.
    channel.resetConnectBackoff();
    log.debug("Connecting to {} (attempt {}), holding {}", settings.target(), failedAttempts + 1, held == null ? "nothing" : Snapshots.describe(held));
    stub.subscribe(new Responses(generation));
    ClientCallStreamObserver<ClientMessage> r = requests;
    if (r != null) {
      r.onNext(ClientMessage.newBuilder().setHello(hello).build());
      AdminEndpoint a = admin;
      if (a != null) {
        r.onNext(ClientMessage.newBuilder().setAdmin(a).build());
      }
    }
  }

  /**
   * Tells the controller, now and on every later stream, where operators reach this application's
   * admin endpoint; callable from any thread, typically once the web server has its port.
   */
  public void announce(AdminEndpoint endpoint) {
    executor.execute(
        () -> {
          admin = endpoint;
          send(ClientMessage.newBuilder().setAdmin(endpoint).build());
        });
  }

  private void onMessage(ServerMessage message) {
    failedAttempts = 0;
    switch (message.getKindCase()) {
      case SNAPSHOT -> onSnapshot(message.getSnapshot());
      case CURRENT -> onCurrent(message.getCurrent());
      case KIND_NOT_SET -> log.warn("Ignoring an empty message from {}", settings.target());
    }
  }

  private void onCurrent(Current current) {
    Version v = current.getVersion();
    if (held == null || !held.getHash().equals(v.getHash())) {
      log.warn("{} says version {} is current, but this application holds {}; waiting for a snapshot",
          settings.target(), Snapshots.describe(v), held == null ? "nothing" : Snapshots.describe(held));
      return;
    }
    if (v.getNumber() != held.getNumber()) {
      adoptNumber(v);
    }
    lastOnStream = v.getNumber();
    synced();
    log.info("In sync with {} at version {}", settings.target(), Snapshots.describe(held));
  }

  private void onSnapshot(Snapshot snapshot) {
    Version v = snapshot.getVersion();
    Version h = held;
    if (lastOnStream != 0 && v.getNumber() <= lastOnStream) {
      nack(v, List.of(new Problem(
          "snapshot " + Snapshots.describe(v),
          "version.number",
          "must be greater than the version last sent on this stream, " + lastOnStream + "; versions only move forward",
          Long.toString(v.getNumber()))));
      return;
    }
    // The controller numbers versions; the first answer on a stream is its word, whatever number
    // this application held (a number from an older or compromised controller must not freeze it).
    lastOnStream = v.getNumber();
    if (h != null && h.getHash().equals(v.getHash())) {
      // Same content: a renumbering at most, never a reason to apply again.
      if (v.getNumber() != h.getNumber()) {
        adoptNumber(v);
      }
      synced();
      ack(v);
      return;
    }
    PolicyResult decoded = Snapshots.decode(snapshot, documents);
    ConfigSource.Listener l = listener;
    if (l == null || closed) {
      return;
    }
    if (!decoded.isValid()) {
      log.warn("Refused snapshot {} from {}; keeping {}: {}", Snapshots.describe(v), settings.target(),
          h == null ? "nothing" : Snapshots.describe(h), decoded.problems());
      try {
        l.onRejected(decoded.problems());
      } catch (RuntimeException e) {
        log.error("Listener failed on a rejected snapshot", e);
      }
      nack(v, decoded.problems());
      return;
    }
    ApplyResult result = deliver(l, decoded.orElseThrow());
    if (!result.applied()) {
      List<Problem> problems = result.problems().isEmpty()
          ? List.of(new Problem("snapshot " + Snapshots.describe(v), "", "was refused by the application without a reason", null))
          : result.problems();
      log.warn("Snapshot {} from {} was not applied; keeping {}: {}", Snapshots.describe(v), settings.target(),
          h == null ? "nothing" : Snapshots.describe(h), problems);
      nack(v, problems);
      return;
    }
    held = v;
    synced();
    if (cache != null) {
      cache.write(snapshot);
    }
    log.info("Applied snapshot {} from {} ({} resources)", Snapshots.describe(v), settings.target(), snapshot.getResourcesCount());
    ack(v);
  }

  private ApplyResult deliver(ConfigSource.Listener l, PolicySet policies) {
    try {
      return l.onUpdate(policies);
    } catch (RuntimeException e) {
      log.error("Listener failed on policy version {}", policies.version(), e);
      return ApplyResult.refused(List.of(new Problem(
          "policy version " + policies.version(), "", "must be applied without an exception", e.toString())));
    }
  }

  private void adoptNumber(Version v) {
    Version previous = held;
    held = v;
    if (cache != null && previous != null) {
      cache.read()
          .filter(s -> s.getVersion().getHash().equals(v.getHash()))
          .ifPresent(s -> cache.write(Snapshots.renumber(s, v.getNumber())));
    }
  }

  private void synced() {
    status = new Status(true, held, settings.clock().instant());
  }

  private void ack(Version v) {
    send(ClientMessage.newBuilder().setAck(Ack.newBuilder().setVersion(v)).build());
  }

  private void nack(Version v, List<Problem> problems) {
    Nack.Builder nack = Nack.newBuilder().setVersion(v);
    for (Problem p : problems) {
      nack.addProblems(Snapshots.toWire(p));
    }
    send(ClientMessage.newBuilder().setNack(nack).build());
  }

  private void send(ClientMessage message) {
    ClientCallStreamObserver<ClientMessage> r = requests;
    if (r != null && !closed) {
      r.onNext(message);
    }
  }

  private void onLost(long generation, @Nullable Throwable error) {
    if (generation != streamGeneration) {
      return;
    }
    requests = null;
    status = new Status(false, held, status.lastSync());
    if (closed) {
      return;
    }
    String reason = error == null ? "closed by the controller" : error.toString();
    // Retries come about every second while the controller is away: warn on a loss and when the
    // reason changes, not on every retry.
    boolean news = failedAttempts == 0 || !reason.equals(lastLossReason);
    lastLossReason = reason;
    Duration delay = settings.backoff().delay(failedAttempts++);
    if (news) {
      log.warn("Lost the stream to {} ({}); keeping {}, reconnecting in {} ms",
          settings.target(), reason, held == null ? "nothing" : "version " + Snapshots.describe(held),
          delay.toMillis());
    } else {
      log.debug("Still cannot reach {} ({}) after {} attempts; retrying in {} ms",
          settings.target(), reason, failedAttempts, delay.toMillis());
    }
    // connect() reports its own failures; close() cancels what has not run yet.
    reconnecting = SharedThread.EXECUTOR.schedule(
        () -> executor.execute(this::connect), delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Callbacks of one stream; those of a stream that was replaced are ignored. */
  private final class Responses implements ClientResponseObserver<ClientMessage, ServerMessage> {
    private final long generation;

    Responses(long generation) {
      this.generation = generation;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ClientMessage> requestStream) {
      requests = requestStream;
    }

    @Override
    public void onNext(ServerMessage value) {
      if (generation == streamGeneration && !closed) {
        onMessage(value);
      }
    }

    @Override
    public void onError(Throwable t) {
      onLost(generation, t);
    }

    @Override
    public void onCompleted() {
      onLost(generation, null);
    }
  }
}
