package io.mesh4j.core.engine.snapshot;

import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.engine.resilience.RetryBudget;
import io.mesh4j.core.engine.resilience.TokenBucket;
import io.mesh4j.core.engine.route.CompiledRule;
import org.jspecify.annotations.Nullable;

/**
 * Everything one destination needs per call, with direct references to its long-lived state.
 * Immutable; thread-safe.
 */
final class DestinationRuntime {

  final String name;
  final EngineContext ctx;
  private final CompiledRule[] rules;
  private final CompiledRule defaultRule;
  final RetryBudget budget;
  final @Nullable TokenBucket limiter;
  final String limiterDetail;

  DestinationRuntime(
      String name,
      EngineContext ctx,
      CompiledRule[] rules,
      CompiledRule defaultRule,
      RetryBudget budget,
      @Nullable TokenBucket limiter,
      String limiterDetail) {
    this.name = name;
    this.ctx = ctx;
    this.rules = rules;
    this.defaultRule = defaultRule;
    this.budget = budget;
    this.limiter = limiter;
    this.limiterDetail = limiterDetail;
  }

  /** The first rule that matches, or the default rule (all endpoints) when none does. */
  CompiledRule match(OutboundCall call) {
    for (CompiledRule r : rules) {
      if (r.matches(call)) {
        return r;
      }
    }
    return defaultRule;
  }
}
