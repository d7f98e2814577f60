package io.mesh4j.core.engine.snapshot;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.MirrorTarget;
import io.mesh4j.core.engine.Events;
import org.jspecify.annotations.Nullable;

/** The plan of a call to a destination the snapshot does not know: every attempt is refused. */
final class RefusedPlan implements CallPlan {

  private final String destination;
  private final MeshFailure failure;
  private final Events events;
  private int attempts;

  RefusedPlan(String destination, MeshFailure failure, Events events) {
    this.destination = destination;
    this.failure = failure;
    this.events = events;
  }

  @Override
  public String destination() {
    return destination;
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
  public Attempt nextAttempt() {
    if (events.enabled()) {
      events.callRefused(failure);
    }
    return AttemptImpl.refused(failure, ++attempts);
  }
}
