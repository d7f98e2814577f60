package io.mesh4j.core.engine.balance;

import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.engine.resilience.EndpointHealth;

/** What a balancer may know about the call it picks for. Confined to the call's thread. */
public interface PickContext {

  MeshRandom random();

  OutboundCall call();

  /** Whether an earlier attempt of this call went to {@code endpoint}. */
  boolean alreadyTried(EndpointHealth endpoint);
}
