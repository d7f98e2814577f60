package io.mesh4j.core.engine.runtime;

import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.engine.resilience.RetryBudget;
import io.mesh4j.core.engine.resilience.TokenBucket;
import io.mesh4j.core.engine.route.Backend;
import io.mesh4j.core.engine.route.CompiledRule;
import io.mesh4j.core.engine.route.RuleTable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Everything one destination needs per call, with direct references to its long-lived state.
 * Immutable; thread-safe. Built by the snapshot compiler, read by calls.
 */
public final class DestinationRuntime {

  final String name;
  final EngineContext ctx;
  private final CompiledRule[] rules;
  private final RuleTable table;
  private final CompiledRule defaultRule;
  final RetryBudget budget;
  final @Nullable TokenBucket limiter;
  final String limiterDetail;
  /** Every endpoint of the destination, local zone first; what {@code Mesh.endpoints} answers. */
  final List<Endpoint> endpoints;
  /** All endpoints as one backend; where mirror copies without a subset go. */
  final Backend all;
  /** The named subsets; read when mirrors and service backends are bound, never on the call path. */
  final Map<String, Backend> subsets;
  /** The MeshConfig's default unary timeout, here so that planning a call reads one object. */
  final long defaultUnaryTimeoutNanos;
  /** The same as messages write it, e.g. {@code 15s}. */
  final String defaultUnaryTimeoutText;

  public DestinationRuntime(
      String name,
      EngineContext ctx,
      CompiledRule[] rules,
      CompiledRule defaultRule,
      RetryBudget budget,
      @Nullable TokenBucket limiter,
      String limiterDetail,
      List<Endpoint> endpoints,
      Backend all,
      Map<String, Backend> subsets,
      Duration defaultUnaryTimeout) {
    this.name = name;
    this.endpoints = List.copyOf(endpoints);
    this.all = all;
    this.subsets = Map.copyOf(subsets);
    this.ctx = ctx;
    this.rules = rules;
    this.table = new RuleTable(rules);
    this.defaultRule = defaultRule;
    this.budget = budget;
    this.limiter = limiter;
    this.limiterDetail = limiterDetail;
    this.defaultUnaryTimeoutNanos = defaultUnaryTimeout.toNanos();
    this.defaultUnaryTimeoutText = format(defaultUnaryTimeout);
  }

  private static String format(Duration d) {
    long nanos = d.toNanos();
    if (nanos % 1_000_000_000L == 0) {
      return nanos / 1_000_000_000L + "s";
    }
    if (nanos % 1_000_000L == 0) {
      return nanos / 1_000_000L + "ms";
    }
    return nanos + "ns";
  }

  /**
   * The backend of this destination's {@code subset} (null: all endpoints), for mirrors and
   * other destinations' rules that send to it; null for a subset no route defines.
   */
  public @Nullable Backend backend(@Nullable String subset) {
    return subset == null ? all : subsets.get(subset);
  }

  /** Every rule of the destination, the default rule last. */
  public CompiledRule[] allRules() {
    CompiledRule[] out = java.util.Arrays.copyOf(rules, rules.length + 1);
    out[rules.length] = defaultRule;
    return out;
  }

  /** The first rule that matches, or the default rule (all endpoints) when none does. */
  CompiledRule match(OutboundCall call) {
    CompiledRule r = table.first(call);
    return r != null ? r : defaultRule;
  }
}
