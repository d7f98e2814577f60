package io.mesh4j.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.envoyproxy.envoy.admin.v3.ClientResourceStatus;
import io.envoyproxy.envoy.admin.v3.UpdateFailureState;
import io.envoyproxy.envoy.service.status.v3.ClientConfig;
import io.envoyproxy.envoy.service.status.v3.ClientConfig.GenericXdsConfig;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.mesh4j.core.base.Backoff;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicyResult;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.xds.XdsTranslator.Resources;
import io.mesh4j.xds.XdsTranslator.Target;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A source that reads the application's policy from an xDS control plane (istiod, Traffic
 * Director, any ADS server) over one aggregated, state-of-the-world v3 stream, as a proxyless gRPC
 * client does. It subscribes to the listeners of the {@linkplain Builder#targets targets} the
 * application calls (istiod names them {@code host:port}), follows the route configurations,
 * clusters and endpoint assignments they lead to, and translates them into mesh4j's policy: per
 * target one {@code TrafficRoute} whose subsets are the xDS clusters, one {@code
 * DestinationPolicy} and one {@code ServiceEndpoints} (see {@code docs/xds-client.md}). So
 * mesh4j's balancers, breakers, outlier ejection, retries, budgets and telemetry run on a mesh
 * whose control plane is not mesh4j's.
 *
 * <p>Every response is ACKed once what it leads to was validated and applied (or nothing
 * changed), and NACKed with every problem (resource, field, reason) when a resource asks for a
 * feature mesh4j cannot honour, when the result fails mesh4j's validation, or when the mesh refuses
 * it; the last good policy stays in effect then, and while the server is away. Lost streams are
 * reopened after a jittered backoff (250 ms doubling to 2 s by default), subscribing again to
 * everything held.
 *
 * <p>Thread-safe. After {@link #start} returns, the listener is called on one daemon thread,
 * {@value #THREAD_NAME}, one call at a time.
 */
public final class XdsConfigSource implements ConfigSource {

  private static final Logger log = LoggerFactory.getLogger(XdsConfigSource.class);

  /** The name of the source's one thread. */
  public static final String THREAD_NAME = "mesh4j-xds-stream";

  /** The default delay before the first reconnection, before jitter: 250 ms. */
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(250);

  /** The default cap of the reconnection delay, before jitter: 2 s. */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(2);

  /** Subscription order: a resource's dependencies are asked for after it. */
  private static final List<String> TYPES =
      List.of(XdsTranslator.LISTENER, XdsTranslator.ROUTE, XdsTranslator.CLUSTER, XdsTranslator.ENDPOINT);

  private final XdsBootstrap bootstrap;
  private final List<Target> targets;
  private final Backoff backoff;
  private final ManagedChannel channel;
  private final ScheduledThreadPoolExecutor executor;
  private volatile boolean closed;

  // Confined to the executor thread (start() hands over before submitting to it).
  private @Nullable Listener listener;
  private Resources held = Resources.EMPTY;
  private final Map<String, Subscription> subscriptions = new LinkedHashMap<>();
  private final Map<Target, List<MeshResource>> lastGood = new HashMap<>();
  private List<MeshResource> delivered = List.of();
  private long version;
  private int failedAttempts;
  private long streamGeneration;
  private @Nullable ClientCallStreamObserver<DiscoveryRequest> requests;
  // Per type, the version and problems last refused: a server that sends the same response again
  // after a NACK (java-control-plane's SimpleCache does) gets a NACK each time, but the log and
  // the listener hear of it once.
  private final Map<String, String> lastRefused = new HashMap<>();
  // For CSDS: per type and name, the resources accepted; per type, the refusal that stands.
  private final Map<String, Map<String, Accepted>> accepted = new HashMap<>();
  private final Map<String, Refusal> refusals = new HashMap<>();

  // Written on the executor thread, read by CSDS from any.
  private volatile ClientConfig clientConfig;

  /** An accepted resource as it came, the version of the response that brought it, and when. */
  private record Accepted(Any raw, String version, Timestamp at) {}

  /** A refused response: its version, why, when, and its resources by name. */
  private record Refusal(String version, String details, Timestamp at, Map<String, Any> resources) {}

  /** What the source asks for of one type and what it last accepted of it. */
  private static final class Subscription {
    Set<String> names = new LinkedHashSet<>();
    String version = "";
    String nonce = "";
  }

  private XdsConfigSource(XdsBootstrap bootstrap, List<Target> targets, Backoff backoff,
      ManagedChannel channel, ScheduledThreadPoolExecutor executor) {
    this.bootstrap = bootstrap;
    this.targets = targets;
    this.backoff = backoff;
    this.channel = channel;
    this.executor = executor;
    TYPES.forEach(t -> subscriptions.put(t, new Subscription()));
    Subscription listeners = Objects.requireNonNull(subscriptions.get(XdsTranslator.LISTENER));
    targets.forEach(t -> listeners.names.add(t.listener()));
    this.clientConfig = status();
  }

  /** A builder; the bootstrap comes from the environment unless given. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Connects in the background; the first policy is delivered once the resources of the targets
   * have arrived.
   *
   * @throws IllegalStateException if started before or already closed
   */
  @Override
  public void start(Listener listener) {
    synchronized (this) {
      if (this.listener != null || closed) {
        throw new IllegalStateException("an xDS source can be started once");
      }
      this.listener = listener;
    }
    executor.execute(this::connect);
  }

  @Override
  public String describe() {
    return "xDS server " + bootstrap.serverUri();
  }

  /** Closes the stream and the channel; the listener is not called after this returns. */
  @Override
  public void close() {
    closed = true;
    try {
      executor.execute(() -> {
        ClientCallStreamObserver<DiscoveryRequest> r = requests;
        if (r != null) {
          r.cancel("application closed the xDS source", null);
        }
      });
    } catch (RejectedExecutionException e) {
      // Already closed.
    }
    channel.shutdown();
    if (Thread.currentThread().getName().equals(THREAD_NAME)) {
      executor.shutdownNow();
      return;
    }
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
      executor.shutdownNow();
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void connect() {
    if (closed) {
      return;
    }
    long generation = ++streamGeneration;
    subscriptions.values().forEach(s -> s.nonce = "");
    // The channel's own connection backoff grows to minutes; ours decides when to try again.
    channel.resetConnectBackoff();
    AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new Responses(generation));
    for (String type : TYPES) {
      Subscription s = Objects.requireNonNull(subscriptions.get(type));
      if (type.equals(XdsTranslator.LISTENER) || !s.names.isEmpty()) {
        send(type, s, null);
      }
    }
  }

  private final class Responses implements ClientResponseObserver<DiscoveryRequest, DiscoveryResponse> {
    private final long generation;

    Responses(long generation) {
      this.generation = generation;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> stream) {
      requests = stream;
    }

    @Override
    public void onNext(DiscoveryResponse response) {
      if (generation == streamGeneration && !closed) {
        failedAttempts = 0;
        onResponse(response);
        clientConfig = status();
      }
    }

    @Override
    public void onError(Throwable t) {
      onLost(generation, t.toString());
    }

    @Override
    public void onCompleted() {
      onLost(generation, "the server ended the stream");
    }
  }

  private void onLost(long generation, String reason) {
    if (generation != streamGeneration || closed) {
      return;
    }
    requests = null;
    Duration delay = backoff.delay(failedAttempts++);
    log.warn("xDS stream to {} lost ({}); keeping policy version {}, reconnecting in {} ms",
        bootstrap.serverUri(), reason, version, delay.toMillis());
    try {
      @SuppressWarnings("FutureReturnValueIgnored")
      Object unused = executor.schedule(this::connect, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // Closed meanwhile.
    }
  }

  private void onResponse(DiscoveryResponse response) {
    String type = response.getTypeUrl();
    Subscription sub = subscriptions.get(type);
    if (sub == null) {
      log.warn("Ignoring an xDS response of a type mesh4j did not ask for: {}", type);
      return;
    }
    sub.nonce = response.getNonce();
    List<Problem> problems = new ArrayList<>();
    // LDS and CDS responses hold every resource of the type; RDS and EDS only those they name.
    boolean complete = type.equals(XdsTranslator.LISTENER) || type.equals(XdsTranslator.CLUSTER);
    Map<String, Message> byName = complete ? new LinkedHashMap<>() : new LinkedHashMap<>(held.of(type));
    Map<String, Any> raw = new LinkedHashMap<>();
    Class<? extends Message> kind = XdsTranslator.messageClass(type);
    for (int i = 0; i < response.getResourcesCount(); i++) {
      Any any = response.getResources(i);
      Message resource;
      try {
        resource = any.unpack(kind);
      } catch (InvalidProtocolBufferException e) {
        problems.add(new Problem("resources[" + i + "]", "", "must be a well-formed " + kind.getSimpleName(),
            any.getTypeUrl() + ": " + e.getMessage()));
        continue;
      }
      problems.addAll(XdsTranslator.check(resource));
      byName.put(XdsTranslator.name(resource), resource);
      raw.put(XdsTranslator.name(resource), any);
    }
    if (!problems.isEmpty()) {
      refuse(type, sub, response.getVersionInfo(), raw, problems);
      return;
    }
    if (!complete) {
      // What is no longer subscribed to is no longer needed.
      byName.keySet().retainAll(sub.names);
    }
    Resources candidate = held.with(type, byName);
    Map<Target, List<MeshResource>> good = new HashMap<>(lastGood);
    for (Target t : targets) {
      List<MeshResource> translated = XdsTranslator.translate(t, candidate, problems);
      if (translated != null) {
        good.put(t, translated);
      }
    }
    if (!problems.isEmpty()) {
      refuse(type, sub, response.getVersionInfo(), raw, problems);
      return;
    }
    List<MeshResource> resources = new ArrayList<>();
    targets.forEach(t -> resources.addAll(good.getOrDefault(t, List.of())));
    if (!resources.equals(delivered)) {
      PolicyResult result = PolicyResult.of(resources);
      if (!result.isValid()) {
        refuse(type, sub, response.getVersionInfo(), raw, result.problems());
        return;
      }
      Listener l = listener;
      if (l == null || closed) {
        return;
      }
      ApplyResult applied = deliver(l, result.orElseThrow().withVersion(version + 1));
      if (!applied.applied()) {
        List<Problem> why = applied.problems().isEmpty()
            ? List.of(new Problem("policy version " + (version + 1), "", "was refused by the application without a reason", null))
            : applied.problems();
        refuse(type, sub, response.getVersionInfo(), raw, why);
        return;
      }
      version++;
      delivered = List.copyOf(resources);
      log.info("Applied xDS {} version {} from {} as policy version {}", shortType(type), response.getVersionInfo(),
          bootstrap.serverUri(), version);
    }
    held = candidate;
    lastGood.clear();
    lastGood.putAll(good);
    sub.version = response.getVersionInfo();
    lastRefused.remove(type);
    Map<String, Accepted> byType = complete ? new LinkedHashMap<>() : new LinkedHashMap<>(accepted.getOrDefault(type, Map.of()));
    Timestamp now = now();
    raw.forEach((name, any) -> byType.put(name, new Accepted(any, response.getVersionInfo(), now)));
    byType.keySet().retainAll(held.of(type).keySet());
    accepted.put(type, byType);
    refusals.remove(type);
    send(type, sub, null);
    follow();
  }

  /** Subscribes to what the held resources now lead to. */
  private void follow() {
    Map<String, Set<String>> wanted = XdsTranslator.wanted(targets, held);
    for (String type : TYPES) {
      Set<String> names = wanted.get(type);
      Subscription s = Objects.requireNonNull(subscriptions.get(type));
      if (names != null && !names.equals(s.names)) {
        s.names = new LinkedHashSet<>(names);
        send(type, s, null);
      }
    }
  }

  private void refuse(String type, Subscription sub, String version, Map<String, Any> raw, List<Problem> problems) {
    String refusal = version + " " + problems;
    refusals.put(type, new Refusal(version, details(problems), now(), raw));
    if (refusal.equals(lastRefused.put(type, refusal))) {
      send(type, sub, problems);
      return;
    }
    log.warn("NACK of xDS {} version {} from {}; keeping policy version {}: {}", shortType(type), version,
        bootstrap.serverUri(), this.version, problems);
    Listener l = listener;
    if (l != null && !closed) {
      try {
        l.onRejected(problems);
      } catch (RuntimeException e) {
        log.error("Listener failed on rejected xDS resources", e);
      }
    }
    send(type, sub, problems);
  }

  private ApplyResult deliver(Listener l, io.mesh4j.core.policy.PolicySet policies) {
    try {
      return l.onUpdate(policies);
    } catch (RuntimeException e) {
      log.error("Listener failed on policy version {}", policies.version(), e);
      return ApplyResult.refused(List.of(new Problem(
          "policy version " + policies.version(), "", "must be applied without an exception", e.toString())));
    }
  }

  /** An ACK (or first request) of what {@code sub} holds, or a NACK with {@code problems}. */
  private void send(String type, Subscription sub, @Nullable List<Problem> problems) {
    ClientCallStreamObserver<DiscoveryRequest> r = requests;
    if (r == null) {
      return;
    }
    DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder()
        .setNode(bootstrap.node())
        .setTypeUrl(type)
        .setVersionInfo(sub.version)
        .setResponseNonce(sub.nonce)
        .addAllResourceNames(sub.names);
    if (problems != null) {
      request.setErrorDetail(com.google.rpc.Status.newBuilder()
          .setCode(io.grpc.Status.Code.INVALID_ARGUMENT.value())
          .setMessage(details(problems)));
    }
    r.onNext(request.build());
  }

  private static String details(List<Problem> problems) {
    return "mesh4j: " + problems.stream().map(Problem::message).collect(Collectors.joining("; "));
  }

  /**
   * What the source holds now, in the form of the client status discovery service (CSDS, gRFC
   * A40), as grpc-java's own {@code CsdsService} answers it: the bootstrap's node and one {@code
   * GenericXdsConfig} per resource subscribed to or held, with the version and raw form of what was
   * accepted ({@code ACKED}), or {@code REQUESTED} while none arrived; a resource of a refused
   * response is {@code NACKED} with the refusal in its {@code error_state} (the refused version,
   * the reasons sent in the NACK, when) and keeps the version it holds. Any thread; served by
   * {@link ClientStatusService}.
   */
  public ClientConfig clientStatus() {
    return clientConfig;
  }

  private ClientConfig status() {
    ClientConfig.Builder config = ClientConfig.newBuilder().setNode(bootstrap.node());
    for (String type : TYPES) {
      Map<String, Accepted> kept = accepted.getOrDefault(type, Map.of());
      Refusal refusal = refusals.get(type);
      Set<String> names = new LinkedHashSet<>(Objects.requireNonNull(subscriptions.get(type)).names);
      names.addAll(kept.keySet());
      if (refusal != null) {
        names.addAll(refusal.resources().keySet());
      }
      for (String name : names) {
        GenericXdsConfig.Builder resource = GenericXdsConfig.newBuilder().setTypeUrl(type).setName(name)
            .setClientStatus(ClientResourceStatus.REQUESTED);
        Accepted a = kept.get(name);
        if (a != null) {
          resource.setVersionInfo(a.version()).setXdsConfig(a.raw()).setLastUpdated(a.at())
              .setClientStatus(ClientResourceStatus.ACKED);
        }
        Any refused = refusal == null ? null : refusal.resources().get(name);
        if (refusal != null && refused != null) {
          resource.setClientStatus(ClientResourceStatus.NACKED).setErrorState(UpdateFailureState.newBuilder()
              .setFailedConfiguration(refused)
              .setLastUpdateAttempt(refusal.at())
              .setDetails(refusal.details())
              .setVersionInfo(refusal.version()));
        }
        config.addGenericXdsConfigs(resource);
      }
    }
    return config.build();
  }

  private static Timestamp now() {
    Instant now = Instant.now();
    return Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
  }

  private static String shortType(String type) {
    return type.substring(type.lastIndexOf('.') + 1);
  }

  /** Builds an {@link XdsConfigSource}. At least one target is required. Not thread-safe. */
  public static final class Builder {
    private @Nullable XdsBootstrap bootstrap;
    private final List<String> targets = new ArrayList<>();
    private String defaultNamespace = "default";
    private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
    private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
    private RandomGenerator random = RandomGenerator.getDefault();

    private Builder() {}

    /** Reads the bootstrap from this file instead of the environment's. */
    public Builder bootstrapFile(Path file) {
      this.bootstrap = XdsBootstrap.read(file);
      return this;
    }

    /** Reads the bootstrap from this JSON instead of the environment's. */
    public Builder bootstrapJson(String json) {
      this.bootstrap = XdsBootstrap.parse(json, "(builder JSON)");
      return this;
    }

    /**
     * Destinations the application calls, as their xDS listener names, e.g. {@code
     * catalog.shop:8080} for istiod; each becomes the mesh4j destination of its host's first two
     * labels ({@code catalog.shop}), which the application calls through the mesh. Adds to earlier
     * calls.
     */
    public Builder targets(String... targets) {
      this.targets.addAll(Arrays.asList(targets));
      return this;
    }

    /** The namespace of a target whose host is a single label; {@code default} by default. */
    public Builder defaultNamespace(String namespace) {
      this.defaultNamespace = Objects.requireNonNull(namespace, "namespace");
      return this;
    }

    /**
     * Reconnection delays: from {@code initial}, doubling up to {@code max}, each with equal
     * jitter. Defaults: 250 ms and 2 s.
     */
    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /** The random source of the reconnection jitter; tests fix it. */
    public Builder random(RandomGenerator random) {
      this.random = random;
      return this;
    }

    /**
     * The source, not yet connected.
     *
     * @throws IllegalStateException without targets
     * @throws IllegalArgumentException for a bad target or bootstrap, naming what is wrong
     */
    public XdsConfigSource build() {
      if (targets.isEmpty()) {
        throw new IllegalStateException("an xDS source needs at least one target (the listener of a destination, e.g. catalog.shop:8080)");
      }
      List<Target> parsed = new ArrayList<>();
      Map<String, String> services = new HashMap<>();
      for (String t : new LinkedHashSet<>(targets)) {
        Target target = Target.parse(t, defaultNamespace);
        String other = services.putIfAbsent(target.service(), t);
        if (other != null) {
          throw new IllegalArgumentException("xDS targets " + other + " and " + t + " are both destination "
              + target.service() + "; mesh4j routes a destination one way");
        }
        parsed.add(target);
      }
      XdsBootstrap b = bootstrap != null ? bootstrap : XdsBootstrap.fromEnvironment(System.getenv());
      Backoff delays = new Backoff(initialBackoff, maxBackoff, random);
      ChannelCredentials credentials = InsecureChannelCredentials.create();
      if (b.credentials() == XdsBootstrap.Credentials.TLS) {
        TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
        Path roots = b.trustedRoots();
        if (roots != null) {
          try {
            tls.trustManager(roots.toFile());
          } catch (IOException e) {
            throw new IllegalArgumentException("xDS bootstrap: channel_creds tls config.ca_certificate_file: cannot read "
                + roots + " (" + e + "); expected a PEM file of CA certificates", e);
          }
        }
        credentials = tls.build();
      }
      ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, THREAD_NAME);
        t.setDaemon(true);
        return t;
      });
      executor.setRemoveOnCancelPolicy(true);
      // The channel's callbacks run on the one thread: that is what serializes them.
      ManagedChannel channel = Grpc.newChannelBuilder(b.serverUri(), credentials).executor(executor).build();
      return new XdsConfigSource(b, List.copyOf(parsed), delays, channel, executor);
    }
  }
}
