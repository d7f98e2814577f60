package io.mesh4j.core.source;

import io.mesh4j.core.policy.PolicyResult;
import io.mesh4j.core.policy.PolicySet;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A source whose policy is given in code: an initial set, delivered on {@link #start}, and any
 * later set {@link #push pushed} by the application or a test. Each delivery gets the next
 * version, so versions only move forward.
 *
 * <p>Thread-safe: {@code push} may be called from any thread. Deliveries are serialized, and the
 * listener runs on the pushing thread; a listener must not wait for another thread that pushes
 * to the same source.
 */
public final class StaticConfigSource implements ConfigSource {

  private static final Logger log = LoggerFactory.getLogger(StaticConfigSource.class);

  // Held while the listener runs: the SPI requires one delivery at a time and none after close()
  // returns, and pushes are rare, so a plain lock is the simplest way to give both.
  private final ReentrantLock deliveryLock = new ReentrantLock();
  private final PolicySet initial;
  private @Nullable Listener listener;
  private long version;
  private boolean closed;

  private StaticConfigSource(PolicySet initial) {
    this.initial = initial;
  }

  /** A source that starts with {@code policies}. */
  public static StaticConfigSource of(PolicySet policies) {
    return new StaticConfigSource(policies);
  }

  /**
   * A source that starts with the set {@code yaml} describes.
   *
   * @throws io.mesh4j.core.policy.InvalidPolicyException listing every problem of {@code yaml}
   */
  public static StaticConfigSource parse(String yaml) {
    return new StaticConfigSource(PolicySet.parse(yaml));
  }

  /** A source that starts with no resources, for applications that push their policy later. */
  public static StaticConfigSource empty() {
    return new StaticConfigSource(PolicySet.EMPTY);
  }

  /** Delivers the initial set (as version 1) before returning. */
  @Override
  public void start(Listener listener) {
    deliveryLock.lock();
    try {
      if (this.listener != null || closed) {
        throw new IllegalStateException("a static source can be started once");
      }
      this.listener = listener;
      deliver(initial);
    } finally {
      deliveryLock.unlock();
    }
  }

  /**
   * Delivers {@code policies} under the next version and returns the listener's answer.
   *
   * @throws IllegalStateException if the source is not started or already closed
   */
  public ApplyResult push(PolicySet policies) {
    deliveryLock.lock();
    try {
      checkRunning();
      return deliver(policies);
    } finally {
      deliveryLock.unlock();
    }
  }

  /**
   * Delivers the set {@code yaml} describes; if it has problems, the listener's {@link
   * Listener#onRejected} gets them instead, nothing is applied, and they are returned as a refusal.
   *
   * @throws IllegalStateException if the source is not started or already closed
   */
  public ApplyResult push(String yaml) {
    PolicyResult result = PolicyResult.parse(yaml);
    deliveryLock.lock();
    try {
      Listener l = checkRunning();
      if (!result.isValid()) {
        log.warn("Refused pushed policy: {}", result.problems());
        l.onRejected(result.problems());
        return ApplyResult.refused(result.problems());
      }
      return deliver(result.orElseThrow());
    } finally {
      deliveryLock.unlock();
    }
  }

  @Override
  public String describe() {
    return "static";
  }

  @Override
  public void close() {
    deliveryLock.lock();
    try {
      closed = true;
      listener = null;
    } finally {
      deliveryLock.unlock();
    }
  }

  private Listener checkRunning() {
    Listener l = listener;
    if (l == null) {
      throw new IllegalStateException(closed ? "source is closed" : "source is not started");
    }
    return l;
  }

  private ApplyResult deliver(PolicySet policies) {
    PolicySet versioned = policies.withVersion(++version);
    ApplyResult result = checkRunning().onUpdate(versioned);
    log.debug("Delivered static policy version {}: {}", versioned.version(), result.applied() ? "applied" : "refused");
    return result;
  }
}
