package io.mesh4j.core.identity;

import java.util.Objects;
/** A certificate request was refused, or the authority could not be reached. */
public final class IssuanceException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  /** What happened and why; every issuance failure has a message. */
  @Override
  public String getMessage() {
    return Objects.requireNonNull(super.getMessage());
  }

  /**
   * @param message what happened and why, e.g. which identity was refused
   * @param retryable true when asking again later may succeed (the authority is unreachable),
   *     false when the authority refused the request itself
   */
  public IssuanceException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  public IssuanceException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  /** Whether asking again later may succeed. */
  public boolean retryable() {
    return retryable;
  }
}
