package io.mesh4j.core.telemetry.micrometer;

import io.mesh4j.core.MeshFailure;
import io.mesh4j.core.MeshListener;
import io.mesh4j.core.Ticker;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.identity.TlsRefusal;
import io.mesh4j.core.policy.Problem;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
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
 *   <li>{@code mesh4j.config.version} (gauge): the applied policy version; a refused version
 *       leaves it unchanged. NaN until a version is applied.
 *   <li>{@code mesh4j.config.refusals} (counter): refused policy versions.
 *   <li>{@code mesh4j.config.last.applied} (gauge, seconds): time since the last applied version,
 *       read from the {@link Ticker} given at binding. NaN until a version is applied.
 *   <li>{@code mesh4j.certificate.expiry.seconds} (gauge): seconds until the workload
 *       certificate renewed last expires, on the wall clock given at binding; NaN before the
 *       first certificate.
 *   <li>{@code mesh4j.certificate.renewals} (counter; {@code result} = {@code success} or {@code
 *       failure}): certificate issuance attempts.
 *   <li>{@code mesh4j.certificate.expiring} (counter): expiry alarms (a certificate close to
 *       expiry and not renewed).
 *   <li>{@code mesh4j.tls.refusals} (counter; {@code side} = {@code client} or {@code server},
 *       {@code reason} = the lower-case name of {@link TlsRefusal.Reason}): peers refused by the
 *       mesh's TLS (expired or untrusted certificates, wrong identity, plaintext under STRICT).
 * </ul>
 *
 * <p>The {@code subset} tag is {@code none} for a destination without subsets. A call refused
 * because its destination is unknown is tagged {@code destination=unknown}: that name comes from
 * the caller, not from the policy, so it would make the tag's values unbounded.
 *
 * <p>Bind one instance per registry: a second one would share the first one's counters, but the
 * registry keeps the first one's config gauges.
 *
 * <p>Thread-safe. Each meter is registered once, on first use, and then found in a map keyed by
 * its tag values, so an event costs one map lookup and one increment. Per-call request counts
 * and latencies are not recorded here (see the package documentation).
 */
public final class MeshMetrics extends MeshListener {

  /** The tag value of a destination that is not in the applied policy. */
  static final String UNKNOWN = "unknown";

  /** The tag value of the subset of a destination without subsets. */
  static final String NO_SUBSET = "none";

  private final MeterRegistry registry;
  private final Ticker ticker;

  private final ConcurrentMap<String, Counter> retries = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> ejections = new ConcurrentHashMap<>();
  private final ConcurrentMap<RefusalKey, Counter> refusals = new ConcurrentHashMap<>();
  private final ConcurrentMap<FaultKey, Counter> faults = new ConcurrentHashMap<>();
  private final ConcurrentMap<TransitionKey, Counter> transitions = new ConcurrentHashMap<>();
  private final ConcurrentMap<SubsetKey, AtomicInteger> breakerStates = new ConcurrentHashMap<>();
  private final Counter configRefusals;
  private final InstantSource wallClock;
  private final Counter renewalsOk;
  private final Counter renewalsFailed;
  private final Counter expiring;
  private final ConcurrentMap<String, Counter> tlsRefusals = new ConcurrentHashMap<>();
  private volatile @Nullable Instant certificateNotAfter;

  // One immutable value, so that a scrape never pairs one version with another's time; written
  // on the config thread, read on the registry's.
  private volatile @Nullable Applied applied;

  private MeshMetrics(MeterRegistry registry, Ticker ticker, InstantSource wallClock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
    this.renewalsOk = renewals("success");
    this.renewalsFailed = renewals("failure");
    this.expiring =
        Counter.builder("mesh4j.certificate.expiring")
            .description("Alarms: a workload certificate close to expiry and not renewed")
            .register(registry);
    Gauge.builder("mesh4j.certificate.expiry.seconds", this, MeshMetrics::secondsToExpiry)
        .description("Seconds until the workload certificate expires")
        .baseUnit("seconds")
        .strongReference(true)
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
  }

  /**
   * A listener that records into {@code registry}, measuring the age of the applied config on
   * the system's monotonic clock.
   */
  public static MeshMetrics bindTo(MeterRegistry registry) {
    return new MeshMetrics(registry, Ticker.system(), InstantSource.system());
  }

  /**
   * A listener that records into {@code registry}, measuring the age of the applied config on
   * {@code ticker}; pass the mesh's own ticker so that both agree.
   */
  public static MeshMetrics bindTo(MeterRegistry registry, Ticker ticker) {
    return new MeshMetrics(registry, ticker, InstantSource.system());
  }

  /**
   * Like {@link #bindTo(MeterRegistry, Ticker)}, with the time left on the workload certificate
   * measured on {@code wallClock}.
   */
  public static MeshMetrics bindTo(MeterRegistry registry, Ticker ticker, InstantSource wallClock) {
    return new MeshMetrics(registry, ticker, wallClock);
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

  private double secondsToExpiry() {
    Instant t = certificateNotAfter;
    return t == null ? Double.NaN : Duration.between(wallClock.instant(), t).toMillis() / 1e3;
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
    AtomicInteger state = breakerStates.get(key);
    if (state == null) {
      state =
          breakerStates.computeIfAbsent(
              key,
              k -> {
                AtomicInteger value = new AtomicInteger();
                Gauge.builder("mesh4j.breaker.state", value, AtomicInteger::get)
                    .description("Circuit breaker state: 0 closed, 1 half-open, 2 open")
                    .tag("destination", k.destination())
                    .tag("subset", k.subset())
                    .strongReference(true)
                    .register(registry);
                return value;
              });
    }
    return state;
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
}
