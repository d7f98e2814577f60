package io.mesh4j.controller.resolve;

import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What an application needs to be told about: its namespace (which decides whose Gateway API
 * routes apply to its calls), the services it calls and the services it serves, fully qualified
 * ({@code name.namespace}). Applications with equal scopes receive the same snapshot, which is
 * computed once for all of them.
 *
 * <p>Immutable.
 *
 * @param namespace the application's namespace
 * @param calls services the application calls, sorted
 * @param serves services the application serves, sorted
 */
public record Scope(String namespace, SortedSet<String> calls, SortedSet<String> serves) {

  public Scope {
    calls = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(calls));
    serves = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(serves));
  }

  @Override
  public String toString() {
    return "calls " + calls + ", serves " + serves;
  }
}
