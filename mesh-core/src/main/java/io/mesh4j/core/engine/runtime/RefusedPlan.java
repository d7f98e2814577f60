package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.HeaderSetter;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.MirrorTarget;
import io.mesh4j.core.call.OutboundCall;
import org.jspecify.annotations.Nullable;

/**
 * The plan of a call to a destination the snapshot does not know: every attempt is refused. It
 * costs nothing until an attempt is taken, so an adapter that leaves unknown hosts alone (after
 * {@link #known()}) raises no refusal and no observer; an adapter that takes an attempt gets the
 * call observed like any other, with {@code known} false.
 */
final class RefusedPlan extends CallLifecycle {

  private final EngineContext ctx;
  private final OutboundCall call;
  private final long version;
  private final long startNanos;
  private int attempts;

  RefusedPlan(EngineContext ctx, OutboundCall call, long version, long startNanos) {
    this.ctx = ctx;
    this.call = call;
    this.version = version;
    this.startNanos = startNanos;
  }

  @Override
  EngineContext ctx() {
    return ctx;
  }

  @Override
  public boolean known() {
    return false;
  }

  @Override
  public String destination() {
    return call.destination();
  }

  @Override
  public String rule() {
    return "default";
  }

  @Override
  public @Nullable String subset() {
    return null;
  }

  @Override
  public long remainingNanos() {
    return Long.MAX_VALUE;
  }

  @Override
  public long faultDelayNanos() {
    return 0;
  }

  @Override
  public boolean faultAbort() {
    return false;
  }

  @Override
  public @Nullable MirrorTarget mirror() {
    return null;
  }

  @Override
  public @Nullable Attempt mirrorAttempt() {
    return null;
  }

  @Override
  public Attempt nextAttempt(HeaderSetter headers) {
    int number = ++attempts;
    if (number == 1 && ctx.events().observesClientCalls()) {
      observe(
          ctx.events()
              .clientCall(ClientCalls.info(call, call.destination(), "default", null, false)),
          startNanos);
    }
    if (isCancelled()) {
      return refuseCancelled(number);
    }
    return refuse(
        MeshFailure.of(
            MeshFailure.Reason.UNKNOWN_DESTINATION,
            call.destination(),
            null,
            "not in policy version " + version),
        number);
  }
}
