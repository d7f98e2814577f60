package io.mesh4j.core.engine.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Owns the long-lived state objects of the call path (breakers, endpoint health, retry budgets,
 * rate limiters), keyed by what they belong to, e.g. {@code breaker catalog.shop/v2}.
 *
 * <p>The rule, applied at every compile: a key obtained again with an equal policy keeps its
 * state; a key obtained with a changed policy starts fresh and is reported as reset; a key not
 * obtained during a compile is dropped when that compile is committed. A compile that fails is
 * aborted and leaves the registry as it was. Calls of an older snapshot keep their direct
 * references, so dropping or replacing state never disturbs a call in flight.
 *
 * <p>Not thread-safe: confined to the mesh's update path, whose lock every method checks.
 */
public final class GuardRegistry {

  private static final Object NO_POLICY = new Object();

  private record Entry(Object policy, Object state) {}

  private final Object updateLock;
  private Map<String, Entry> current = new HashMap<>();
  private @Nullable Map<String, Entry> next;
  private final List<String> resets = new ArrayList<>();

  /** @param updateLock the lock held by the thread that compiles snapshots */
  public GuardRegistry(Object updateLock) {
    this.updateLock = updateLock;
  }

  private void checkUpdatePath() {
    if (!Thread.holdsLock(updateLock)) {
      throw new IllegalStateException("GuardRegistry used outside the mesh's update path");
    }
  }

  /** Starts reconciling for a new compile. */
  public void begin() {
    checkUpdatePath();
    next = new HashMap<>();
    resets.clear();
  }

  /**
   * The state for {@code key}: kept if the key exists with an equal policy, else made by {@code
   * factory}.
   *
   * @param policy the policy the state is made for, or null when it has none
   */
  public <T> T obtain(String key, @Nullable Object policy, Class<T> type, Supplier<T> factory) {
    checkUpdatePath();
    Map<String, Entry> n = next;
    if (n == null) {
      throw new IllegalStateException("obtain() outside begin()/commit()");
    }
    Object p = policy == null ? NO_POLICY : policy;
    Entry already = n.get(key);
    if (already != null) {
      if (!already.policy().equals(p)) {
        throw new IllegalStateException(key + " obtained twice with different policies");
      }
      return type.cast(already.state());
    }
    Entry old = current.get(key);
    if (old != null && old.policy().equals(p) && type.isInstance(old.state())) {
      n.put(key, old);
      return type.cast(old.state());
    }
    T state = factory.get();
    n.put(key, new Entry(p, state));
    if (old != null) {
      resets.add(key);
    }
    return state;
  }

  /**
   * Makes the reconciled state current and drops what was not obtained.
   *
   * @return the keys whose state started fresh because their policy changed
   */
  public List<String> commit() {
    checkUpdatePath();
    Map<String, Entry> n = next;
    if (n == null) {
      throw new IllegalStateException("commit() without begin()");
    }
    current = n;
    next = null;
    return List.copyOf(resets);
  }

  /** Forgets a failed compile; the current state stays as it was. */
  public void abort() {
    checkUpdatePath();
    next = null;
  }

  /** Drops every state object (the mesh is closing). */
  public void clear() {
    checkUpdatePath();
    current = new HashMap<>();
    next = null;
  }

  /** How many state objects are held. */
  public int size() {
    checkUpdatePath();
    return current.size();
  }
}
