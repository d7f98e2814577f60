package io.mesh4j.micrometer;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.base.Ticker;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.Protocol;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.telemetry.ClientCallInfo;
import io.mesh4j.core.telemetry.ClientCallObserver;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.telemetry.MeshView;
import io.mesh4j.core.telemetry.ServerCallInfo;
import io.mesh4j.core.telemetry.ServerCallObserver;
import io.mesh4j.core.telemetry.TlsRefusal;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Records the mesh's own decisions as Micrometer meters. Register it when building the mesh:
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .configSource(source)
 *     .listener(MeshMetrics.bindTo(registry))
 *     .build();
 * }</pre>
 *
 * <p>Meters:
 *
 * <ul>
 *   <li>{@code mesh4j.retries} (counter; {@code destination}): retries the engine scheduled.
 *   <li>{@code mesh4j.hedges} (counter; {@code destination}): attempts a hedged call sent because
 *       none had answered within the hedging delay.
 *   <li>{@code mesh4j.refusals} (counter; {@code destination}, {@code reason}): calls, attempts
 *       and retries the mesh refused on its own; {@code reason} is the lower-case name of {@link
 *       MeshFailure.Reason}, so {@code retry_budget_exhausted} counts budget exhaustion.
 *   <li>{@code mesh4j.ejections} (counter; {@code destination}): endpoints ejected by outlier
 *       detection.
 *   <li>{@code mesh4j.faults} (counter; {@code destination}, {@code kind} = {@code delay} or
 *       {@code abort}): injected faults; a fault that both delays and aborts counts once for each
 *       kind.
 *   <li>{@code mesh4j.breaker.transitions} (counter; {@code destination}, {@code subset}, {@code
 *       to}): circuit breaker state changes, {@code to} being {@code closed}, {@code open} or
 *       {@code half_open}.
 *   <li>{@code mesh4j.breaker.state} (gauge; {@code destination}, {@code subset}): 0 closed, 1
 *       half-open, 2 open. It appears with a breaker's first transition and returns to 0 when a
 *       policy change starts the breaker afresh.
 *   <li>{@code mesh4j.concurrency.limit} (gauge; {@code destination}, {@code subset}): the
 *       adaptive concurrency limit, for subsets whose destination sets {@code
 *       adaptiveConcurrency}; refusals at the limit count in {@code mesh4j.refusals} with {@code
 *       reason=concurrency_limited}.
 *   <li>{@code mesh4j.config.version} (gauge): the applied policy version; a refused version
 *       leaves it unchanged. NaN until a version is applied.
 *   <li>{@code mesh4j.config.refusals} (counter): refused policy versions.
 *   <li>{@code mesh4j.config.last.applied} (gauge, seconds): time since the last applied version,
 *       read from the {@link Ticker} given at binding. NaN until a version is applied.
 *   <li>{@code mesh4j.certificate.expiry} (gauge, seconds): time left until the workload
 *       certificate's {@code notAfter} on the {@link Builder#clock} (the mesh's identity in force
 *       once bound as telemetry, else the last renewal reported); NaN while there is none.
 *   <li>{@code mesh4j.certificate.renewals} (counter; {@code result} = {@code success} or {@code
 *       failure}): certificate issuance attempts.
 *   <li>{@code mesh4j.certificate.expiring} (counter): expiry alarms (a certificate close to
 *       expiry and not renewed).
 *   <li>{@code mesh4j.tls.refusals} (counter; {@code side} = {@code client} or {@code server},
 *       {@code reason} = the lower-case name of {@link TlsRefusal.Reason}): peers refused by the
 *       mesh's TLS (expired or untrusted certificates, wrong identity, plaintext under STRICT).
 * </ul>
 *
 * <p>As a listener that observes calls, it times every call the gRPC and HTTP adapters make or
 * serve:
 *
 * <ul>
 *   <li>{@code mesh4j.client.requests} (timer; {@code source}, {@code destination}, {@code route},
 *       {@code subset}, {@code method}, {@code status}): outgoing calls, one per logical call
 *       whatever its attempts, with service-level buckets from 5 ms to 10 s.
 *   <li>{@code mesh4j.server.requests} (timer; {@code source}, {@code destination}, {@code
 *       method}, {@code status}): incoming calls, {@code source} being the caller's verified SPIFFE
 *       ID ({@code unknown} without one) and {@code destination} the serving service.
 * </ul>
 *
 * <p>{@code method} is the gRPC full method or the HTTP method (never the path); an HTTP method
 * outside the standard ones is {@code OTHER}. {@code status} is the gRPC code name or the HTTP
 * status the application saw ({@code 0} when no response arrived). The {@code source} of client
 * calls is the name given to {@link Builder#source} ({@code unknown} by default).
 *
 * <p>The {@code subset} tag is {@code none} for a destination without subsets. A call refused
 * because its destination is unknown is tagged {@code destination=unknown}: that name comes from
 * the caller, not from the policy, so it would make the tag's values unbounded.
 *
 * <p>Bind one instance per registry: a second one would share the first one's counters, but the
 * registry keeps the first one's config gauges.
 *
 * <p>Thread-safe. Each meter is registered once, on first use, and then found in a map keyed by
 * its tag values, so an event costs one map lookup and one increment.
 */
public final class MeshMetrics extends MeshListener {

  /** The service-level buckets of the request timers. */
  static final Duration[] SLO_BUCKETS = {
    Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
    Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
    Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)
  };

  private static final Set<String> HTTP_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  /** The tag value of a destination that is not in the applied policy. */
  static final String UNKNOWN = "unknown";

  /** The tag value of the subset of a destination without subsets. */
  static final String NO_SUBSET = "none";

  private final MeterRegistry registry;
  private final Ticker ticker;
  private final String source;
  private final InstantSource clock;
  private final ConcurrentMap<ClientKey, Timer> clientTimers = new ConcurrentHashMap<>();
  private final ConcurrentMap<ServerKey, Timer> serverTimers = new ConcurrentHashMap<>();
  private volatile @Nullable MeshView mesh;

  private final ConcurrentMap<String, Counter> retries = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> hedges = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> ejections = new ConcurrentHashMap<>();
  private final ConcurrentMap<RefusalKey, Counter> refusals = new ConcurrentHashMap<>();
  private final ConcurrentMap<FaultKey, Counter> faults = new ConcurrentHashMap<>();
  private final ConcurrentMap<TransitionKey, Counter> transitions = new ConcurrentHashMap<>();
  private final ConcurrentMap<SubsetKey, AtomicInteger> breakerStates = new ConcurrentHashMap<>();
  private final ConcurrentMap<SubsetKey, AtomicInteger> concurrencyLimits =
      new ConcurrentHashMap<>();
  private final Counter configRefusals;
  private final Counter renewalsOk;
  private final Counter renewalsFailed;
  private final Counter expiring;
  private final ConcurrentMap<String, Counter> tlsRefusals = new ConcurrentHashMap<>();
  private volatile @Nullable Instant certificateNotAfter;

  // One immutable value, so that a scrape never pairs one version with another's time; written
  // on the config thread, read on the registry's.
  private volatile @Nullable Applied applied;

  private MeshMetrics(MeterRegistry registry, Ticker ticker, String source, InstantSource clock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.source = Objects.requireNonNull(source, "source");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.renewalsOk = renewals("success");
    this.renewalsFailed = renewals("failure");
    this.expiring =
        Counter.builder("mesh4j.certificate.expiring")
            .description("Alarms: a workload certificate close to expiry and not renewed")
            .register(registry);
    this.configRefusals =
        Counter.builder("mesh4j.config.refusals")
            .description("Policy versions the mesh refused")
            .register(registry);
    // Strong references: registries hold gauges weakly by default, and nothing else keeps this
    // listener's view of the config reachable from the registry's side.
    Gauge.builder("mesh4j.config.version", this, MeshMetrics::version)
        .description("The applied policy version")
        .strongReference(true)
        .register(registry);
    Gauge.builder("mesh4j.config.last.applied", this, MeshMetrics::secondsSinceApplied)
        .description("Seconds since a policy version was last applied")
        .baseUnit("seconds")
        .strongReference(true)
        .register(registry);
    Gauge.builder("mesh4j.certificate.expiry", this, MeshMetrics::secondsToExpiry)
        .description("Seconds until the workload certificate expires")
        .baseUnit("seconds")
        .strongReference(true)
        .register(registry);
  }

  /**
   * A listener that records into {@code registry}, measuring the age of the applied config on
   * the system's monotonic clock.
   */
  public static MeshMetrics bindTo(MeterRegistry registry) {
    return builder(registry).build();
  }

  /**
   * A listener that records into {@code registry}, measuring the age of the applied config on
   * {@code ticker}; pass the mesh's own ticker so that both agree.
   */
  public static MeshMetrics bindTo(MeterRegistry registry, Ticker ticker) {
    return builder(registry).ticker(ticker).build();
  }

  private Counter renewals(String result) {
    return Counter.builder("mesh4j.certificate.renewals")
        .description("Workload certificate issuance attempts")
        .tag("result", result)
        .register(registry);
  }

  @Override
  public void certificateRenewed(String spiffeId, Instant notAfter) {
    certificateNotAfter = notAfter;
    renewalsOk.increment();
  }

  @Override
  public void certificateRenewalFailed(
      String message, boolean retryable, @Nullable Instant notAfter) {
    renewalsFailed.increment();
  }

  @Override
  public void certificateExpiring(String spiffeId, Instant notAfter) {
    expiring.increment();
  }

  @Override
  public void tlsRefused(TlsRefusal refusal) {
    String key =
        refusal.side().name().toLowerCase(Locale.ROOT)
            + "/"
            + refusal.reason().name().toLowerCase(Locale.ROOT);
    Counter c = tlsRefusals.get(key);
    if (c == null) {
      c =
          tlsRefusals.computeIfAbsent(
              key,
              k ->
                  Counter.builder("mesh4j.tls.refusals")
                      .description("Peers the mesh's TLS refused")
                      .tag("side", k.substring(0, k.indexOf('/')))
                      .tag("reason", k.substring(k.indexOf('/') + 1))
                      .register(registry));
    }
    c.increment();
  }

  /** Configures metrics that record into {@code registry}. */
  public static Builder builder(MeterRegistry registry) {
    return new Builder(registry);
  }

  /** Configures {@link MeshMetrics}. Not thread-safe. */
  public static final class Builder {
    private final MeterRegistry registry;
    private Ticker ticker = Ticker.system();
    private String source = UNKNOWN;
    private InstantSource clock = InstantSource.system();

    private Builder(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** The clock of the config age; pass the mesh's own ticker. System ticker by default. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * This application's service name ({@code name.namespace}), the {@code source} tag of its
     * client calls; {@code unknown} by default.
     */
    public Builder source(String source) {
      if (source.isBlank()) {
        throw new IllegalArgumentException(
            "mesh4j: metrics source must be a service name like frontend.shop, got a blank one");
      }
      this.source = source;
      return this;
    }

    /** The wall clock certificate expiry is measured on; the system's by default. */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Builds the metrics; the meters of the config appear at once. */
    public MeshMetrics build() {
      return new MeshMetrics(registry, ticker, source, clock);
    }
  }

  @Override
  public void attach(MeshView mesh) {
    this.mesh = mesh;
  }

  /** Metrics carry no trace ids. */
  @Override
  public boolean readsTraceIds() {
    return false;
  }

  @Override
  public ClientCallObserver clientCall(ClientCallInfo call) {
    return new ClientTiming(call);
  }

  @Override
  public ServerCallObserver serverCall(ServerCallInfo call) {
    return new ServerTiming(call);
  }

  /** Records one outgoing call on its timer when it ends. */
  private final class ClientTiming implements ClientCallObserver {
    private final ClientCallInfo call;

    ClientTiming(ClientCallInfo call) {
      this.call = call;
    }

    @Override
    public void callEnded(CallEnd end) {
      ClientCallInfo c = call;
      ClientKey key =
          c.known()
              ? new ClientKey(
                  c.destination(),
                  c.route(),
                  c.subset() == null ? NO_SUBSET : c.subset(),
                  method(c.protocol(), c.method()),
                  end.status().name())
              : new ClientKey(
                  UNKNOWN,
                  "default",
                  NO_SUBSET,
                  method(c.protocol(), c.method()),
                  end.status().name());
      Timer t = clientTimers.get(key);
      if (t == null) {
        t =
            clientTimers.computeIfAbsent(
                key,
                k ->
                    Timer.builder("mesh4j.client.requests")
                        .description("Calls this application made through the mesh")
                        .tag("source", source)
                        .tag("destination", k.destination())
                        .tag("route", k.route())
                        .tag("subset", k.subset())
                        .tag("method", k.method())
                        .tag("status", k.status())
                        .serviceLevelObjectives(SLO_BUCKETS)
                        .register(registry));
      }
      t.record(end.durationNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /** Records one incoming call on its timer when it ends. */
  private final class ServerTiming implements ServerCallObserver {
    private final ServerCallInfo call;

    ServerTiming(ServerCallInfo call) {
      this.call = call;
    }

    @Override
    public void callEnded(CallEnd end) {
      ServerCallInfo c = call;
      String peer = c.peer();
      ServerKey key =
          new ServerKey(
              peer == null ? UNKNOWN : peer,
              c.service(),
              method(c.protocol(), c.method()),
              end.status().name());
      Timer t = serverTimers.get(key);
      if (t == null) {
        t =
            serverTimers.computeIfAbsent(
                key,
                k ->
                    Timer.builder("mesh4j.server.requests")
                        .description("Calls this application served under the mesh")
                        .tag("source", k.source())
                        .tag("destination", k.destination())
                        .tag("method", k.method())
                        .tag("status", k.status())
                        .serviceLevelObjectives(SLO_BUCKETS)
                        .register(registry));
      }
      t.record(end.durationNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private static String method(Protocol protocol, String method) {
    if (protocol == Protocol.GRPC) {
      return method;
    }
    return HTTP_METHODS.contains(method) ? method : "OTHER";
  }

  private double secondsToExpiry() {
    MeshView m = mesh;
    Instant inForce = m == null ? null : m.certificateNotAfter();
    // Bound to a mesh, the identity in force is the truth; as a bare listener, the last renewal.
    Instant notAfter = inForce != null ? inForce : certificateNotAfter;
    if (notAfter == null) {
      return Double.NaN;
    }
    return Duration.between(clock.instant(), notAfter).toMillis() / 1000.0;
  }

  @Override
  public void snapshotApplied(long version) {
    applied = new Applied(version, ticker.nanos());
  }

  @Override
  public void snapshotRefused(long version, List<Problem> problems) {
    configRefusals.increment();
  }

  @Override
  public void stateReset(String key) {
    // A breaker whose policy changed starts closed without a transition event; the key is
    // "breaker <destination>" or "breaker <destination>/<subset>" (destinations contain no '/').
    if (!key.startsWith("breaker ")) {
      return;
    }
    String target = key.substring("breaker ".length());
    int slash = target.indexOf('/');
    SubsetKey k =
        slash < 0
            ? new SubsetKey(target, NO_SUBSET)
            : new SubsetKey(target.substring(0, slash), target.substring(slash + 1));
    AtomicInteger state = breakerStates.get(k);
    if (state != null) {
      state.set(gaugeValue(BreakerState.CLOSED));
    }
  }

  @Override
  public void breakerStateChanged(
      String destination, @Nullable String subset, BreakerState from, BreakerState to) {
    String s = subset == null ? NO_SUBSET : subset;
    TransitionKey tk = new TransitionKey(destination, s, to);
    Counter c = transitions.get(tk);
    if (c == null) {
      c =
          transitions.computeIfAbsent(
              tk,
              k ->
                  Counter.builder("mesh4j.breaker.transitions")
                      .description("Circuit breaker state changes")
                      .tag("destination", k.destination())
                      .tag("subset", k.subset())
                      .tag("to", tagValue(k.to()))
                      .register(registry));
    }
    c.increment();
    breakerState(new SubsetKey(destination, s)).set(gaugeValue(to));
  }

  @Override
  public void concurrencyLimitChanged(String destination, @Nullable String subset, int limit) {
    subsetGauge(
            concurrencyLimits,
            new SubsetKey(destination, subset == null ? NO_SUBSET : subset),
            "mesh4j.concurrency.limit",
            "Adaptive concurrency limit of a subset")
        .set(limit);
  }

  @Override
  public void endpointEjected(
      String destination, Endpoint endpoint, long durationNanos, String reason) {
    // Neither the endpoint nor the free-text reason becomes a tag: both are unbounded.
    perDestination(
            ejections, "mesh4j.ejections", "Endpoints ejected by outlier detection", destination)
        .increment();
  }

  @Override
  public void retryScheduled(
      String destination, int nextAttempt, long backoffNanos, Outcome outcome) {
    perDestination(retries, "mesh4j.retries", "Retries the mesh scheduled", destination)
        .increment();
  }

  @Override
  public void hedgeSent(String destination, int attempt) {
    perDestination(hedges, "mesh4j.hedges", "Hedged attempts the mesh sent", destination)
        .increment();
  }

  @Override
  public void callRefused(MeshFailure failure) {
    MeshFailure.Reason reason = failure.reason();
    String destination =
        reason == MeshFailure.Reason.UNKNOWN_DESTINATION ? UNKNOWN : failure.destination();
    RefusalKey rk = new RefusalKey(destination, reason);
    Counter c = refusals.get(rk);
    if (c == null) {
      c =
          refusals.computeIfAbsent(
              rk,
              k ->
                  Counter.builder("mesh4j.refusals")
                      .description("Calls, attempts and retries the mesh refused on its own")
                      .tag("destination", k.destination())
                      .tag("reason", k.reason().name().toLowerCase(Locale.ROOT))
                      .register(registry));
    }
    c.increment();
  }

  @Override
  public void faultInjected(String destination, long delayNanos, boolean abort) {
    if (delayNanos > 0) {
      fault(destination, FaultKind.DELAY).increment();
    }
    if (abort) {
      fault(destination, FaultKind.ABORT).increment();
    }
  }

  private Counter fault(String destination, FaultKind kind) {
    FaultKey fk = new FaultKey(destination, kind);
    Counter c = faults.get(fk);
    if (c == null) {
      c =
          faults.computeIfAbsent(
              fk,
              k ->
                  Counter.builder("mesh4j.faults")
                      .description("Faults injected into calls")
                      .tag("destination", k.destination())
                      .tag("kind", k.kind().tag)
                      .register(registry));
    }
    return c;
  }

  private Counter perDestination(
      ConcurrentMap<String, Counter> cache, String name, String description, String destination) {
    Counter c = cache.get(destination);
    if (c == null) {
      c =
          cache.computeIfAbsent(
              destination,
              d ->
                  Counter.builder(name)
                      .description(description)
                      .tag("destination", d)
                      .register(registry));
    }
    return c;
  }

  private AtomicInteger breakerState(SubsetKey key) {
    return subsetGauge(
        breakerStates,
        key,
        "mesh4j.breaker.state",
        "Circuit breaker state: 0 closed, 1 half-open, 2 open");
  }

  /** The value behind a per-subset gauge, registered on first use. */
  private AtomicInteger subsetGauge(
      ConcurrentMap<SubsetKey, AtomicInteger> gauges,
      SubsetKey key,
      String name,
      String description) {
    AtomicInteger value = gauges.get(key);
    if (value == null) {
      value =
          gauges.computeIfAbsent(
              key,
              k -> {
                AtomicInteger v = new AtomicInteger();
                Gauge.builder(name, v, AtomicInteger::get)
                    .description(description)
                    .tag("destination", k.destination())
                    .tag("subset", k.subset())
                    .strongReference(true)
                    .register(registry);
                return v;
              });
    }
    return value;
  }

  private double version() {
    Applied a = applied;
    return a == null ? Double.NaN : a.version();
  }

  private double secondsSinceApplied() {
    Applied a = applied;
    return a == null ? Double.NaN : (ticker.nanos() - a.atNanos()) / 1e9;
  }

  private static int gaugeValue(BreakerState state) {
    return switch (state) {
      case CLOSED -> 0;
      case HALF_OPEN -> 1;
      case OPEN -> 2;
    };
  }

  private static String tagValue(BreakerState state) {
    return switch (state) {
      case CLOSED -> "closed";
      case HALF_OPEN -> "half_open";
      case OPEN -> "open";
    };
  }

  private enum FaultKind {
    DELAY("delay"),
    ABORT("abort");

    final String tag;

    FaultKind(String tag) {
      this.tag = tag;
    }
  }

  private record Applied(long version, long atNanos) {}

  private record RefusalKey(String destination, MeshFailure.Reason reason) {}

  private record FaultKey(String destination, FaultKind kind) {}

  private record TransitionKey(String destination, String subset, BreakerState to) {}

  private record SubsetKey(String destination, String subset) {}

  private record ClientKey(
      String destination, String route, String subset, String method, String status) {

    // Written out, as Endpoint's are: the generated ones cost start-up time on their first call.

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof ClientKey k
          && Objects.equals(destination, k.destination)
          && Objects.equals(route, k.route)
          && Objects.equals(subset, k.subset)
          && Objects.equals(method, k.method)
          && Objects.equals(status, k.status);
    }

    @Override
    public int hashCode() {
      int h = Objects.hashCode(destination);
      h = 31 * h + Objects.hashCode(route);
      h = 31 * h + Objects.hashCode(subset);
      h = 31 * h + Objects.hashCode(method);
      return 31 * h + Objects.hashCode(status);
    }
  }

  private record ServerKey(String source, String destination, String method, String status) {}
}
