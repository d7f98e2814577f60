package io.mesh4j.core.testing;

import io.mesh4j.core.base.MeshRandom;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongBinaryOperator;

/**
 * A {@link MeshRandom} for tests: each purpose draws from its own seeded generator, unless the
 * test scripted values (or a rule) for that purpose. Scripted values are returned modulo the
 * bound. Thread-safe (synchronized; tests only).
 */
public final class ScriptedRandom implements MeshRandom {

  private final Map<Purpose, SplittableRandom> seeded = new EnumMap<>(Purpose.class);
  private final Map<Purpose, Deque<Long>> scripted = new EnumMap<>(Purpose.class);
  private final Map<Purpose, LongBinaryOperator> rules = new EnumMap<>(Purpose.class);
  private final Map<Purpose, Long> draws = new EnumMap<>(Purpose.class);

  public ScriptedRandom(long seed) {
    for (Purpose p : Purpose.values()) {
      seeded.put(p, new SplittableRandom(seed * 31 + p.ordinal()));
      scripted.put(p, new ArrayDeque<>());
      draws.put(p, 0L);
    }
  }

  public ScriptedRandom() {
    this(42);
  }

  /** The next draws for {@code purpose} return these values (modulo the bound), in order. */
  public synchronized ScriptedRandom script(Purpose purpose, long... values) {
    for (long v : values) {
      scripted.get(purpose).add(v);
    }
    return this;
  }

  /** Every draw for {@code purpose} returns {@code rule(drawIndex, bound)}. */
  public synchronized ScriptedRandom always(Purpose purpose, LongBinaryOperator rule) {
    rules.put(purpose, rule);
    return this;
  }

  /** Every draw for {@code purpose} returns the bound minus one: "never fires" for percentages. */
  public ScriptedRandom alwaysHighest(Purpose purpose) {
    return always(purpose, (i, bound) -> bound - 1);
  }

  /** Every draw for {@code purpose} returns 0: "always fires" for percentages. */
  public ScriptedRandom alwaysLowest(Purpose purpose) {
    return always(purpose, (i, bound) -> 0);
  }

  /** How many draws were made for {@code purpose}. */
  public synchronized long draws(Purpose purpose) {
    return draws.get(purpose);
  }

  @Override
  public synchronized long nextLong(Purpose purpose, long bound) {
    long index = draws.get(purpose);
    draws.put(purpose, index + 1);
    Long next = scripted.get(purpose).poll();
    if (next != null) {
      return Math.floorMod(next, bound);
    }
    LongBinaryOperator rule = rules.get(purpose);
    if (rule != null) {
      return Math.floorMod(rule.applyAsLong(index, bound), bound);
    }
    return seeded.get(purpose).nextLong(bound);
  }
}
