package io.mesh4j.core.engine.route;

import io.mesh4j.core.call.OutboundCall;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A destination's rules in order, and for gRPC calls only the rules that can match the call's
 * method: a route that names many methods ({@code service} and {@code method} both exact) costs
 * a gRPC call one lookup by its full method instead of a test of every such rule, and a gRPC call
 * is never tested against conditions only HTTP calls have (method, path, query parameters). The
 * first rule that matches is the same as testing every rule in order, for calls that keep {@link
 * OutboundCall}'s contract (a gRPC call has no HTTP method, path or query). Immutable; thread-safe.
 */
public final class RuleTable {

  private final CompiledRule[] all;
  /** For each full method some alternative names: the rules a call to it may match, in order. */
  private final Map<String, CompiledRule[]> byGrpcMethod;
  /** The rules a gRPC call to a method no alternative names may match, in order. */
  private final CompiledRule[] otherGrpc;
  /** Whether a gRPC call is tested against fewer rules than {@link #all}. */
  private final boolean narrowsGrpc;

  public RuleTable(CompiledRule[] rules) {
    this.all = rules.clone();
    Set<String> named = new LinkedHashSet<>();
    for (CompiledRule r : all) {
      r.addNamedGrpcMethods(named);
    }
    Map<String, CompiledRule[]> index = new HashMap<>();
    for (String method : named) {
      index.put(method, candidates(all, method));
    }
    this.byGrpcMethod = index;
    this.otherGrpc = candidates(all, null);
    this.narrowsGrpc = !index.isEmpty() || otherGrpc.length < all.length;
  }

  private static CompiledRule[] candidates(CompiledRule[] rules, @Nullable String fullMethod) {
    List<CompiledRule> out = new ArrayList<>(rules.length);
    for (CompiledRule r : rules) {
      if (r.mayMatchGrpc(fullMethod)) {
        out.add(r);
      }
    }
    return out.toArray(new CompiledRule[0]);
  }

  /** The first rule that matches {@code call}, or null when none does. */
  public @Nullable CompiledRule first(OutboundCall call) {
    for (CompiledRule r : candidates(call)) {
      if (r.matches(call)) {
        return r;
      }
    }
    return null;
  }

  /** The rules {@code call} may match, in order. */
  CompiledRule[] candidates(OutboundCall call) {
    if (narrowsGrpc) {
      String method = call.grpcFullMethod();
      if (method != null) {
        CompiledRule[] named = byGrpcMethod.isEmpty() ? null : byGrpcMethod.get(method);
        return named != null ? named : otherGrpc;
      }
    }
    return all;
  }
}
