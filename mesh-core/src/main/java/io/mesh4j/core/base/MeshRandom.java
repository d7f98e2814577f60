package io.mesh4j.core.base;

import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The source of chance for every random decision the engine makes. Each draw names its {@link
 * Purpose}, so that a test can script one kind of draw (say, fault injection) and leave the
 * others alone.
 *
 * <p>Implementations must be thread-safe: draws happen on caller threads concurrently.
 */
@FunctionalInterface
public interface MeshRandom {

  /** What a draw decides. */
  enum Purpose {
    /** Which weighted backend (subset) of a route rule a call goes to. */
    WEIGHTED_SPLIT,
    /** The random choices of the load balancer (power of two choices, hash fallback). */
    LOAD_BALANCE,
    /** The jitter of a retry backoff. */
    JITTER,
    /** Whether a call gets an injected delay or abort. */
    FAULT,
    /** Whether a call is mirrored. */
    MIRROR,
    /** Whether a call is written to the access log. */
    ACCESS_LOG
  }

  /**
   * A uniformly distributed value in {@code [0, bound)}.
   *
   * @param purpose what the value decides
   * @param bound the exclusive upper bound, at least 1
   */
  long nextLong(Purpose purpose, long bound);

  /** Draws from the calling thread's {@link ThreadLocalRandom}; the default. */
  static MeshRandom threadLocal() {
    return ThreadLocalMeshRandom.INSTANCE;
  }

  /**
   * Draws every purpose from one generator. The generator must be safe for concurrent use if
   * calls run on several threads.
   */
  static MeshRandom of(RandomGenerator generator) {
    return (purpose, bound) -> generator.nextLong(bound);
  }
}

/** The only place that reads {@link ThreadLocalRandom}. */
enum ThreadLocalMeshRandom implements MeshRandom {
  INSTANCE;

  @Override
  public long nextLong(Purpose purpose, long bound) {
    return ThreadLocalRandom.current().nextLong(bound);
  }
}
