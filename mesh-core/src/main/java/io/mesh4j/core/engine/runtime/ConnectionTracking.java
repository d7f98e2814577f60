package io.mesh4j.core.engine.runtime;

import java.util.HashMap;
import java.util.Map;

/**
 * Which endpoints have no ready connection, as transports that manage connections report it (the
 * gRPC channel's subchannels; OkHttp connects per call and reports nothing). Each reporter (one
 * per channel) keeps its own view; an endpoint counts as not ready while any reporter of its
 * destination has not seen it ready, so a new endpoint is not ready until every channel connected.
 * The engine reads the result from {@code EndpointHealth}, which the mesh keeps in step.
 *
 * <p>Guarded by its own monitor, which callers hold across a report and the update of the
 * snapshot it changes; never used per call.
 */
public final class ConnectionTracking {

  // destination -> reporter -> authority -> ready
  private final Map<String, Map<Object, Map<String, Boolean>>> byDestination = new HashMap<>();

  /** Starts tracking {@code destination}'s connections for {@code reporter}. */
  public synchronized void open(String destination, Object reporter) {
    byDestination.computeIfAbsent(destination, d -> new HashMap<>()).put(reporter, new HashMap<>());
  }

  /** Stops tracking for {@code reporter}. */
  public synchronized void close(String destination, Object reporter) {
    Map<Object, Map<String, Boolean>> reporters = byDestination.get(destination);
    if (reporters != null) {
      reporters.remove(reporter);
      if (reporters.isEmpty()) {
        byDestination.remove(destination);
      }
    }
  }

  /** Records whether {@code reporter} has a ready connection to {@code authority}. */
  public synchronized void report(
      String destination, Object reporter, String authority, boolean ready) {
    Map<Object, Map<String, Boolean>> reporters = byDestination.get(destination);
    Map<String, Boolean> states = reporters == null ? null : reporters.get(reporter);
    if (states != null) {
      states.put(authority, ready);
    }
  }

  /** The destinations whose connections are tracked. */
  public synchronized java.util.List<String> destinations() {
    return java.util.List.copyOf(byDestination.keySet());
  }

  /** Whether some reporter of {@code destination} has no ready connection to {@code authority}. */
  public synchronized boolean notReady(String destination, String authority) {
    Map<Object, Map<String, Boolean>> reporters = byDestination.get(destination);
    if (reporters == null) {
      return false;
    }
    for (Map<String, Boolean> states : reporters.values()) {
      if (!Boolean.TRUE.equals(states.get(authority))) {
        return true;
      }
    }
    return false;
  }
}
