package io.mesh4j.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.identity.CertificateIssuer;
import io.mesh4j.core.identity.CertificateRotator;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.telemetry.TlsRefusal;
import io.mesh4j.core.identity.WorkloadIdentity;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.micrometer.MeshMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One mesh application with a real workload identity for loopback mTLS tests: a {@link Mesh} on a
 * {@link StaticConfigSource}, a {@link CertificateRotator} whose issuer is an in-process {@link
 * CertificateAuthority} (as if the controller had authenticated this workload as {@code
 * spiffeId}), Micrometer metrics, and a record of TLS refusals and renewals.
 */
public final class MtlsWorkload implements AutoCloseable {

  private final StaticConfigSource source = StaticConfigSource.empty();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<TlsRefusal> refusals = new CopyOnWriteArrayList<>();
  private final AtomicInteger renewals = new AtomicInteger();
  private final Mesh mesh;
  private final CertificateRotator rotator;

  private MtlsWorkload(WorkloadIdentity identity, CertificateIssuer issuer, boolean rotate) {
    MeshListener recorder =
        new MeshListener() {
          @Override
          public void tlsRefused(TlsRefusal refusal) {
            refusals.add(refusal);
          }

          @Override
          public void certificateRenewed(String spiffeId, Instant notAfter) {
            renewals.incrementAndGet();
          }
        };
    this.mesh =
        Mesh.builder()
            .configSource(source)
            .identity(identity)
            .listener(MeshMetrics.bindTo(registry))
            .listener(recorder)
            .build();
    this.rotator =
        CertificateRotator.builder(issuer)
            .identity(identity)
            .listener(mesh.events())
            .backoff(Duration.ofMillis(200), Duration.ofSeconds(2), () -> 0L)
            .build();
    if (rotate) {
      try {
        rotator.start().awaitCertificate(Duration.ofSeconds(10));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** A workload that {@code ca} certifies as {@code spiffeId}, renewing every half-lifetime. */
  public static MtlsWorkload start(CertificateAuthority ca, String spiffeId, Duration lifetime) {
    return new MtlsWorkload(
        WorkloadIdentity.pending(),
        csr -> new CertificateIssuer.Issued(ca.sign(csr, spiffeId, lifetime), ca.trustBundle()),
        true);
  }

  /** A workload with fixed material that never renews (for bad-certificate cases). */
  public static MtlsWorkload fixed(IdentityMaterial material) {
    return new MtlsWorkload(
        WorkloadIdentity.of(material),
        csr -> {
          throw new io.mesh4j.core.identity.IssuanceException("fixed identity", false);
        },
        false);
  }

  /** Material for {@code spiffeId} signed by {@code ca}'s signing root. */
  public static IdentityMaterial material(CertificateAuthority ca, String spiffeId, Duration life) {
    KeyPair kp = Csr.generateKeyPair();
    return new IdentityMaterial(
        kp.getPrivate(), ca.sign(Csr.create(kp), spiffeId, life), ca.trustBundle());
  }

  /** Material signed by {@code ca}'s root an hour ago, valid for five minutes: long expired. */
  public static IdentityMaterial expired(CertificateAuthority ca, String spiffeId) {
    CertificateAuthority past =
        CertificateAuthority.of(
            ca.trustDomain(),
            ca.signingRoot(),
            ca.trustBundle(),
            Clock.offset(Clock.systemUTC(), Duration.ofHours(-1)));
    return material(past, spiffeId, Duration.ofMinutes(5));
  }

  public Mesh mesh() {
    return mesh;
  }

  public CertificateRotator rotator() {
    return rotator;
  }

  public SimpleMeterRegistry registry() {
    return registry;
  }

  /** Certificates put in force so far. */
  public int renewals() {
    return renewals.get();
  }

  /** TLS refusals reported so far. */
  public List<TlsRefusal> refusals() {
    return refusals;
  }

  /** The value of {@code mesh4j.tls.refusals{side, reason}}, 0 when never counted. */
  public double tlsRefusals(String side, String reason) {
    Counter c =
        registry.find("mesh4j.tls.refusals").tag("side", side).tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  /** The value of {@code mesh4j.refusals{reason}} summed over destinations. */
  public double refusals(String reason) {
    return registry.find("mesh4j.refusals").tag("reason", reason).counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }

  /** Applies {@code yaml}; fails the test if refused. */
  public MtlsWorkload apply(String yaml) {
    assertThat(source.push(yaml).problems()).isEmpty();
    return this;
  }

  /** A MeshConfig document setting the mode. */
  public static String meshConfig(String mode) {
    return "apiVersion: mesh4j.io/v1alpha1\nkind: MeshConfig\nmetadata: {name: mesh}\n"
        + "spec: {mtls: " + mode + ", certificateLifetime: 30s}\n---\n";
  }

  /** A ServiceEndpoints document: {@code service} on 127.0.0.1 at each port, with identity. */
  public static String endpoints(String service, String identity, int... ports) {
    String[] parts = service.split("\\.");
    StringBuilder yaml =
        new StringBuilder(
            "apiVersion: mesh4j.io/v1alpha1\nkind: ServiceEndpoints\nmetadata: {name: "
                + parts[0] + ", namespace: " + parts[1] + "}\nspec:\n  service: " + service
                + "\n  endpoints:\n");
    for (int port : ports) {
      yaml.append("    - {address: 127.0.0.1, port: ")
          .append(port)
          .append(identity == null ? "" : ", identity: \"" + identity + "\"")
          .append("}\n");
    }
    return yaml.append("---\n").toString();
  }

  @Override
  public void close() {
    rotator.close();
    mesh.close();
  }
}
