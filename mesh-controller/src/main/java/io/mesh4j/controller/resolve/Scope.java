package io.mesh4j.controller.resolve;

import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What an application needs to be told about: the services it calls and the services it serves,
 * fully qualified ({@code name.namespace}). Applications with equal scopes receive the same
 * snapshot, which is computed once for all of them.
 *
 * <p>Immutable.
 *
 * @param calls services the application calls, sorted
 * @param serves services the application serves, sorted
 */
public record Scope(SortedSet<String> calls, SortedSet<String> serves) {

  public Scope {
    calls = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(calls));
    serves = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(serves));
  }

  @Override
  public String toString() {
    return "calls " + calls + ", serves " + serves;
  }
}
