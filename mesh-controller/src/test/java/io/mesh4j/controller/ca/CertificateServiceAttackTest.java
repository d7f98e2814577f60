package io.mesh4j.controller.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.mesh4j.controller.ca.IssuanceMetrics.Refusal;
import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.wire.v1.CertificateServiceGrpc;
import io.mesh4j.wire.v1.SignRequest;
import io.mesh4j.wire.v1.SignResponse;
import io.mesh4j.core.policy.MeshConfig;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile callers of the certificate service over real gRPC on 127.0.0.1, authenticated the
 * Kubernetes way (a TokenReview answered by fabric8's mock API server). Each refusal is checked
 * for its exact status, message and counter, and for leaving every other counter alone.
 */
@EnableKubernetesMockClient
@Timeout(60)
class CertificateServiceAttackTest {

  private static final String FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";
  private static final String CATALOG = "spiffe://cluster.local/ns/shop/sa/catalog";

  KubernetesMockServer server;
  KubernetesClient client;

  private final MutableClock clock = new MutableClock();
  private final IssuanceMetrics metrics = new IssuanceMetrics();
  private Server grpc;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    Map<String, String> users = Map.of("frontend-token", "shop:frontend", "catalog-token", "shop:catalog");
    server
        .expect()
        .post()
        .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(
            201,
            request -> {
              TokenReview review = Serialization.unmarshal(request.getUtf8Body(), TokenReview.class);
              String token = review.getSpec().getToken();
              TokenReviewBuilder answer = new TokenReviewBuilder(review);
              if (users.containsKey(token)) {
                return answer.withNewStatus().withAuthenticated(true).withAudiences("mesh4j-controller")
                    .withNewUser().withUsername("system:serviceaccount:" + users.get(token)).endUser().endStatus().build();
              }
              String error = token.equals("expired-frontend-token")
                  ? "[invalid bearer token, service account token has expired]"
                  : "[invalid bearer token, token lookup failed]";
              return answer.withNewStatus().withAuthenticated(false).withError(error).endStatus().build();
            })
        .always();
    CertificateAuthority.Root root = CertificateAuthority.Root.generate("cluster.local", Duration.ofDays(30), clock);
    CertificateSigningService service =
        new CertificateSigningService(
            new RootStore.Stored(root, List.of()),
            new TokenReviewAuthenticator(client, "mesh4j-controller"),
            MeshConfig::defaults,
            metrics,
            clock,
            IssuanceRateLimit.DEFAULT);
    grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service.definition()).build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private SignResponse sign(String token, byte[] csr) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return CertificateServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .sign(SignRequest.newBuilder().setCsr(ByteString.copyFrom(csr)).build());
  }

  private void assertRefused(String token, byte[] csr, Status.Code code, String message, Refusal reason) {
    Map<Refusal, Long> before = counts();
    long issued = metrics.issuedCount();
    assertThatThrownBy(() -> sign(token, csr))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).isEqualTo(message);
            });
    Map<Refusal, Long> expected = new EnumMap<>(before);
    expected.merge(reason, 1L, Long::sum);
    assertThat(counts()).isEqualTo(expected);
    assertThat(metrics.issuedCount()).isEqualTo(issued);
  }

  private Map<Refusal, Long> counts() {
    Map<Refusal, Long> out = new EnumMap<>(Refusal.class);
    for (Refusal r : Refusal.values()) {
      out.put(r, metrics.refusedCount(r));
    }
    return out;
  }

  private static byte[] goodCsr() {
    return Csr.create(Csr.generateKeyPair());
  }

  @Test
  void aCsrForAnotherSpiffeIdIsPermissionDeniedNamingBoth() {
    assertRefused(
        "frontend-token",
        Csr.create(Csr.generateKeyPair(), "spiffe://cluster.local/ns/kube-system/sa/admin"),
        Status.Code.PERMISSION_DENIED,
        "mesh4j: CSR asks for spiffe://cluster.local/ns/kube-system/sa/admin but the caller authenticated as "
            + FRONTEND + "; a workload certificate names only the caller's own SPIFFE ID",
        Refusal.IDENTITY_MISMATCH);
  }

  @Test
  void anOversizedCsrIsRefusedBeforeTheTokenIsEvenReviewed() {
    int reviews = server.getRequestCount();
    byte[] huge = new byte[CertificateSigningService.MAX_CSR_BYTES + 1];
    Arrays.fill(huge, (byte) 0x30);

    assertRefused(
        "frontend-token",
        huge,
        Status.Code.INVALID_ARGUMENT,
        "mesh4j: certificate request refused: it is 8193 bytes; at most 8192 are accepted"
            + " (a P-256 PKCS#10 request is well under 1 KiB)",
        Refusal.CSR_TOO_LARGE);
    assertThat(server.getRequestCount()).isEqualTo(reviews);
  }

  @Test
  void aFloodFromOneIdentityIsRateLimitedWhileAnotherIdentityIsServedAtOnce() {
    for (int i = 0; i < 5; i++) {
      assertThat(sign("frontend-token", goodCsr()).getSpiffeId()).isEqualTo(FRONTEND);
    }

    assertRefused(
        "frontend-token",
        goodCsr(),
        Status.Code.RESOURCE_EXHAUSTED,
        "mesh4j: certificate request from " + FRONTEND + " refused: more than 5 requests at once, then one"
            + " every 10 s, are not served; retry in 10 s",
        Refusal.RATE_LIMITED);
    assertThat(sign("catalog-token", goodCsr()).getSpiffeId()).isEqualTo(CATALOG);

    clock.advance(Duration.ofSeconds(4));
    assertRefused(
        "frontend-token",
        goodCsr(),
        Status.Code.RESOURCE_EXHAUSTED,
        "mesh4j: certificate request from " + FRONTEND + " refused: more than 5 requests at once, then one"
            + " every 10 s, are not served; retry in 6 s",
        Refusal.RATE_LIMITED);
    clock.advance(Duration.ofSeconds(6));
    assertThat(sign("frontend-token", goodCsr()).getSpiffeId()).isEqualTo(FRONTEND);
    assertThat(metrics.issuedCount()).isEqualTo(7);
  }

  @Test
  void aTokenTheApiServerDoesNotKnowIsUnauthenticated() {
    assertRefused(
        "stolen-or-made-up-token",
        goodCsr(),
        Status.Code.UNAUTHENTICATED,
        "mesh4j: certificate request refused: the Kubernetes API did not authenticate the token"
            + " ([invalid bearer token, token lookup failed])",
        Refusal.UNAUTHENTICATED);
  }

  @Test
  void anExpiredTokenIsUnauthenticatedSayingItExpired() {
    assertRefused(
        "expired-frontend-token",
        goodCsr(),
        Status.Code.UNAUTHENTICATED,
        "mesh4j: certificate request refused: the Kubernetes API did not authenticate the token"
            + " ([invalid bearer token, service account token has expired])",
        Refusal.UNAUTHENTICATED);
  }

  @Test
  void garbageBytesAsCsrAreInvalidArgument() {
    byte[] garbage = "GET / HTTP/1.1\r\nHost: controller\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    String parser;
    try {
      new PKCS10CertificationRequest(garbage);
      throw new AssertionError("the garbage parsed");
    } catch (Exception e) {
      parser = e.getMessage();
    }

    assertRefused(
        "frontend-token",
        garbage,
        Status.Code.INVALID_ARGUMENT,
        "mesh4j: certificate request from " + FRONTEND + " refused: it is not a DER-encoded PKCS#10 request ("
            + parser + ")",
        Refusal.INVALID_CSR);
  }

  @Test
  void aCsrSignedWithAnRsaKeyIsInvalidArgument() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    KeyPair keys = rsa.generateKeyPair();
    byte[] csr =
        new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate()))
            .getEncoded();

    assertRefused(
        "frontend-token",
        csr,
        Status.Code.INVALID_ARGUMENT,
        "mesh4j: certificate request from " + FRONTEND + " refused: the certificate request's key is RSA,"
            + " expected an ECDSA P-256 key",
        Refusal.INVALID_CSR);
  }
}
