package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.mesh4j.controller.ca.SecretRootStore;
import io.mesh4j.controller.ca.TokenReviewAuthenticator;
import io.mesh4j.core.identity.CertificateIssuer;
import io.mesh4j.client.ControllerCertificateIssuer;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.IssuanceException;
import io.mesh4j.core.identity.Pem;
import io.mesh4j.client.ControllerConfigSource;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Kubernetes-mode controller signs for the ServiceAccount a TokenReview proves, with the root
 * it created in its Secret, over real gRPC on 127.0.0.1 (fabric8's mock API server: CRUD for the
 * world and the Secret, a scripted TokenReview answer).
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(120)
class KubernetesIssuanceTest {

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path dir;
  private MeshController controller;

  @BeforeEach
  void start() throws Exception {
    for (String crd : List.of("trafficroutes", "destinationpolicies", "authorizationpolicies", "meshconfigs")) {
      try (InputStream in = Files.newInputStream(Path.of("deploy", "crds", crd + ".yaml"))) {
        client.resource(Serialization.unmarshal(in, CustomResourceDefinition.class)).create();
      }
    }
    server
        .expect()
        .post()
        .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(
            201,
            request -> {
              TokenReview review = Serialization.unmarshal(request.getUtf8Body(), TokenReview.class);
              boolean good =
                  review.getSpec().getToken().equals("projected-frontend-token")
                      && review.getSpec().getAudiences().equals(List.of("mesh4j-controller"));
              TokenReviewBuilder answer = new TokenReviewBuilder(review);
              return good
                  ? answer.withNewStatus().withAuthenticated(true).withAudiences("mesh4j-controller")
                      .withNewUser().withUsername("system:serviceaccount:shop:frontend").endUser().endStatus().build()
                  : answer.withNewStatus().withAuthenticated(false).withError("token has expired").endStatus().build();
            })
        .always();
    controller =
        MeshController.startKubernetes(
            new MeshController.KubernetesOptions(
                client, "mesh4j-system", "mesh4j-controller", "replica-a", Duration.ofSeconds(3),
                new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.plaintext(
                    new TokenReviewAuthenticator(client, "mesh4j-controller"),
                    new SecretRootStore(client, "mesh4j-system", "mesh4j-ca", Duration.ofDays(30), InstantSource.system()))));
  }

  @AfterEach
  void stop() {
    controller.close();
  }

  private ControllerCertificateIssuer issuer(String token) throws Exception {
    Path file = Files.writeString(dir.resolve(token), token);
    return ControllerCertificateIssuer.builder("127.0.0.1:" + controller.grpcPort()).tokenFile(file).timeout(Duration.ofSeconds(30)).build();
  }

  @Test
  void theReviewedServiceAccountIsTheIdentityAndTheRootIsTheSecretsOne() throws Exception {
    CertificateIssuer.Issued issued;
    try (ControllerCertificateIssuer issuer = issuer("projected-frontend-token")) {
      issued = issuer.issue(Csr.create(Csr.generateKeyPair()));
    }
    assertThat(issued.chain().get(0).getSubjectAlternativeNames())
        .containsExactly(List.of(6, "spiffe://cluster.local/ns/shop/sa/frontend"));

    Secret secret = client.secrets().inNamespace("mesh4j-system").withName("mesh4j-ca").get();
    String rootPem = new String(Base64.getDecoder().decode(secret.getData().get("ca.crt")), StandardCharsets.UTF_8);
    assertThat(issued.chain().get(1)).isEqualTo(Pem.readCertificates(rootPem, "secret").get(0));
    assertThat(issued.trustBundle()).containsExactly(issued.chain().get(1));
  }

  @Test
  void aTokenTheApiServerDoesNotAuthenticateIsRefused() throws Exception {
    try (ControllerCertificateIssuer issuer = issuer("stale-token")) {
      assertThatThrownBy(() -> issuer.issue(Csr.create(Csr.generateKeyPair())))
          .isInstanceOfSatisfying(
              IssuanceException.class,
              e -> {
                assertThat(e.retryable()).isFalse();
                assertThat(e.getMessage())
                    .endsWith(
                        "refused the certificate request (UNAUTHENTICATED: mesh4j: certificate request refused:"
                            + " the Kubernetes API did not authenticate the token (token has expired))");
              });
    }
  }

  @Test
  void policyStreamsAreAuthenticatedByTheSameTokenReview() throws Exception {
    RecordingApplication app = new RecordingApplication();
    RecordingApplication stale = new RecordingApplication();
    try (ControllerConfigSource good = stream("projected-frontend-token");
        ControllerConfigSource expired = stream("stale-token")) {
      good.start(app);
      expired.start(stale);

      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !app.applied.isEmpty());
      assertThat(controller.distributor().applications())
          .extracting(a -> a.identity())
          .containsExactly("spiffe://cluster.local/ns/shop/sa/frontend");
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> controller.distributor().refusals().get(io.mesh4j.controller.serve.StreamRefusal.UNAUTHENTICATED) > 0);
      assertThat(stale.applied).isEmpty();
    }
  }

  private ControllerConfigSource stream(String token) throws Exception {
    return ControllerConfigSource.builder("127.0.0.1:" + controller.grpcPort())
        .tokenFile(Files.writeString(dir.resolve("stream-" + token), token))
        .application("frontend")
        .namespace("shop")
        .calls("catalog")
        .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
        .random(new java.util.SplittableRandom(5))
        .build();
  }
}
