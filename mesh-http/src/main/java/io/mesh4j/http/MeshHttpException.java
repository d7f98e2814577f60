package io.mesh4j.http;

import io.mesh4j.core.call.MeshFailure;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * A call the mesh failed on its own, before or instead of sending it: the circuit is open, no
 * endpoint is healthy, a rate limit or an injected abort refused it, or the deadline passed. The
 * message is the engine's, e.g. {@code mesh4j: circuit open for catalog.shop/v2 (...)}, so it
 * tells a mesh refusal apart from a network error at a glance; {@link #failure()} carries the
 * reason, destination and subset.
 */
public final class MeshHttpException extends IOException {

  private static final long serialVersionUID = 1L;

  private final MeshFailure failure;

  MeshHttpException(MeshFailure failure, @Nullable Throwable cause) {
    super(failure.getMessage(), cause);
    this.failure = failure;
  }

  /** Why the mesh refused the call. */
  public MeshFailure failure() {
    return failure;
  }

  /** The reason the mesh refused the call. */
  public MeshFailure.Reason reason() {
    return failure.reason();
  }

  /** The destination service, {@code name.namespace}. */
  public String destination() {
    return failure.destination();
  }

  /** The subset, or null when the call was not bound to one. */
  public @Nullable String subset() {
    return failure.subset();
  }

  /** The HTTP status that matches the refusal, e.g. 503, or 429 for a rate limit. */
  public int httpStatus() {
    return failure.httpStatus();
  }
}
