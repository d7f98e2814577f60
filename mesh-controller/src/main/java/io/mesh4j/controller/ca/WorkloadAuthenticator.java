package io.mesh4j.controller.ca;

/**
 * Checks the bearer credential of a certificate request and says which ServiceAccount it
 * proves. The identity a certificate names comes from here alone, never from the request.
 *
 * <p>Implementations are thread-safe and may block (a TokenReview is a network round trip).
 */
@FunctionalInterface
public interface WorkloadAuthenticator {

  /**
   * Who {@code token} proves the caller is.
   *
   * @param token the bearer token the caller sent, never empty
   * @return who the token proves
   * @throws AuthenticationException when the token proves nobody (unknown, expired, wrong
   *     audience) or cannot be checked now; its message says which, never the token
   */
  CallerIdentity authenticate(String token) throws AuthenticationException;
}
