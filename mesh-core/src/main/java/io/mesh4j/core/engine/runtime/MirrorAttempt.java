package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.RetryDecision;
import io.mesh4j.core.engine.balance.PickContext;
import io.mesh4j.core.engine.resilience.EndpointHealth;
import io.mesh4j.core.engine.route.Backend;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * The admitted attempt of a mirror copy: holds the shadow subset's permits and the endpoint's
 * in-flight count until settled. Settling records the outcome for the shadow endpoint and subset
 * and never retries. It is its own pick context while the endpoint is chosen, since a copy has
 * no earlier attempts to avoid.
 *
 * <p>Thread-safe once admitted: settling is guarded by a compare-and-set so that it takes effect
 * once. {@link #admit} is called by the plan before the attempt is handed out.
 */
final class MirrorAttempt implements Attempt, PickContext {

  private static final VarHandle SETTLED;

  static {
    try {
      SETTLED = MethodHandles.lookup().findVarHandle(MirrorAttempt.class, "settled", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final EngineContext ctx;
  private final String destination;
  private final Backend backend;
  private final OutboundCall call;
  private final long timeoutNanos;
  private @Nullable Endpoint endpoint;
  private @Nullable EndpointHealth health;
  private long startNanos;
  @SuppressWarnings("UnusedVariable") // read and written through SETTLED
  private volatile int settled;

  MirrorAttempt(
      EngineContext ctx, String destination, Backend backend, OutboundCall call, long timeoutNanos) {
    this.ctx = ctx;
    this.destination = destination;
    this.backend = backend;
    this.call = call;
    this.timeoutNanos = timeoutNanos;
  }

  void admit(Endpoint endpoint, EndpointHealth health, long startNanos) {
    this.endpoint = endpoint;
    this.health = health;
    this.startNanos = startNanos;
  }

  @Override
  public boolean admitted() {
    return true;
  }

  @Override
  public Endpoint endpoint() {
    Endpoint e = endpoint;
    if (e == null) {
      throw new IllegalStateException("the mirror copy has no endpoint yet");
    }
    return e;
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
    return 1;
  }

  @Override
  public long timeoutNanos() {
    return timeoutNanos;
  }

  @Override
  public boolean timeoutIsCallDeadline() {
    // A copy gets what the call has left, and never ends the call.
    return timeoutNanos != Long.MAX_VALUE;
  }

  @Override
  public RetryDecision settle(Outcome outcome) {
    EndpointHealth h = health;
    if (h == null) {
      throw new IllegalStateException("the mirror copy has no endpoint yet");
    }
    if (!SETTLED.compareAndSet(this, 0, 1)) {
      return RetryDecision.stop(RetryDecision.Reason.ALREADY_SETTLED);
    }
    if (ctx.events().enabled()) {
      ctx.events().mirrorEnded(destination, backend.name(), outcome);
    }
    long now = ctx.ticker().nanos();
    h.attemptEnded();
    long latency = now - startNanos;
    backend.guard().settle(outcome, latency, now);
    if (outcome.charged()) {
      h.record(outcome.isServerFailure(), latency, now, backend.endpoints().decay());
    }
    return RetryDecision.stop(RetryDecision.Reason.MIRROR);
  }

  @Override
  public RetryDecision settleFinal(Outcome outcome) {
    return settle(outcome);
  }

  // The copy seen as the pick context of its own endpoint choice.

  @Override
  public MeshRandom random() {
    return ctx.random();
  }

  @Override
  public OutboundCall call() {
    return call;
  }

  @Override
  public boolean alreadyTried(EndpointHealth endpoint) {
    return false;
  }

  @Override
  public String toString() {
    return "MirrorAttempt -> " + endpoint;
  }
}
