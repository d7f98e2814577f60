package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.engine.resilience.EndpointHealth;
import io.mesh4j.core.engine.route.Backend;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * One attempt after the first (the plan is its own first attempt), or any refused attempt:
 * admitted (holding the subset guard's permits and the endpoint's in-flight count) or refused.
 * Retries of one call are chained newest first, which is how a later retry knows the endpoints
 * already tried without a collection.
 *
 * <p>Thread-safe: settling is guarded by a compare-and-set so that it takes effect once.
 */
final class AttemptImpl implements Attempt {

  private static final VarHandle SETTLED;

  static {
    try {
      SETTLED = MethodHandles.lookup().findVarHandle(AttemptImpl.class, "settled", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final @Nullable CallPlanImpl plan;
  private final @Nullable Backend backend;
  private final @Nullable Endpoint endpoint;
  final @Nullable EndpointHealth health;
  final @Nullable AttemptImpl previous;
  private final @Nullable MeshFailure refusal;
  private final int number;
  private volatile int settled;

  AttemptImpl(
      CallPlanImpl plan,
      Backend backend,
      Endpoint endpoint,
      EndpointHealth health,
      int number,
      @Nullable AttemptImpl previous) {
    this.plan = plan;
    this.backend = backend;
    this.endpoint = endpoint;
    this.health = health;
    this.number = number;
    this.previous = previous;
    this.refusal = null;
  }

  private AttemptImpl(MeshFailure refusal, int number) {
    this.plan = null;
    this.backend = null;
    this.endpoint = null;
    this.health = null;
    this.previous = null;
    this.refusal = refusal;
    this.number = number;
  }

  static AttemptImpl refused(MeshFailure refusal, int number) {
    return new AttemptImpl(refusal, number);
  }

  @Override
  public boolean admitted() {
    return refusal == null;
  }

  @Override
  public Endpoint endpoint() {
    Endpoint e = endpoint;
    if (e == null) {
      throw new IllegalStateException("refused attempt has no endpoint: " + refusal);
    }
    return e;
  }

  @Override
  public @Nullable String subset() {
    Backend b = backend;
    return b == null ? (refusal == null ? null : refusal.subset()) : b.name();
  }

  @Override
  public MeshFailure refusal() {
    MeshFailure r = refusal;
    if (r == null) {
      throw new IllegalStateException("the attempt was admitted");
    }
    return r;
  }

  @Override
  public int number() {
    return number;
  }

  @Override
  public long timeoutNanos() {
    CallPlanImpl p = plan;
    return p == null ? 0 : p.perTryTimeout();
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
    CallPlanImpl p = plan;
    Backend b = backend;
    EndpointHealth h = health;
    if (p == null || b == null || h == null) {
      return RetryDecision.stop(RetryDecision.Reason.REFUSED);
    }
    return p.settleAttempt(this, b, h, number, outcome, replayable);
  }

  @Override
  public String toString() {
    return refusal != null
        ? "Attempt#" + number + " refused: " + refusal.getMessage()
        : "Attempt#" + number + " -> " + endpoint;
  }
}
