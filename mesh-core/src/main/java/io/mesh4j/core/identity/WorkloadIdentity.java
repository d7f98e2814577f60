package io.mesh4j.core.identity;

import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The workload's current {@link IdentityMaterial}, swapped whole on every rotation. TLS key and
 * trust managers read {@link #current()} at each handshake, so a rotation needs no restart and
 * leaves established connections alone.
 *
 * <p>Thread-safe: one volatile read per {@link #current()}.
 */
public final class WorkloadIdentity {

  private volatile @Nullable IdentityMaterial current;
  private final CopyOnWriteArrayList<Consumer<IdentityMaterial>> listeners =
      new CopyOnWriteArrayList<>();

  private WorkloadIdentity(@Nullable IdentityMaterial initial) {
    this.current = initial;
  }

  /** An identity that has no material yet; {@link #update} supplies it. */
  public static WorkloadIdentity pending() {
    return new WorkloadIdentity(null);
  }

  /** An identity that starts with {@code material}. */
  public static WorkloadIdentity of(IdentityMaterial material) {
    return new WorkloadIdentity(Objects.requireNonNull(material, "material"));
  }

  /** The material in force, or null before the first certificate arrived. */
  public @Nullable IdentityMaterial current() {
    return current;
  }

  /**
   * The material in force.
   *
   * @throws IllegalStateException before the first certificate arrived
   */
  public IdentityMaterial require() {
    IdentityMaterial m = current;
    if (m == null) {
      throw new IllegalStateException("mesh4j: no workload certificate has been issued yet");
    }
    return m;
  }

  /** Puts {@code material} in force, then tells the listeners, in the order they were added. */
  public void update(IdentityMaterial material) {
    current = Objects.requireNonNull(material, "material");
    for (Consumer<IdentityMaterial> l : listeners) {
      l.accept(material);
    }
  }

  /** Calls {@code listener} after every {@link #update}; the returned handle removes it. */
  public AutoCloseable onUpdate(Consumer<IdentityMaterial> listener) {
    Consumer<IdentityMaterial> l = Objects.requireNonNull(listener, "listener");
    listeners.add(l);
    return () -> listeners.remove(l);
  }
}
