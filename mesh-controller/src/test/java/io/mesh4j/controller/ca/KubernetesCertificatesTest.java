package io.mesh4j.controller.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.mesh4j.ca.CertificateAuthority;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kubernetes mode's halves of the authority against fabric8's mock API server: TokenReview
 * answers scripted per token (the mock cannot authenticate), the CA Secret stored in CRUD mode.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(60)
class KubernetesCertificatesTest {

  private static final String REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
  private static final String AUDIENCE = "mesh4j-controller";

  KubernetesMockServer server;
  KubernetesClient client;

  /** The API server's answers: what a real one says for each kind of token. */
  private void scriptTokenReviews() {
    server
        .expect()
        .post()
        .withPath(REVIEWS)
        .andReply(
            201,
            request -> {
              TokenReview review = Serialization.unmarshal(request.getUtf8Body(), TokenReview.class);
              String token = review.getSpec().getToken();
              List<String> audiences = review.getSpec().getAudiences();
              TokenReviewBuilder answer = new TokenReviewBuilder(review);
              if (!List.of(AUDIENCE).equals(audiences)) {
                return answer.withNewStatus().withAuthenticated(false).withError("audience not requested").endStatus().build();
              }
              return switch (token) {
                case "frontend-token" ->
                    answer.withNewStatus().withAuthenticated(true).withAudiences(AUDIENCE)
                        .withNewUser().withUsername("system:serviceaccount:shop:frontend").endUser().endStatus().build();
                case "expired-token" ->
                    answer.withNewStatus().withAuthenticated(false)
                        .withError("[invalid bearer token, service account token has expired]").endStatus().build();
                case "api-server-token" ->
                    answer.withNewStatus().withAuthenticated(true).withAudiences("https://kubernetes.default.svc")
                        .withNewUser().withUsername("system:serviceaccount:shop:frontend").endUser().endStatus().build();
                case "user-token" ->
                    answer.withNewStatus().withAuthenticated(true).withAudiences(AUDIENCE)
                        .withNewUser().withUsername("alice@example.com").endUser().endStatus().build();
                default -> answer.withNewStatus().withAuthenticated(false).endStatus().build();
              };
            })
        .always();
  }

  @Test
  void aServiceAccountTokenForTheAudienceProvesItsServiceAccount() throws Exception {
    scriptTokenReviews();
    TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(client, AUDIENCE);

    assertThat(authenticator.authenticate("frontend-token")).isEqualTo(new CallerIdentity("shop", "frontend"));
    assertThat(new CallerIdentity("shop", "frontend").spiffeId("cluster.local"))
        .isEqualTo("spiffe://cluster.local/ns/shop/sa/frontend");
  }

  @Test
  void expiredForeignAudienceAndUserTokensAreRefusedWithTheReason() {
    scriptTokenReviews();
    TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(client, AUDIENCE);

    assertRefused(authenticator, "expired-token",
        "the Kubernetes API did not authenticate the token ([invalid bearer token, service account token has expired])");
    assertRefused(authenticator, "unknown-token", "the Kubernetes API did not authenticate the token");
    assertRefused(authenticator, "api-server-token",
        "the token is for audiences [https://kubernetes.default.svc], not for 'mesh4j-controller'");
    assertRefused(authenticator, "user-token",
        "the token belongs to 'alice@example.com', which is not a ServiceAccount (expected system:serviceaccount:<namespace>:<name>)");
  }

  @Test
  void anApiServerThatRefusesTheReviewMakesTheTokenUncheckableNotRefused() {
    server
        .expect()
        .post()
        .withPath(REVIEWS)
        .andReturn(403, new StatusBuilder().withCode(403).withMessage("tokenreviews is forbidden").build())
        .always();
    TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(client, AUDIENCE);

    assertThatThrownBy(() -> authenticator.authenticate("frontend-token"))
        .isInstanceOfSatisfying(
            AuthenticationException.class,
            e -> {
              assertThat(e.unavailable()).isTrue();
              assertThat(e.getMessage()).startsWith("the Kubernetes API did not review the token (HTTP 403");
            });
  }

  private static void assertRefused(TokenReviewAuthenticator authenticator, String token, String message) {
    assertThatThrownBy(() -> authenticator.authenticate(token))
        .isInstanceOfSatisfying(
            AuthenticationException.class,
            e -> {
              assertThat(e.unavailable()).isFalse();
              assertThat(e.getMessage()).isEqualTo(message).doesNotContain(token);
            });
  }

  @Test
  void theFirstControllerCreatesTheRootSecretAndEveryLaterOneLoadsTheSameRoot() {
    SecretRootStore first = new SecretRootStore(client, "mesh4j-system", "mesh4j-ca", Duration.ofDays(30), InstantSource.system());
    RootStore.Stored created = first.loadOrCreate("cluster.local");

    Secret secret = client.secrets().inNamespace("mesh4j-system").withName("mesh4j-ca").get();
    assertThat(secret.getData()).containsOnlyKeys("ca.key", "ca.crt");
    assertThat(decode(secret, "ca.crt")).isEqualTo(created.signing().certificatePem());

    RootStore.Stored loaded =
        new SecretRootStore(client, "mesh4j-system", "mesh4j-ca", Duration.ofDays(30), InstantSource.system())
            .loadOrCreate("cluster.local");
    assertThat(loaded.signing().certificate()).isEqualTo(created.signing().certificate());
    assertThat(loaded.signing().privateKey()).isEqualTo(created.signing().privateKey());
    assertThat(loaded.alsoTrusted()).isEmpty();
  }

  @Test
  void aBundleInTheSecretJoinsTheTrustBundle() {
    CertificateAuthority.Root current = CertificateAuthority.Root.generate("cluster.local", Duration.ofDays(30), InstantSource.system());
    CertificateAuthority.Root next = CertificateAuthority.Root.generate("cluster.local", Duration.ofDays(60), InstantSource.system());
    client.secrets().inNamespace("mesh4j-system").resource(
        new SecretBuilder().withNewMetadata().withName("mesh4j-ca").withNamespace("mesh4j-system").endMetadata()
            .addToData("ca.key", encode(current.keyPem()))
            .addToData("ca.crt", encode(current.certificatePem()))
            .addToData("bundle.crt", encode(next.certificatePem()))
            .build()).create();

    RootStore.Stored stored =
        new SecretRootStore(client, "mesh4j-system", "mesh4j-ca", Duration.ofDays(30), InstantSource.system())
            .loadOrCreate("cluster.local");
    CertificateAuthority ca = CertificateAuthority.of("cluster.local", stored.signing(), stored.alsoTrusted(), InstantSource.system());
    assertThat(ca.trustBundle()).containsExactly(current.certificate(), next.certificate());
  }

  @Test
  void aSecretWithoutTheKeyIsRefusedNamingWhatIsMissing() {
    client.secrets().inNamespace("mesh4j-system").resource(
        new SecretBuilder().withNewMetadata().withName("mesh4j-ca").withNamespace("mesh4j-system").endMetadata()
            .addToData("ca.crt", encode("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
            .build()).create();

    assertThatThrownBy(
            () -> new SecretRootStore(client, "mesh4j-system", "mesh4j-ca", Duration.ofDays(30), InstantSource.system())
                .loadOrCreate("cluster.local"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Secret mesh4j-system/mesh4j-ca has no ca.key key; expected ca.key and ca.crt (PEM), and optionally bundle.crt");
  }

  private static String encode(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(Secret secret, String key) {
    return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }
}
