package io.mesh4j.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.testing.FakeClock;
import io.mesh4j.core.testing.FakeTicker;
import io.mesh4j.core.testing.ManualScheduler;
import io.mesh4j.micrometer.MeshMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class CertificateRotatorTest {

  static final String WEB = "spiffe://cluster.local/ns/shop/sa/web";
  static final Duration LIFE = Duration.ofMinutes(10);
  /** Every jitter draw is 0: each backoff is half its ceiling. */
  static final RandomGenerator ZERO_JITTER = () -> 0L;

  final FakeClock clock = new FakeClock(Instant.parse("2026-11-23T10:00:00Z"));
  final ManualScheduler scheduler = new ManualScheduler(clock);
  final CertificateAuthority ca = CertificateAuthority.generate("cluster.local", clock);
  final AtomicBoolean reachable = new AtomicBoolean(true);
  final AtomicInteger issued = new AtomicInteger();
  final List<String> events = new ArrayList<>();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final MeshMetrics metrics = MeshMetrics.builder(registry).ticker(new FakeTicker()).clock(clock).build();

  final CertificateIssuer issuer =
      csr -> {
        if (!reachable.get()) {
          throw new IssuanceException("mesh4j: controller 10.0.0.1:15010 unreachable", true);
        }
        issued.incrementAndGet();
        return new CertificateIssuer.Issued(ca.sign(csr, WEB, LIFE), ca.trustBundle());
      };

  final MeshListener recorder =
      new MeshListener() {
        @Override
        public void certificateRenewed(String spiffeId, Instant notAfter) {
          events.add("renewed " + spiffeId + " until " + notAfter);
          metrics.certificateRenewed(spiffeId, notAfter);
        }

        @Override
        public void certificateRenewalFailed(
            String message, boolean retryable, @Nullable Instant notAfter) {
          events.add("failed retryable=" + retryable + ": " + message);
          metrics.certificateRenewalFailed(message, retryable, notAfter);
        }

        @Override
        public void certificateExpiring(String spiffeId, Instant notAfter) {
          events.add("expiring " + spiffeId + " at " + notAfter);
          metrics.certificateExpiring(spiffeId, notAfter);
        }
      };

  CertificateRotator rotator(CertificateIssuer issuer) {
    return CertificateRotator.builder(issuer)
        .clock(clock)
        .scheduler(scheduler)
        .listener(recorder)
        .backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), ZERO_JITTER)
        .build();
  }

  @Test
  void issuesAtStartThenRenewsAtHalfLifeWithANewKeyEachTime() throws Exception {
    CertificateRotator r = rotator(issuer).start();
    assertThat(r.identity().current()).isNull();
    scheduler.runDue();

    IdentityMaterial first = r.awaitCertificate(Duration.ZERO);
    assertThat(first.spiffeId()).isEqualTo(WEB);
    assertThat(first.notAfter()).isEqualTo(clock.instant().plus(LIFE));
    assertThat(registry.get("mesh4j.certificate.expiry").gauge().value()).isEqualTo(600.0);

    scheduler.advance(LIFE.dividedBy(2).minusSeconds(1));
    assertThat(r.identity().current()).isSameAs(first);
    scheduler.advance(Duration.ofSeconds(1));
    IdentityMaterial second = r.identity().require();
    assertThat(second).isNotSameAs(first);
    assertThat(second.leaf().getPublicKey()).isNotEqualTo(first.leaf().getPublicKey());
    assertThat(second.notAfter()).isEqualTo(clock.instant().plus(LIFE));

    scheduler.advance(LIFE.dividedBy(2));
    assertThat(issued).hasValue(3);
    assertThat(events).hasSize(3).allMatch(e -> e.startsWith("renewed " + WEB));
    assertThat(registry.get("mesh4j.certificate.renewals").tag("result", "success").counter().count())
        .isEqualTo(3);
    r.close();
    scheduler.advance(LIFE);
    assertThat(issued).hasValue(3);
  }

  @Test
  void retriesWithBackoffWhileTheIssuerIsAwayAndAlarmsBeforeExpiry() throws Exception {
    CertificateRotator r = rotator(issuer).start();
    scheduler.runDue();
    IdentityMaterial first = r.identity().require();
    reachable.set(false);

    // at half-life (5 min) renewal fails; retries after 1 s, 2 s, 4 s, 8 s, 8 s... (jitter 0 = half)
    scheduler.advance(LIFE.dividedBy(2));
    assertThat(events.get(events.size() - 1))
        .isEqualTo("failed retryable=true: mesh4j: controller 10.0.0.1:15010 unreachable");
    assertThat(r.lastFailure()).contains("unreachable");
    Instant failedAt = clock.instant();
    assertThat(scheduler.nextDue()).isEqualTo(failedAt.plusMillis(500));

    // the alarm window opens 20% of the lifetime (2 min) before expiry
    scheduler.advance(Duration.ofMinutes(3).minusSeconds(1));
    assertThat(events).noneMatch(e -> e.startsWith("expiring"));
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(events).filteredOn(e -> e.startsWith("expiring")).hasSize(1);
    assertThat(registry.get("mesh4j.certificate.expiring").counter().count()).isEqualTo(1);
    assertThat(registry.get("mesh4j.certificate.expiry").gauge().value()).isEqualTo(120.0);
    assertThat(r.identity().current()).as("the old certificate stays in force").isSameAs(first);

    // every failure inside the window raises the alarm again
    scheduler.advance(Duration.ofSeconds(8));
    assertThat(events).filteredOn(e -> e.startsWith("expiring")).hasSizeGreaterThan(1);
    double failures =
        registry.get("mesh4j.certificate.renewals").tag("result", "failure").counter().count();
    assertThat(failures).isGreaterThan(5);

    // the controller comes back: the next retry (at most 8 s away) succeeds
    reachable.set(true);
    events.clear();
    scheduler.advance(Duration.ofSeconds(8));
    assertThat(events).hasSize(1).first().asString().startsWith("renewed");
    assertThat(r.identity().require()).isNotSameAs(first);
    assertThat(r.lastFailure()).isNull();
  }

  @Test
  void aRefusalIsRetriedAtTheMaximumBackoff() throws Exception {
    CertificateRotator r =
        rotator(csr -> {
              throw new IssuanceException("mesh4j: token refused for ns/shop/sa/web", false);
            })
            .start();
    scheduler.runDue();
    assertThat(events).containsExactly("failed retryable=false: mesh4j: token refused for ns/shop/sa/web");
    assertThat(scheduler.nextDue()).isEqualTo(clock.instant().plusSeconds(8));
    assertThatThrownBy(() -> r.awaitCertificate(Duration.ofMillis(10)))
        .isInstanceOf(IssuanceException.class)
        .hasMessage(
            "mesh4j: no workload certificate within PT0.01S; last failure: mesh4j: token refused"
                + " for ns/shop/sa/web");
  }

  @Test
  void refusesMaterialForAnotherKey() {
    CertificateRotator r =
        rotator(csr -> new CertificateIssuer.Issued(
                ca.sign(Csr.create(Csr.generateKeyPair()), WEB, LIFE), ca.trustBundle()))
            .start();
    scheduler.runDue();
    assertThat(r.identity().current()).isNull();
    assertThat(events)
        .containsExactly(
            "failed retryable=false: mesh4j: the issuer returned a certificate for another key"
                + " than the one requested");
  }

  @Test
  void validatesItsSettings() {
    assertThatThrownBy(() -> CertificateRotator.builder(issuer).alarmAt(0.6))
        .hasMessage("mesh4j: alarm fraction must be in (0, 0.5) (after the renewal at half-life), got 0.6");
    assertThatThrownBy(
            () -> CertificateRotator.builder(issuer)
                .backoff(Duration.ZERO, Duration.ofSeconds(1), RandomGenerator.getDefault()))
        .hasMessageContaining("initial backoff must be positive");
  }

  @Test
  void theDefaultSchedulerRunsOnItsOwnDaemonThread() throws Exception {
    CertificateAuthority realCa =
        CertificateAuthority.generate("cluster.local", java.time.Clock.systemUTC());
    try (CertificateRotator r =
        CertificateRotator.builder(
                csr -> new CertificateIssuer.Issued(realCa.sign(csr, WEB, LIFE), realCa.trustBundle()))
            .build()
            .start()) {
      IdentityMaterial m = r.awaitCertificate(Duration.ofSeconds(10));
      assertThat(m.spiffeId()).isEqualTo(WEB);
    }
  }
}
