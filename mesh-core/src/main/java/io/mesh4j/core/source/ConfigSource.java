package io.mesh4j.core.source;

import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import java.util.List;

/**
 * Where an application's policy comes from: a static set, a watched directory, or the
 * controller's stream. A source delivers complete, validated {@link PolicySet}s; it never
 * delivers a set that failed validation, and reports such input through {@link
 * Listener#onRejected} instead, so the last good configuration stays in effect.
 *
 * <p>Implementations must call the listener from one thread at a time and must not call it after
 * {@link #close()} returns.
 */
public interface ConfigSource extends AutoCloseable {

  /** Starts delivering updates; may deliver the first update before returning. */
  void start(Listener listener);

  /** A short description for logs and messages, e.g. {@code directory ./mesh}. */
  String describe();

  /**
   * Stops delivering updates and releases resources (threads, watches). Closing again is harmless:
   * an owner may close a source its mesh has closed already.
   */
  @Override
  void close();

  /** Receives what a {@link ConfigSource} reads. */
  interface Listener {
    /**
     * A new, validated policy set. The answer tells the source whether it was applied (an ACK) or
     * refused (a NACK with the reasons), so that a remote source can report it.
     */
    ApplyResult onUpdate(PolicySet policies);

    /** The source read input it could not accept; nothing was applied. */
    void onRejected(List<Problem> problems);
  }
}
