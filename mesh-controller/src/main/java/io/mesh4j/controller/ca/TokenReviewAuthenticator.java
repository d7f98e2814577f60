package io.mesh4j.controller.ca;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Objects;

/**
 * Kubernetes mode's authenticator: asks the API server to review the caller's projected
 * ServiceAccount token ({@code authentication.k8s.io/v1} TokenReview) for the controller's
 * audience. The identity is {@code status.user.username}, which must be {@code
 * system:serviceaccount:<namespace>:<name>}; tokens of users, of other audiences, expired or
 * bound to a deleted Pod are refused.
 *
 * <p>The controller's ServiceAccount needs {@code create} on {@code tokenreviews}. Thread-safe;
 * each call is one API request.
 */
public final class TokenReviewAuthenticator implements WorkloadAuthenticator {

  private static final String PREFIX = "system:serviceaccount:";

  private final KubernetesClient client;
  private final String audience;

  /**
   * @param audience the audience the workload's projected token must be issued for (e.g. {@code
   *     mesh4j-controller}); a token for any other audience, including the API server's, is
   *     refused
   */
  public TokenReviewAuthenticator(KubernetesClient client, String audience) {
    this.client = Objects.requireNonNull(client, "client");
    if (audience.isBlank()) {
      throw new IllegalArgumentException("TokenReview audience is blank; expected e.g. mesh4j-controller");
    }
    this.audience = audience;
  }

  @Override
  public CallerIdentity authenticate(String token) throws AuthenticationException {
    TokenReview review =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(audience)
            .endSpec()
            .build();
    TokenReview answer;
    try {
      answer = client.authentication().v1().tokenReviews().create(review);
    } catch (KubernetesClientException e) {
      throw new AuthenticationException(
          "the Kubernetes API did not review the token (HTTP " + e.getCode() + ": " + e.getMessage() + ")",
          true,
          e);
    }
    TokenReviewStatus status = answer == null ? null : answer.getStatus();
    if (status == null) {
      throw new AuthenticationException("the Kubernetes API answered the TokenReview without a status", true);
    }
    if (!Boolean.TRUE.equals(status.getAuthenticated())) {
      String error = status.getError();
      throw new AuthenticationException(
          "the Kubernetes API did not authenticate the token"
              + (error == null || error.isBlank() ? "" : " (" + error + ")"));
    }
    List<String> audiences = status.getAudiences();
    if (audiences != null && !audiences.isEmpty() && !audiences.contains(audience)) {
      throw new AuthenticationException(
          "the token is for audiences " + audiences + ", not for '" + audience + "'");
    }
    String username = status.getUser() == null ? null : status.getUser().getUsername();
    if (username == null || !username.startsWith(PREFIX)) {
      throw new AuthenticationException(
          "the token belongs to '" + username + "', which is not a ServiceAccount (expected "
              + PREFIX + "<namespace>:<name>)");
    }
    String rest = username.substring(PREFIX.length());
    int colon = rest.indexOf(':');
    if (colon < 0) {
      throw new AuthenticationException(
          "the token's user '" + username + "' is not " + PREFIX + "<namespace>:<name>");
    }
    try {
      return new CallerIdentity(rest.substring(0, colon), rest.substring(colon + 1));
    } catch (IllegalArgumentException e) {
      throw new AuthenticationException("the token's user '" + username + "': " + e.getMessage());
    }
  }

  /** The audience workloads' tokens must carry. */
  public String audience() {
    return audience;
  }

  @Override
  public String toString() {
    return "Kubernetes TokenReview (audience " + audience + ")";
  }
}
