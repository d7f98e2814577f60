package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.HeaderEdits;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.HttpRedirect;
import io.mesh4j.core.call.HttpRewrite;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.MirrorTarget;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.engine.Events;
import io.mesh4j.core.engine.balance.EndpointSet;
import io.mesh4j.core.engine.balance.PickContext;
import io.mesh4j.core.engine.fault.FaultPolicy;
import io.mesh4j.core.engine.resilience.EndpointHealth;
import io.mesh4j.core.engine.resilience.RetryBudget;
import io.mesh4j.core.engine.resilience.RetryPolicy;
import io.mesh4j.core.engine.resilience.SubsetGuard;
import io.mesh4j.core.engine.resilience.TokenBucket;
import io.mesh4j.core.engine.route.Backend;
import io.mesh4j.core.engine.route.CompiledRule;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * The plan of one call to a known destination. Kept small, because it is allocated for every
 * call: everything that does not vary per call is reached through the rule and the destination.
 *
 * <p>The plan is also its own first attempt: when the first attempt is admitted, {@link
 * #nextAttempt()} returns the plan itself, seen through {@link Attempt}, so that the common call
 * (one attempt) allocates one object. Retries and refusals are separate objects. The plan's
 * {@link Attempt} methods are meaningful only after {@link #nextAttempt()} returned it.
 *
 * <p>Confined to the logical call: attempts are taken one after another (a hedged call's adapter
 * takes and settles them under one lock). The attempts it hands out may be settled from other
 * threads; they touch only atomics and immutable data of the plan, except that a hedged call's
 * settle reads the attempts taken, which that lock publishes.
 */
final class CallPlanImpl extends CallLifecycle implements Attempt, PickContext {

  static final int DELAYED = 1;
  static final int ABORTED = 2;
  static final int MIRRORED = 4;
  // Deadlines further out than a century are treated as none: adding them to the ticker could
  // overflow, and ticker comparisons are only safe for differences below 2^63.
  private static final long NO_DEADLINE_BEYOND = 100L * 365 * 24 * 3600 * 1_000_000_000L;

  // 64 bytes with compressed references: keep it so (CallDecisionBenchmark measures it).
  private final DestinationRuntime dest;
  private final CompiledRule rule;
  private final OutboundCall call;
  private final @Nullable Backend backend;
  // Set when the call's clock starts, by the thread that takes the first attempt: whoever
  // settles an attempt learns of it as it learns of the attempt.
  private long deadline = Long.MAX_VALUE;
  private final int flags;
  private int attempts;
  // The first attempt's endpoint, as an index into the backend's (immutable) endpoint set.
  private int firstIndex = -1;
  private long firstStart;

  CallPlanImpl(
      DestinationRuntime dest,
      CompiledRule rule,
      OutboundCall call,
      @Nullable Backend backend,
      int flags) {
    this.dest = dest;
    this.rule = rule;
    this.call = call;
    this.backend = backend;
    this.flags = flags;
  }

  /**
   * Starts the call's clock: its deadline is fixed, and observers time it, from {@code nowNanos}.
   * That is when the first attempt is taken (as a route timeout counts from the end of the
   * request: gRPC's unary calls wait for theirs after planning), or at planning when an injected
   * delay comes first, which counts against the deadline. Reading the clock once for both saves
   * a good part of the decision's cost.
   */
  void startDeadline(long nowNanos) {
    long timeout = timeout(call.timeRemainingNanos());
    deadline = timeout >= NO_DEADLINE_BEYOND ? Long.MAX_VALUE : nowNanos + Math.max(0, timeout);
    startClock(nowNanos);
  }

  private boolean clockStarted() {
    return attempts > 0 || (flags & DELAYED) != 0;
  }

  /** The sooner of the rule's timeout and the caller's, else the default for a unary call. */
  private long timeout(long callerLeft) {
    return usesDefault(callerLeft)
        ? dest.defaultUnaryTimeoutNanos
        : Math.min(rule.timeoutNanos, callerLeft);
  }

  /**
   * Whether the deadline is the MeshConfig's default unary timeout: a unary call nobody bounded
   * would otherwise wait forever on a server that never answers. Whether the caller set a
   * deadline does not change over the call.
   */
  private boolean usesDefault(long callerLeft) {
    return rule.timeoutNanos == Long.MAX_VALUE && callerLeft == Long.MAX_VALUE && !call.streaming();
  }

  @Override
  EngineContext ctx() {
    return dest.ctx;
  }

  @Override
  public boolean known() {
    return true;
  }

  @Override
  public String destination() {
    return dest.name;
  }

  @Override
  public String rule() {
    return rule.name;
  }

  @Override
  public @Nullable String subset() {
    Backend b = backend;
    return b == null ? null : b.name();
  }

  @Override
  public HeaderEdits requestHeaderEdits() {
    return rule.requestEdits(backend);
  }

  @Override
  public HeaderEdits responseHeaderEdits() {
    return rule.responseEdits;
  }

  @Override
  public @Nullable HttpRewrite rewrite() {
    return rule.rewrite;
  }

  @Override
  public @Nullable HttpRedirect redirect() {
    return rule.redirect;
  }

  @Override
  public long remainingNanos() {
    if (!clockStarted()) {
      long timeout = timeout(call.timeRemainingNanos());
      return timeout >= NO_DEADLINE_BEYOND ? Long.MAX_VALUE : Math.max(0, timeout);
    }
    if (deadline == Long.MAX_VALUE) {
      return Long.MAX_VALUE;
    }
    return Math.max(0, deadline - ctx().ticker().nanos());
  }

  @Override
  public @Nullable MeshFailure defaultDeadlineFailure() {
    if (!usesDefault(call.timeRemainingNanos())) {
      return null;
    }
    Backend b = backend;
    return MeshFailure.of(
        MeshFailure.Reason.DEADLINE_EXCEEDED,
        dest.name,
        b == null ? null : b.name(),
        defaultDeadlineDetail());
  }

  private String defaultDeadlineDetail() {
    return "the mesh's default timeout of "
        + dest.defaultUnaryTimeoutText
        + " for unary calls expired; set a timeout on the route rule or a deadline on the call"
        + " to change it";
  }

  @Override
  public long faultDelayNanos() {
    FaultPolicy f = rule.fault;
    // A delay longer than the deadline ends there, where the first attempt is refused.
    return (flags & DELAYED) != 0 && f != null ? Math.min(f.delayNanos, remainingNanos()) : 0;
  }

  @Override
  public boolean faultAbort() {
    return (flags & ABORTED) != 0;
  }

  @Override
  public @Nullable MirrorTarget mirror() {
    return (flags & MIRRORED) != 0 ? rule.mirror : null;
  }

  @Override
  public @Nullable Attempt mirrorAttempt() {
    if ((flags & MIRRORED) == 0 || !setOnce(MIRROR_TAKEN)) {
      return null;
    }
    MirrorTarget target = rule.mirror;
    if (target == null) {
      return null;
    }
    String shadow = target.destination();
    String subset = target.subset();
    String copyOf = "mirror of rule " + rule.name + " of " + dest.name;
    Backend b = rule.mirrorBackend();
    if (b == null) {
      return refuseCopy(
          MeshFailure.of(MeshFailure.Reason.UNKNOWN_DESTINATION, shadow, subset, copyOf));
    }
    long timeout = remainingNanos();
    if (timeout == 0) {
      // A copy with no time left would only time out and count against a healthy shadow.
      return refuseCopy(
          MeshFailure.of(MeshFailure.Reason.DEADLINE_EXCEEDED, shadow, subset, copyOf));
    }
    long now = now();
    EndpointSet set = b.endpoints();
    if (set.size() == 0) {
      return refuseCopy(MeshFailure.of(MeshFailure.Reason.NO_ENDPOINTS, shadow, subset, copyOf));
    }
    MirrorAttempt copy = new MirrorAttempt(dest.ctx, shadow, b, call, timeout);
    int i = set.pick(copy, now);
    if (i < 0) {
      return refuseCopy(
          MeshFailure.of(
              MeshFailure.Reason.NO_HEALTHY_ENDPOINT,
              shadow,
              subset,
              copyOf + ", " + set.unavailable(now) + " of " + set.size() + " ejected"));
    }
    SubsetGuard guard = b.guard();
    int admitted = guard.tryAcquire();
    if (admitted != SubsetGuard.ADMITTED) {
      return refuseCopy(guard.refusal(admitted));
    }
    EndpointHealth h = set.health(i);
    h.attemptStarted();
    copy.admit(set.endpoint(i), h, now);
    return copy;
  }

  @Override
  public MeshRandom random() {
    return ctx().random();
  }

  @Override
  public OutboundCall call() {
    return call;
  }

  @Override
  public boolean alreadyTried(EndpointHealth endpoint) {
    Backend b = backend;
    if (firstIndex >= 0 && b != null && b.endpoints().health(firstIndex) == endpoint) {
      return true;
    }
    Extras e = extrasOrNull();
    for (Retry a = e == null ? null : (Retry) e.retries; a != null; a = a.previous) {
      if (a.health == endpoint) {
        return true;
      }
    }
    return false;
  }

  @Override
  public long hedgeDelayNanos() {
    RetryPolicy r = rule.retry;
    if (r == null || !r.hedged() || attempts >= r.maxAttempts || !r.mayReplay(call)) {
      return Long.MAX_VALUE;
    }
    return r.hedgeDelayNanos;
  }

  @Override
  public @Nullable Attempt hedge(HeaderSetter headers) {
    if (hedgeDelayNanos() == Long.MAX_VALUE || attempts == 0 || isCancelled()) {
      return null;
    }
    long now = now();
    if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
      return null;
    }
    Events events = ctx().events();
    int number = attempts + 1;
    if (!dest.budget.tryRetry(now)) {
      if (events.enabled()) {
        events.callRefused(
            MeshFailure.of(
                MeshFailure.Reason.RETRY_BUDGET_EXHAUSTED,
                dest.name,
                subset(),
                "hedge " + number + " of rule " + rule.name + " refused"));
      }
      return null;
    }
    Attempt a = nextAttempt(headers);
    if (!a.admitted()) {
      // Reported to listeners; it must not read as the refusal that ended the call, which the
      // attempts already out will end.
      extras().lastRefusal = null;
      return null;
    }
    if (events.enabled()) {
      events.hedgeSent(dest.name, number);
    }
    return a;
  }

  @Override
  public Attempt nextAttempt(HeaderSetter headers) {
    int number = ++attempts;
    if (isCancelled()) {
      return refuseCancelled(number);
    }
    long now = ctx().ticker().nanos();
    if (number == 1 && (flags & DELAYED) == 0) {
      startDeadline(now);
    }
    Backend b = backend;
    String subset = b == null ? null : b.name();
    if (number == 1 && (flags & ABORTED) != 0) {
      FaultPolicy f = rule.fault;
      return refuse(
          MeshFailure.faultAbort(
              dest.name,
              subset,
              f == null ? "UNAVAILABLE" : f.grpcStatus,
              f == null ? 503 : f.httpStatus),
          number);
    }
    if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
      return refuse(
          MeshFailure.of(
              MeshFailure.Reason.DEADLINE_EXCEEDED,
              dest.name,
              subset,
              usesDefault(call.timeRemainingNanos())
                  ? defaultDeadlineDetail() + ", before attempt " + number + " of rule " + rule.name
                  : "before attempt " + number + " of rule " + rule.name),
          number);
    }
    if (b == null) {
      return refuse(
          rule.noRoute
              ? MeshFailure.of(MeshFailure.Reason.NO_ROUTE, dest.name, null,
                  "no rule of the Gateway API routes attached to it matches the call")
              : MeshFailure.of(
                  MeshFailure.Reason.NO_ENDPOINTS, dest.name, null, "every backend of rule " + rule.name
                      + " has weight 0"),
          number);
    }
    if (number == 1) {
      TokenBucket limiter = dest.limiter;
      if (limiter != null && !limiter.tryAcquire(now)) {
        return refuse(
            MeshFailure.of(
                MeshFailure.Reason.RATE_LIMITED, dest.name, null, "client limit " + dest.limiterDetail),
            number);
      }
      dest.budget.recordCall(now);
    }
    EndpointSet set = b.endpoints();
    if (set.size() == 0) {
      return refuse(MeshFailure.of(MeshFailure.Reason.NO_ENDPOINTS, dest.name, subset, ""), number);
    }
    int i = set.pick(this, now);
    if (i < 0) {
      return refuse(
          MeshFailure.of(
              MeshFailure.Reason.NO_HEALTHY_ENDPOINT,
              dest.name,
              subset,
              set.unavailable(now) + " of " + set.size() + " ejected"),
          number);
    }
    SubsetGuard guard = b.guard();
    int admitted = guard.tryAcquire();
    if (admitted != SubsetGuard.ADMITTED) {
      return refuse(guard.refusal(admitted), number);
    }
    EndpointHealth h = set.health(i);
    h.attemptStarted();
    if (number == 1) {
      firstIndex = i;
      firstStart = now;
      return started(this, headers);
    }
    Extras e = extras();
    Retry a = new Retry(this, b, set.endpoint(i), h, number, now, (Retry) e.retries);
    e.retries = a;
    return started(a, headers);
  }

  // The plan seen as its own first attempt.

  @Override
  public boolean admitted() {
    return true;
  }

  @Override
  public Endpoint endpoint() {
    Backend b = backend;
    if (firstIndex < 0 || b == null) {
      throw new IllegalStateException("the first attempt has not been taken");
    }
    return b.endpoints().endpoint(firstIndex);
  }

  @Override
  public MeshFailure refusal() {
    throw new IllegalStateException("the attempt was admitted");
  }

  @Override
  public int number() {
    return 1;
  }

  @Override
  public long timeoutNanos() {
    return perTryTimeout(firstStart);
  }

  @Override
  public boolean timeoutIsCallDeadline() {
    return timeoutIsCallDeadline(firstStart);
  }

  @Override
  public RetryDecision settle(Outcome outcome) {
    return settleFirst(outcome, true);
  }

  @Override
  public RetryDecision settleFinal(Outcome outcome) {
    return settleFirst(outcome, false);
  }

  private RetryDecision settleFirst(Outcome outcome, boolean replayable) {
    Backend b = backend;
    if (firstIndex < 0 || b == null) {
      throw new IllegalStateException("the first attempt has not been taken");
    }
    if (!setOnce(FIRST_SETTLED)) {
      return RetryDecision.stop(RetryDecision.Reason.ALREADY_SETTLED);
    }
    return settleAttempt(
        this, b, b.endpoints().health(firstIndex), 1, firstStart, outcome, replayable);
  }

  /**
   * Releases an admitted attempt's permits, records its outcome and decides the retry; a call the
   * adapter cannot replay is not considered for one.
   */
  RetryDecision settleAttempt(
      Attempt attempt,
      Backend b,
      EndpointHealth h,
      int number,
      long startNanos,
      Outcome outcome,
      boolean replayable) {
    long now = now();
    h.attemptEnded();
    long latency = now - startNanos;
    b.guard().settle(outcome, latency, now);
    if (outcome.charged()) {
      h.record(outcome.isServerFailure(), latency, now, b.endpoints().decay());
    }
    RetryDecision decision = decide(outcome, number, now, replayable);
    ended(attempt, outcome);
    return decision;
  }

  @Override
  public String toString() {
    return "CallPlan{" + dest.name + ", rule " + rule.name + ", subset " + subset()
        + (firstIndex < 0 ? "" : ", attempt#1 -> " + endpoint().authority())
        + ", attempts " + attempts + "}";
  }

  /** A refused mirror copy: reported, but it says nothing about how the call itself ends. */
  private Attempt refuseCopy(MeshFailure failure) {
    Events events = ctx().events();
    if (events.enabled()) {
      events.callRefused(failure);
    }
    return new Refused(failure, 1);
  }

  /**
   * The per-try timeout of an attempt that began at {@code startNanos}, bounded by what the
   * call's deadline left then: adapters arm it as soon as the attempt is taken, so the attempt's
   * own start serves and no clock is read.
   */
  long perTryTimeout(long startNanos) {
    RetryPolicy r = rule.retry;
    long perTry = r == null ? Long.MAX_VALUE : r.perTryTimeoutNanos;
    return deadline == Long.MAX_VALUE
        ? perTry
        : Math.min(perTry, Math.max(0, deadline - startNanos));
  }

  /** Whether the call's deadline, not a shorter per-try timeout, bounds an attempt begun then. */
  boolean timeoutIsCallDeadline(long startNanos) {
    RetryPolicy r = rule.retry;
    long perTry = r == null ? Long.MAX_VALUE : r.perTryTimeoutNanos;
    return deadline != Long.MAX_VALUE && deadline - startNanos <= perTry;
  }

  long now() {
    return ctx().ticker().nanos();
  }

  /** Whether and when to retry after attempt {@code number} ended with {@code outcome}. */
  RetryDecision decide(Outcome outcome, int number, long now, boolean replayable) {
    switch (outcome.kind()) {
      case SUCCESS -> {
        return RetryDecision.stop(RetryDecision.Reason.SUCCEEDED);
      }
      case CANCELLED -> {
        return RetryDecision.stop(RetryDecision.Reason.CANCELLED);
      }
      default -> {}
    }
    // Checked before everything else: a retry the adapter cannot perform must neither take room
    // from the budget nor be announced to listeners as scheduled.
    if (!replayable) {
      return RetryDecision.stop(RetryDecision.Reason.NOT_REPLAYABLE);
    }
    RetryPolicy r = rule.retry;
    if (r == null) {
      // A request that never left is safe to send again: once, at once, to another endpoint
      // where there is one (what gRPC's transparent retry and Linkerd do without a policy).
      if (outcome.kind() != Outcome.Kind.CONNECT_FAILURE || number > 1) {
        return RetryDecision.stop(RetryDecision.Reason.NO_RETRY_POLICY);
      }
      return withinBudget(0, number, outcome, now);
    }
    if (!r.retryable(outcome)) {
      return RetryDecision.stop(RetryDecision.Reason.NOT_RETRYABLE);
    }
    // A connect failure means the request never left, so replaying it is always safe.
    if (outcome.kind() != Outcome.Kind.CONNECT_FAILURE && !r.mayReplay(call)) {
      return RetryDecision.stop(RetryDecision.Reason.NOT_IDEMPOTENT);
    }
    // A hedged call may have taken more attempts than the one that ended; its adapter settles
    // under the lock it takes attempts with, so the count is current.
    if ((r.hedged() ? attempts : number) >= r.maxAttempts) {
      return RetryDecision.stop(RetryDecision.Reason.MAX_ATTEMPTS);
    }
    long cap = r.backoffCap(number);
    long backoff = cap <= 0 ? 0 : ctx().random().nextLong(MeshRandom.Purpose.JITTER, cap + 1);
    long pushback = outcome.pushbackNanos();
    // A pushback may be as long as the server likes: compared with what is left, never added.
    long wait = Math.max(backoff, pushback);
    if (pushback < 0 || (deadline != Long.MAX_VALUE && wait >= deadline - now)) {
      return waitRefused(backoff, pushback, now);
    }
    return withinBudget(wait, number, outcome, now);
  }

  /** A retry after {@code wait}, if the destination's retry budget has room for it. */
  private RetryDecision withinBudget(long wait, int number, Outcome outcome, long now) {
    Events events = ctx().events();
    RetryBudget budget = dest.budget;
    if (!budget.tryRetry(now)) {
      if (events.enabled()) {
        events.callRefused(
            MeshFailure.of(
                MeshFailure.Reason.RETRY_BUDGET_EXHAUSTED,
                dest.name,
                subset(),
                "retry " + number + " of rule " + rule.name + " refused"));
      }
      return RetryDecision.stop(RetryDecision.Reason.BUDGET_EXHAUSTED);
    }
    if (events.enabled()) {
      events.retryScheduled(dest.name, number + 1, wait, outcome);
    }
    return RetryDecision.retryAfter(wait);
  }

  /**
   * Why no retry follows a backoff of {@code backoff} and a pushback of {@code pushback}: the
   * server asked for none, the backoff passes the deadline, or the pushback does. Kept out of
   * {@link #decide}, which runs for every attempt, so that its messages cost nothing there.
   */
  private RetryDecision waitRefused(long backoff, long pushback, long now) {
    if (pushback < 0) {
      return RetryDecision.stop(
          RetryDecision.Reason.SERVER_PUSHBACK,
          "mesh4j: not retried: the server asked for no retry of the call to " + dest.name);
    }
    long left = deadline - now;
    if (backoff >= left) {
      return RetryDecision.stop(RetryDecision.Reason.DEADLINE);
    }
    return RetryDecision.stop(
        RetryDecision.Reason.PUSHBACK_PAST_DEADLINE,
        "mesh4j: not retried: the server asked to wait "
            + millis(pushback)
            + " before a retry, longer than the "
            + millis(Math.max(0, left))
            + " left until the deadline of the call to "
            + dest.name);
  }

  /** {@code nanos} in whole milliseconds, rounded up so that no wait reads shorter than it is. */
  private static String millis(long nanos) {
    long ms = nanos / 1_000_000 + (nanos % 1_000_000 == 0 ? 0 : 1);
    return ms + " ms";
  }

  /**
   * One admitted attempt after the first (the plan is its own first attempt), holding the subset
   * guard's permits and the endpoint's in-flight count. Retries of one call are chained newest
   * first, which is how a later retry knows the endpoints already tried without a collection.
   * Thread-safe: settling is guarded by a compare-and-set so that it takes effect once.
   */
  private static final class Retry implements Attempt {
    private static final VarHandle SETTLED;

    static {
      try {
        SETTLED = MethodHandles.lookup().findVarHandle(Retry.class, "settled", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final CallPlanImpl plan;
    private final Backend backend;
    private final Endpoint endpoint;
    final EndpointHealth health;
    final @Nullable Retry previous;
    private final int number;
    private final long startNanos;
    @SuppressWarnings("UnusedVariable") // read and written through SETTLED
    private volatile int settled;

    Retry(
        CallPlanImpl plan,
        Backend backend,
        Endpoint endpoint,
        EndpointHealth health,
        int number,
        long startNanos,
        @Nullable Retry previous) {
      this.plan = plan;
      this.backend = backend;
      this.endpoint = endpoint;
      this.health = health;
      this.number = number;
      this.startNanos = startNanos;
      this.previous = previous;
    }

    @Override
    public boolean admitted() {
      return true;
    }

    @Override
    public Endpoint endpoint() {
      return endpoint;
    }

    @Override
    public @Nullable String subset() {
      return backend.name();
    }

    @Override
    public MeshFailure refusal() {
      throw new IllegalStateException("the attempt was admitted");
    }

    @Override
    public int number() {
      return number;
    }

    @Override
    public long timeoutNanos() {
      return plan.perTryTimeout(startNanos);
    }

    @Override
    public boolean timeoutIsCallDeadline() {
      return plan.timeoutIsCallDeadline(startNanos);
    }

    @Override
    public RetryDecision settle(Outcome outcome) {
      return settle(outcome, true);
    }

    @Override
    public RetryDecision settleFinal(Outcome outcome) {
      return settle(outcome, false);
    }

    private RetryDecision settle(Outcome outcome, boolean replayable) {
      if (!SETTLED.compareAndSet(this, 0, 1)) {
        return RetryDecision.stop(RetryDecision.Reason.ALREADY_SETTLED);
      }
      return plan.settleAttempt(this, backend, health, number, startNanos, outcome, replayable);
    }

    @Override
    public String toString() {
      return "Attempt#" + number + " -> " + endpoint;
    }
  }
}
