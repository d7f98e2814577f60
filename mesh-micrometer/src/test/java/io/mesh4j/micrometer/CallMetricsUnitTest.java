package io.mesh4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Protocol;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.identity.WorkloadIdentity;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.telemetry.ClientCallInfo;
import io.mesh4j.core.telemetry.ServerCallInfo;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-call meters of {@link MeshMetrics}, driven through its observers. */
@Timeout(30)
class CallMetricsUnitTest {

  /** A self-signed leaf for spiffe://cluster.local/ns/shop/sa/frontend, notAfter 2126-10-30T14:47:34Z. */
  private static final String LEAF =
      """
            -----BEGIN CERTIFICATE-----
            MIIBtjCCAVygAwIBAgIUHjFybIKOzcqq4ZQ5Pya61ohNXu0wCgYIKoZIzj0EAwIw
            EzERMA8GA1UEAwwIZnJvbnRlbmQwIBcNMjYxMTIzMTQ0NzM0WhgPMjEyNjEwMzAx
            NDQ3MzRaMBMxETAPBgNVBAMMCGZyb250ZW5kMFkwEwYHKoZIzj0CAQYIKoZIzj0D
            AQcDQgAE2xSGHMLmy05VgxHXHZQaBHMjkBX/9gKTWdBa1xLALEI+mfQQ0fm4IWq9
            cgt53qtMPAwF9nZVd5x8DJvKUR4q3qOBizCBiDAdBgNVHQ4EFgQUyLwl1xCSvs+A
            Alx5+256ZAA5egkwHwYDVR0jBBgwFoAUyLwl1xCSvs+AAlx5+256ZAA5egkwDwYD
            VR0TAQH/BAUwAwEB/zA1BgNVHREELjAshipzcGlmZmU6Ly9jbHVzdGVyLmxvY2Fs
            L25zL3Nob3Avc2EvZnJvbnRlbmQwCgYIKoZIzj0EAwIDSAAwRQIgCJpvt1kguigP
            gPz1sEcbbZBtyC+slYIpR+xi9U/gOLQCIQCzlYp5Ts+CGF1L8oUmEJpwiKwmjZRd
            Qvk2IhdfSpP++g==
            -----END CERTIFICATE-----
      """;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private static ClientCallInfo client(Protocol protocol, String method, boolean known) {
    return new ClientCallInfo(
        protocol, "catalog.shop", method, "/items/42", "reads", "v1", known, null);
  }

  @Test
  void clientCallsAreTimedByRouteSubsetMethodAndStatusWithBoundedTags() {
    MeshMetrics metrics = MeshMetrics.builder(registry).source("frontend.shop").build();

    metrics.clientCall(client(Protocol.HTTP, "GET", true)).callEnded(new CallEnd(CallStatus.http(200), 3_000_000, 0, 10, null));
    metrics.clientCall(client(Protocol.HTTP, "GET", true)).callEnded(new CallEnd(CallStatus.http(200), 7_000_000, 0, 10, null));
    metrics.clientCall(client(Protocol.HTTP, "PROPFIND", true)).callEnded(new CallEnd(CallStatus.http(207), 1, 0, 0, null));
    metrics.clientCall(client(Protocol.HTTP, "GET", false)).callEnded(new CallEnd(CallStatus.http(503), 1, -1, -1, null));

    Timer gets =
        registry
            .get("mesh4j.client.requests")
            .tags(
                "source", "frontend.shop", "destination", "catalog.shop", "route", "reads",
                "subset", "v1", "method", "GET", "status", "200")
            .timer();
    assertThat(gets.count()).isEqualTo(2);
    assertThat(gets.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(10.0);
    // An unknown method or destination never becomes a tag value of its own.
    assertThat(registry.get("mesh4j.client.requests").tags("method", "OTHER").timer().count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("mesh4j.client.requests")
                .tags("destination", "unknown", "route", "default", "subset", "none")
                .timer()
                .count())
        .isEqualTo(1);
    // The path is never a tag.
    assertThat(registry.getMeters())
        .allSatisfy(m -> assertThat(m.getId().getTags()).noneMatch(t -> t.getValue().contains("/items")));
  }

  @Test
  void serverCallsAreTaggedByTheCallersIdentity() {
    MeshMetrics metrics = MeshMetrics.bindTo(registry);
    String peer = "spiffe://cluster.local/ns/shop/sa/frontend";

    metrics
        .serverCall(new ServerCallInfo(Protocol.GRPC, "catalog.shop", "shop.Catalog/Get", null, peer, n -> null, null))
        .callEnded(new CallEnd(CallStatus.grpc("OK"), 2_000_000, -1, -1, null));
    metrics
        .serverCall(new ServerCallInfo(Protocol.GRPC, "catalog.shop", "shop.Catalog/Get", null, null, n -> null, null))
        .callEnded(new CallEnd(CallStatus.grpc("PERMISSION_DENIED"), 1_000, -1, -1, null));

    assertThat(
            registry
                .get("mesh4j.server.requests")
                .tags("source", peer, "destination", "catalog.shop", "method", "shop.Catalog/Get", "status", "OK")
                .timer()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("mesh4j.server.requests")
                .tags("source", "unknown", "status", "PERMISSION_DENIED")
                .timer()
                .count())
        .isEqualTo(1);
  }

  @Test
  void certificateExpiryCountsDownFromTheWorkloadCertificate() throws Exception {
    X509Certificate leaf =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(LEAF.strip().replace("\n ", "\n").replaceAll("\n +", "\n").getBytes(StandardCharsets.US_ASCII)));
    KeyPairGenerator keys = KeyPairGenerator.getInstance("EC");
    keys.initialize(256);
    WorkloadIdentity identity = WorkloadIdentity.pending();
    Instant now = Instant.parse("2126-10-30T14:46:34Z");
    MeshMetrics metrics =
        MeshMetrics.builder(registry).clock(Clock.fixed(now, ZoneOffset.UTC)).build();
    try (Mesh mesh =
        Mesh.builder()
            .configSource(StaticConfigSource.empty())
            .identity(identity)
            .listener(metrics)
            .build()) {
      assertThat(registry.get("mesh4j.certificate.expiry").gauge().value()).isNaN();

      identity.update(
          new IdentityMaterial(keys.generateKeyPair().getPrivate(), List.of(leaf), List.of(leaf)));

      assertThat(registry.get("mesh4j.certificate.expiry").gauge().value()).isEqualTo(60.0);
    }
  }

  @Test
  void aBlankSourceIsRefusedWithTheValue() {
    assertThatThrownBy(() -> MeshMetrics.builder(registry).source(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("metrics source must be a service name");
  }
}
