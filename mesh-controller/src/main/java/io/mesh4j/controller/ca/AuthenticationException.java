package io.mesh4j.controller.ca;

/** A caller's credential was refused, or could not be checked now. */
public final class AuthenticationException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean unavailable;

  /**
   * @param message what was refused and why, without the credential itself
   * @param unavailable true when the credential could not be judged now (the checker is away),
   *     false when it was judged and refused
   */
  public AuthenticationException(String message, boolean unavailable, Throwable cause) {
    super(message, cause);
    this.unavailable = unavailable;
  }

  /** A refused credential ({@code unavailable} false) or one that could not be judged now. */
  public AuthenticationException(String message, boolean unavailable) {
    super(message);
    this.unavailable = unavailable;
  }

  /** A refused credential. */
  public AuthenticationException(String message) {
    super(message);
    this.unavailable = false;
  }

  /** Whether the credential could not be judged now, so asking again later may succeed. */
  public boolean unavailable() {
    return unavailable;
  }
}
