package io.mesh4j.core.engine.resilience;

import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.engine.Events;
import io.mesh4j.core.policy.DestinationPolicy.OutlierDetection;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The long-lived state of one endpoint of a destination: what balancers weigh (requests in flight,
 * the peak-EWMA of latency, recent failures) and outlier detection (consecutive failures, the
 * failure share of the current interval, and the ejection). An ejection ends lazily: the first
 * reader after its end time puts the endpoint back, so no timer is needed.
 *
 * <p>The latency average and the failure count each pack a {@code float} and a time stamp in one
 * {@code long}, so one compare-and-set moves both and reading them allocates nothing. Both fade
 * exponentially with the decay time the reader or writer passes: {@code v * exp(-elapsed / decay)}.
 *
 * <p>Thread-safe and lock-free. {@link #bind} is called by the snapshot publisher only.
 */
public final class EndpointHealth {

  private static final long NOT_EJECTED = Long.MIN_VALUE;
  private static final long ONE_FAILURE = 1L << 32;
  private static final VarHandle EJECTED_UNTIL;
  private static final VarHandle INTERVAL_START;
  private static final VarHandle LATENCY;
  private static final VarHandle FAILURES;
  private static final VarHandle IN_FLIGHT;
  private static final VarHandle INTERVAL_COUNTS;
  private static final VarHandle CONSECUTIVE_FAILURES;
  // stamps count units of 2^20 ns (about 1 ms): 32 bits of them cover 52 days between samples
  private static final int STAMP_SHIFT = Decay.UNIT_SHIFT;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      EJECTED_UNTIL = l.findVarHandle(EndpointHealth.class, "ejectedUntil", long.class);
      INTERVAL_START = l.findVarHandle(EndpointHealth.class, "intervalStart", long.class);
      LATENCY = l.findVarHandle(EndpointHealth.class, "latency", long.class);
      FAILURES = l.findVarHandle(EndpointHealth.class, "failures", long.class);
      IN_FLIGHT = l.findVarHandle(EndpointHealth.class, "inFlight", int.class);
      INTERVAL_COUNTS = l.findVarHandle(EndpointHealth.class, "intervalCounts", long.class);
      CONSECUTIVE_FAILURES = l.findVarHandle(EndpointHealth.class, "consecutiveFailures", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // What every attempt writes (requests in flight, the latency average, the interval's counts) are
  // fields of this one object rather than atomics of their own: threads calling the same endpoint
  // then move one or two cache lines between cores per attempt instead of four.
  private volatile int inFlight;
  private final @Nullable Config config;
  private volatile int consecutiveFailures;
  // failures in the high 32 bits, calls in the low 32 bits, so both move in one atomic add
  @SuppressWarnings("UnusedVariable") // read through INTERVAL_COUNTS
  private volatile long intervalCounts;
  private final AtomicInteger ejections = new AtomicInteger();
  private volatile long ejectedUntil = NOT_EJECTED;
  private volatile long intervalStart;
  private volatile Binding binding;
  private volatile long latency;
  // the last sample was the first or more than twice the average, and was held back until a
  // second confirms it
  private volatile boolean outlyingSample;
  // the held-back first sample, written before outlyingSample is set
  private long firstSample;
  private volatile long failures;
  private volatile boolean connecting;

  /**
   * @param policy the destination's outlier detection, or null when there is none
   * @param now the ticker reading at creation
   */
  public EndpointHealth(@Nullable OutlierDetection policy, Endpoint endpoint, long now) {
    this.config = policy == null || !policy.enabled() ? null : new Config(policy);
    this.intervalStart = now;
    this.binding = new Binding(endpoint, null, new int[0]);
  }

  /** Where an endpoint sits in the current snapshot; replaced at each swap. Immutable. */
  private static final class Binding {
    private final Endpoint endpoint;
    private final @Nullable OutlierScope scope;
    private final int[] groups;

    Binding(Endpoint endpoint, @Nullable OutlierScope scope, int[] groups) {
      this.endpoint = endpoint;
      this.scope = scope;
      this.groups = groups;
    }

    Endpoint endpoint() {
      return endpoint;
    }

    @Nullable OutlierScope scope() {
      return scope;
    }

    int[] groups() {
      return groups;
    }
  }

  private static final class Config {
    final int consecutiveFailures;
    final double failurePercent;
    final int minimumCalls;
    final long intervalNanos;
    final long baseEjectionNanos;
    final long maxEjectionNanos;

    Config(OutlierDetection p) {
      consecutiveFailures = p.consecutiveFailures();
      Double pct = p.failurePercentageThreshold();
      failurePercent = pct == null ? -1 : pct;
      minimumCalls = p.failurePercentageMinimumCalls();
      intervalNanos = Math.max(1, p.interval().toNanos());
      baseEjectionNanos = Math.max(1, p.baseEjectionTime().toNanos());
      // as in gRPC (A50): an ejection lasts at most max(base, max), never less than the base
      maxEjectionNanos = Math.max(baseEjectionNanos, p.maxEjectionTime().toNanos());
    }
  }

  /** Ties this endpoint to the snapshot being published. */
  public void bind(Endpoint endpoint, @Nullable OutlierScope scope, int[] groups) {
    this.binding = new Binding(endpoint, scope, groups);
  }

  /** Requests in flight to this endpoint. */
  public int inFlight() {
    return inFlight;
  }

  /** Counts an attempt that goes out to this endpoint; {@link #attemptEnded} takes it back. */
  public void attemptStarted() {
    IN_FLIGHT.getAndAdd(this, 1);
  }

  public void attemptEnded() {
    IN_FLIGHT.getAndAdd(this, -1);
  }

  /** The endpoint as the current snapshot describes it. */
  public Endpoint endpoint() {
    return binding.endpoint();
  }

  /** Whether the endpoint may be picked now; ends an expired ejection on the way. */
  public boolean available(long now) {
    long until = ejectedUntil;
    if (until == NOT_EJECTED) {
      return true;
    }
    if (now - until < 0) {
      return false;
    }
    if (EJECTED_UNTIL.compareAndSet(this, until, NOT_EJECTED)) {
      Binding b = binding;
      OutlierScope scope = b.scope();
      if (scope != null && scope.events.enabled()) {
        scope.events.endpointReturned(scope.destination, b.endpoint());
      }
    }
    return true;
  }

  /**
   * How long the running ejection still lasts at {@code now}, in nanoseconds; 0 when the endpoint
   * is not ejected or its ejection is over. Unlike {@link #available} it only reads: an ejection
   * whose time is up stays recorded until a pick ends it, so explanations change nothing.
   */
  public long ejectionLeft(long now) {
    long until = ejectedUntil;
    if (until == NOT_EJECTED || now - until >= 0) {
      return 0;
    }
    return until - now;
  }

  /**
   * Whether a transport that manages connections reported no ready connection to this endpoint;
   * picks prefer endpoints with one, so an attempt does not wait for a handshake while another
   * endpoint could answer at once.
   */
  public boolean connecting() {
    return connecting;
  }

  /** Set by the mesh from the transports' reports. */
  public void connecting(boolean connecting) {
    if (this.connecting != connecting) {
      this.connecting = connecting;
    }
  }

  /** Tells {@code ejections} of this endpoint's ejection, if one runs at {@code now}. */
  public void noteEjection(Ejections ejections, long now) {
    long until = ejectedUntil;
    if (until != NOT_EJECTED && now - until < 0) {
      ejections.ejectedUntil(until);
    }
  }

  /** How many times the endpoint has been ejected without a quiet interval since. */
  public int ejections() {
    return ejections.get();
  }

  /**
   * The peak-EWMA of this endpoint's attempt latency at {@code now}, in nanoseconds, faded by the
   * time since its last sample; 0 before its second sample.
   */
  public double latency(long now, Decay decay) {
    return faded(latency, now, decay);
  }

  /**
   * Lowers the latency estimate by a sixteenth, keeping its time stamp, after the endpoint lost a
   * balancing decision. One attempt at the update: losing the race to a sample (which sets the
   * estimate anyway) or to another ageing costs nothing worth a retry.
   */
  public void ageLatency() {
    long old = latency;
    if (old != 0) {
      float aged = value(old) * 0.9375f;
      LATENCY.compareAndSet(
          this, old, ((long) Float.floatToRawIntBits(aged) << 32) | (old & 0xffff_ffffL));
    }
  }

  /**
   * How many attempts failed recently beyond the first, each faded by the time since: 0 after an
   * isolated failure, so that one failure does not cost an endpoint its share, and about {@code
   * n - 1} after {@code n} failures within a short time.
   */
  public double failures(long now, Decay decay) {
    long f = failures;
    return f == 0 ? 0 : Math.max(0, faded(f, now, decay) - 1);
  }

  /**
   * Records one attempt's result for balancing and outlier detection.
   *
   * @param latencyNanos from the attempt's admission to its end
   * @param decay the balancer's decay
   */
  public void record(boolean serverFailure, long latencyNanos, long now, Decay decay) {
    observeLatency(Math.max(0, latencyNanos), now, decay);
    if (serverFailure) {
      for (; ; ) {
        long old = failures;
        float next = (float) (faded(old, now, decay) + 1);
        if (FAILURES.compareAndSet(this, old, pack(next, now))) {
          break;
        }
      }
    }
    recordOutlier(serverFailure, now);
  }

  // Peak-sensitive: a sample above the average replaces it at once (one more than twice the
  // average only when the next confirms it); one below moves it by the share of the decay time
  // elapsed since the last sample, so many samples in a short time count no more than one.
  private void observeLatency(long sample, long now, Decay decay) {
    long first = latency;
    if (first == 0 || sample > 2 * (double) value(first)) {
      // One answer far slower than the average (a pause of the caller's, a cold path) moves
      // nothing; a second in a row is the endpoint's new speed. So does an endpoint's first: it
      // often carries a cold path, and an estimate set by it would fade only over the decay
      // time, so the second sets the estimate, to the lower of the two.
      if (!outlyingSample) {
        if (first == 0) {
          firstSample = sample;
        }
        outlyingSample = true;
        return;
      }
      if (first == 0) {
        sample = Math.min(sample, firstSample);
      }
    }
    if (outlyingSample) {
      outlyingSample = false; // written only when set: a volatile write on every sample costs a fence
    }
    for (; ; ) {
      long old = latency;
      float current = value(old);
      if (sample < current && (int) (now >> STAMP_SHIFT) - (int) old <= 0) {
        return; // within one stamp unit only a higher sample moves the average
      }
      float next;
      if (old == 0 || sample >= current) {
        next = sample;
      } else {
        double w = weight(old, now, decay);
        next = (float) (current * w + sample * (1 - w));
      }
      long packed = pack(next, now);
      if (packed == old || LATENCY.compareAndSet(this, old, packed)) {
        return;
      }
    }
  }

  private static long pack(float value, long now) {
    return ((long) Float.floatToRawIntBits(value) << 32) | ((now >> STAMP_SHIFT) & 0xffff_ffffL);
  }

  private static float value(long packed) {
    return Float.intBitsToFloat((int) (packed >>> 32));
  }

  /** How much of a packed value is left at {@code now}. */
  private static double weight(long packed, long now, Decay decay) {
    return decay.weight((int) (now >> STAMP_SHIFT) - (int) packed);
  }

  private static double faded(long packed, long now, Decay decay) {
    return packed == 0 ? 0 : value(packed) * weight(packed, now, decay);
  }

  private void recordOutlier(boolean serverFailure, long now) {
    Config c = config;
    if (c == null) {
      return;
    }
    long counts = 0;
    rollInterval(c, now);
    if (c.failurePercent > 0) {
      long add = serverFailure ? ONE_FAILURE + 1 : 1;
      counts = (long) INTERVAL_COUNTS.getAndAdd(this, add) + add;
    }
    if (!serverFailure) {
      if (consecutiveFailures != 0) {
        consecutiveFailures = 0;
      }
      return;
    }
    int consecutive = (int) CONSECUTIVE_FAILURES.getAndAdd(this, 1) + 1;
    if (consecutive >= c.consecutiveFailures) {
      tryEject(c, now, consecutive + " consecutive failures");
      return;
    }
    if (c.failurePercent > 0) {
      long calls = counts & 0xffff_ffffL;
      long failures = counts >>> 32;
      if (calls >= c.minimumCalls && failures * 100.0 >= c.failurePercent * calls) {
        tryEject(
            c,
            now,
            "failure rate " + Math.round(failures * 100.0 / calls) + "% over " + calls + " calls");
      }
    }
  }

  private void rollInterval(Config c, long now) {
    long start = intervalStart;
    long elapsed = now - start;
    if (elapsed < c.intervalNanos) {
      return;
    }
    if (INTERVAL_START.compareAndSet(this, start, now)) {
      intervalCounts = 0;
      // gRPC (A50) lowers the ejection multiplier by one for every interval spent un-ejected;
      // an ejection restarts the interval at its end, so only un-ejected time counts here
      if (ejectedUntil == NOT_EJECTED) {
        long quiet = elapsed / c.intervalNanos;
        for (; ; ) {
          int e = ejections.get();
          int lowered = (int) Math.max(0, e - quiet);
          if (e == lowered || ejections.compareAndSet(e, lowered)) {
            break;
          }
        }
      }
    }
  }

  private void tryEject(Config c, long now, String reason) {
    Binding b = binding;
    OutlierScope scope = b.scope();
    if (scope == null || !scope.gate.compareAndSet(false, true)) {
      return;
    }
    long duration;
    try {
      if (!available(now) || !scope.roomFor(b.groups(), now)) {
        return;
      }
      int n = ejections.incrementAndGet();
      duration =
          n > c.maxEjectionNanos / c.baseEjectionNanos
              ? c.maxEjectionNanos
              : Math.min(c.baseEjectionNanos * n, c.maxEjectionNanos);
      ejectedUntil = now + duration;
      intervalStart = now + duration;
      scope.ejections.ejectedUntil(now + duration);
      consecutiveFailures = 0;
      intervalCounts = 0;
    } finally {
      scope.gate.set(false);
    }
    if (scope.events.enabled()) {
      scope.events.endpointEjected(scope.destination, b.endpoint(), duration, reason);
    }
  }

  /**
   * The endpoints of one destination as one snapshot groups them (all endpoints, and each subset),
   * with how many of each group may be ejected at once. Ejections are decided one at a time
   * through a compare-and-set gate, so two endpoints failing together cannot both pass the
   * max-ejection check; an ejection that finds the gate taken is simply decided on a later failure.
   *
   * <p>Thread-safe. Created by the snapshot compiler; immutable apart from the gate.
   */
  public static final class OutlierScope {

    final String destination;
    final Events events;
    final EndpointHealth[][] groups;
    final int[] maxEjected;
    final Ejections ejections;
    final AtomicBoolean gate = new AtomicBoolean();

    /**
     * @param groups each group's members; an endpoint may belong to several groups
     * @param maxEjectionPercent the policy's {@code maxEjectionPercent}
     * @param ejections told of every ejection, for the destination's panic mode
     */
    public OutlierScope(
        String destination,
        Events events,
        EndpointHealth[][] groups,
        double maxEjectionPercent,
        Ejections ejections) {
      this.destination = destination;
      this.ejections = ejections;
      this.events = events;
      this.groups = groups;
      this.maxEjected = new int[groups.length];
      for (int g = 0; g < groups.length; g++) {
        maxEjected[g] = maxEjected(groups[g].length, maxEjectionPercent);
      }
    }

    /**
     * How many of {@code size} endpoints may be ejected at once. Like Envoy, which documents that
     * it ejects "at least one host regardless of the value", a positive percentage always allows one
     * ejection; beyond that the share never exceeds the percentage. Envoy and gRPC check the share
     * before ejecting, which lets the share after the ejection exceed the percentage; we check the
     * share after it, so the limit holds as written.
     */
    public static int maxEjected(int size, double percent) {
      if (percent <= 0 || size == 0) {
        return 0;
      }
      return Math.max(1, (int) Math.floor(size * percent / 100.0));
    }

    boolean roomFor(int[] memberOf, long now) {
      for (int g : memberOf) {
        int ejected = 0;
        for (EndpointHealth h : groups[g]) {
          if (!h.available(now)) {
            ejected++;
          }
        }
        if (ejected + 1 > maxEjected[g]) {
          return false;
        }
      }
      return true;
    }
  }
}
