package io.mesh4j.core.identity;

import io.mesh4j.core.base.Backoff;
import io.mesh4j.core.telemetry.MeshListener;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link WorkloadIdentity} supplied with fresh certificates: asks the {@link
 * CertificateIssuer} for one at {@link #start()}, then renews at half of each certificate's
 * remaining lifetime, with a new key pair every time (the private key never leaves the process).
 *
 * <p>When the issuer cannot be reached ({@link IssuanceException#retryable()}), the rotator tries
 * again after a jittered exponential {@linkplain Builder#backoff backoff}; when it refuses the
 * request, the rotator logs an error and tries again after the backoff's maximum, since the
 * certificate in force will expire anyway. Once a certificate has less than {@linkplain
 * Builder#alarmAt a fraction} (20% by default) of its lifetime left without a successful renewal,
 * the rotator raises an alarm: a WARN log line and {@link MeshListener#certificateExpiring}, at
 * the start of that window and again after every failed renewal in it.
 *
 * <pre>{@code
 * CertificateRotator rotator = CertificateRotator.builder(issuer).listener(metrics).build();
 * rotator.start();
 * rotator.awaitCertificate(Duration.ofSeconds(10));
 * Mesh mesh = Mesh.builder().identity(rotator.identity()).configSource(source).build();
 * }</pre>
 *
 * <p>Thread-safe. All work runs on one scheduler thread ({@code mesh4j-certificate-rotator}, a
 * daemon, unless a scheduler is injected), one task at a time; the identity is swapped with one
 * volatile write, so TLS handshakes never wait for it.
 */
public final class CertificateRotator implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CertificateRotator.class);

  /** Runs tasks after a delay; the default wraps a single daemon thread. */
  @FunctionalInterface
  public interface Scheduler {
    /** Runs {@code task} once after {@code delay}; the handle cancels it. */
    Cancellable schedule(Runnable task, Duration delay);
  }

  /** Cancels a scheduled task. */
  @FunctionalInterface
  public interface Cancellable {
    void cancel();
  }

  private final CertificateIssuer issuer;
  private final WorkloadIdentity identity;
  private final MeshListener events;
  private final InstantSource clock;
  private final Scheduler scheduler;
  private final @Nullable ScheduledExecutorService ownExecutor;
  private final Backoff backoff;
  private final Duration maxBackoff;
  private final double alarmFraction;
  private final CountDownLatch first = new CountDownLatch(1);

  // Confined to the scheduler's thread (tasks run one at a time), except the volatile fields.
  private int failures;
  private @Nullable Cancellable next;
  private @Nullable Cancellable alarm;
  private @Nullable Instant alarmAt;
  private volatile @Nullable String lastFailure;
  private volatile boolean started;
  private volatile boolean closed;

  private CertificateRotator(Builder b) {
    this.issuer = b.issuer;
    this.identity = b.identity;
    this.events = b.events;
    this.clock = b.clock;
    this.backoff = new Backoff(b.initialBackoff, b.maxBackoff, b.random);
    this.maxBackoff = b.maxBackoff;
    this.alarmFraction = b.alarmFraction;
    if (b.scheduler != null) {
      this.scheduler = b.scheduler;
      this.ownExecutor = null;
    } else {
      ScheduledExecutorService ex =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "mesh4j-certificate-rotator");
                t.setDaemon(true);
                return t;
              });
      this.ownExecutor = ex;
      this.scheduler =
          (task, delay) -> {
            ScheduledFuture<?> f = ex.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
          };
    }
  }

  /** Starts configuring a rotator that obtains certificates from {@code issuer}. */
  public static Builder builder(CertificateIssuer issuer) {
    return new Builder(issuer);
  }

  /** The identity this rotator keeps up to date. */
  public WorkloadIdentity identity() {
    return identity;
  }

  /** Asks for the first certificate now, in the background. Idempotent. */
  public synchronized CertificateRotator start() {
    if (closed) {
      throw new IllegalStateException("mesh4j: the certificate rotator is closed");
    }
    if (!started) {
      started = true;
      next = scheduler.schedule(this::renew, Duration.ZERO);
    }
    return this;
  }

  /**
   * Waits until the identity has a certificate, at most {@code timeout}.
   *
   * @return the material in force
   * @throws IssuanceException when none arrived in time; its message carries the last failure
   * @throws InterruptedException when the waiting thread is interrupted
   */
  public IdentityMaterial awaitCertificate(Duration timeout)
      throws IssuanceException, InterruptedException {
    if (!first.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      String why = lastFailure;
      throw new IssuanceException(
          "mesh4j: no workload certificate within " + timeout
              + (why == null ? " (the issuer has not answered yet)" : "; last failure: " + why),
          true);
    }
    return identity.require();
  }

  /** The message of the last failed attempt, or null when the last attempt succeeded. */
  public @Nullable String lastFailure() {
    return lastFailure;
  }

  /** One issuance attempt; runs on the scheduler. */
  private void renew() {
    if (closed) {
      return;
    }
    Instant now = clock.instant();
    IdentityMaterial material;
    try {
      KeyPair keyPair = Csr.generateKeyPair();
      CertificateIssuer.Issued issued = issuer.issue(Csr.create(keyPair));
      material = accept(keyPair, issued, now);
    } catch (IssuanceException e) {
      failed(e.getMessage(), e.retryable(), now);
      return;
    } catch (RuntimeException e) {
      failed("mesh4j: certificate issuance failed: " + e, true, now);
      return;
    }
    failures = 0;
    lastFailure = null;
    identity.update(material);
    first.countDown();
    Duration remaining = Duration.between(now, material.notAfter());
    log.info(
        "mesh4j: workload certificate for {} renewed; valid until {}",
        material.spiffeId(),
        material.notAfter());
    report(() -> events.certificateRenewed(material.spiffeId(), material.notAfter()));
    schedule(remaining.dividedBy(2));
    scheduleAlarm(material, now.plus(remaining.minus(scaled(remaining, alarmFraction))));
  }

  private IdentityMaterial accept(KeyPair keyPair, CertificateIssuer.Issued issued, Instant now)
      throws IssuanceException {
    IdentityMaterial material;
    try {
      material = new IdentityMaterial(keyPair.getPrivate(), issued.chain(), issued.trustBundle());
    } catch (IllegalArgumentException e) {
      throw new IssuanceException(
          "mesh4j: the issuer returned unusable material: " + e.getMessage(), false, e);
    }
    if (!material.leaf().getPublicKey().equals(keyPair.getPublic())) {
      throw new IssuanceException(
          "mesh4j: the issuer returned a certificate for another key than the one requested",
          false);
    }
    if (!material.notAfter().isAfter(now)) {
      throw new IssuanceException(
          "mesh4j: the issuer returned a certificate that expired at " + material.notAfter(),
          false);
    }
    return material;
  }

  private void failed(String message, boolean retryable, Instant now) {
    failures++;
    lastFailure = message;
    IdentityMaterial current = identity.current();
    Instant notAfter = current == null ? null : current.notAfter();
    Duration delay = retryable ? backoff.delay(failures - 1) : maxBackoff;
    if (retryable) {
      log.warn("mesh4j: certificate renewal failed (attempt {}), retrying in {}: {}",
          failures, delay, message);
    } else {
      log.error("mesh4j: the certificate authority refused renewal, retrying in {}: {}",
          delay, message);
    }
    report(() -> events.certificateRenewalFailed(message, retryable, notAfter));
    Instant at = alarmAt;
    if (current != null && at != null && !now.isBefore(at)) {
      raiseAlarm(current, now);
    }
    schedule(delay);
  }

  private synchronized void schedule(Duration delay) {
    if (!closed) {
      next = scheduler.schedule(this::renew, delay);
    }
  }

  private synchronized void scheduleAlarm(IdentityMaterial material, Instant at) {
    Cancellable old = alarm;
    if (old != null) {
      old.cancel();
    }
    alarmAt = at;
    if (closed) {
      return;
    }
    Duration delay = Duration.between(clock.instant(), at);
    alarm =
        scheduler.schedule(
            () -> {
              if (!closed && identity.current() == material) {
                raiseAlarm(material, clock.instant());
              }
            },
            delay.isNegative() ? Duration.ZERO : delay);
  }

  private void raiseAlarm(IdentityMaterial material, Instant now) {
    String why = lastFailure;
    log.warn(
        "mesh4j: workload certificate for {} expires at {} (in {}) and has not been renewed{}",
        material.spiffeId(),
        material.notAfter(),
        Duration.between(now, material.notAfter()),
        why == null ? "" : "; last failure: " + why);
    report(() -> events.certificateExpiring(material.spiffeId(), material.notAfter()));
  }

  /** A listener's failure must not stop the rotation. */
  private static void report(Runnable event) {
    try {
      event.run();
    } catch (RuntimeException e) {
      log.warn("mesh4j: a listener of the certificate rotator threw", e);
    }
  }

  private static Duration scaled(Duration d, double fraction) {
    return Duration.ofNanos((long) (d.toNanos() * fraction));
  }

  /** Stops renewing; the identity keeps its last material. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    for (Cancellable c : new Cancellable[] {next, alarm}) {
      if (c != null) {
        c.cancel();
      }
    }
    ScheduledExecutorService ex = ownExecutor;
    if (ex != null) {
      ex.shutdownNow();
    }
  }

  /** Configures a {@link CertificateRotator}. Not thread-safe. */
  public static final class Builder {
    private final CertificateIssuer issuer;
    private WorkloadIdentity identity = WorkloadIdentity.pending();
    private MeshListener events = new MeshListener() {};
    private InstantSource clock = InstantSource.system();
    private @Nullable Scheduler scheduler;
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private RandomGenerator random = RandomGenerator.getDefault();
    private double alarmFraction = 0.2;

    private Builder(CertificateIssuer issuer) {
      this.issuer = Objects.requireNonNull(issuer, "issuer");
    }

    /** The identity to keep up to date; a new pending one by default. */
    public Builder identity(WorkloadIdentity identity) {
      this.identity = Objects.requireNonNull(identity, "identity");
      return this;
    }

    /**
     * Where renewals, failures and alarms are reported, e.g. {@code MeshMetrics} or {@code
     * mesh.events()}; nowhere by default.
     */
    public Builder listener(MeshListener listener) {
      this.events = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Wall-clock time for lifetimes and alarms; the system clock by default. */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Runs the rotator's tasks; a daemon thread of the rotator's own by default. */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Delays between failed attempts: exponential from {@code initial} to {@code max}, with
     * jitter drawn from {@code random}; 1 s to 30 s by default.
     */
    public Builder backoff(Duration initial, Duration max, RandomGenerator random) {
      this.initialBackoff = Objects.requireNonNull(initial, "initial");
      this.maxBackoff = Objects.requireNonNull(max, "max");
      this.random = Objects.requireNonNull(random, "random");
      new Backoff(initial, max, random); // validates now, with a clear message
      return this;
    }

    /**
     * Raise the expiry alarm once less than {@code fraction} of a certificate's lifetime is left
     * without a renewal; 0.2 by default. Must be in (0, 0.5), so that the alarm comes after the
     * renewal at half-life was due.
     */
    public Builder alarmAt(double fraction) {
      if (!(fraction > 0 && fraction < 0.5)) {
        throw new IllegalArgumentException(
            "mesh4j: alarm fraction must be in (0, 0.5) (after the renewal at half-life), got "
                + fraction);
      }
      this.alarmFraction = fraction;
      return this;
    }

    public CertificateRotator build() {
      return new CertificateRotator(this);
    }
  }
}
