package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.identity.CertificateRotator;
import io.mesh4j.client.ControllerCertificateIssuer;
import io.mesh4j.core.identity.IssuanceException;
import io.mesh4j.core.telemetry.TlsRefusal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The starter's workload certificate: a {@link ControllerCertificateIssuer} that asks the
 * controller's certificate service, and the {@link CertificateRotator} that keeps the mesh's
 * {@link io.mesh4j.core.identity.WorkloadIdentity} supplied with it. The rotator's events go to
 * {@link Mesh#events()}, so the mesh's listeners (metrics, logs) see renewals and alarms.
 *
 * <p>Built from {@code mesh4j.identity.*}; started by the starter right after the mesh is built,
 * and closed (rotator, then the issuer's channel) when the context closes.
 */
public final class MeshCertificates implements AutoCloseable {

  private final ControllerCertificateIssuer issuer;
  private final CertificateRotator rotator;
  private final Forwarder events;
  private final String describe;

  private MeshCertificates(
      ControllerCertificateIssuer issuer, CertificateRotator rotator, Forwarder events, String describe) {
    this.issuer = issuer;
    this.rotator = rotator;
    this.events = events;
    this.describe = describe;
  }

  /**
   * Checks the properties and builds the issuer and the rotator; nothing is sent yet.
   *
   * @throws IllegalStateException naming the property when the token file or the controller
   *     address is missing, or the token file does not exist
   */
  static MeshCertificates create(MeshProperties properties) {
    MeshProperties.Identity identity = properties.getIdentity();
    Path tokenFile = identity.getTokenFile();
    if (tokenFile == null) {
      throw new IllegalStateException(
          "mesh4j.identity.enabled is true but mesh4j.identity.token-file is not set; expected the"
              + " file of the token the controller authenticates this workload by (a bootstrap"
              + " token in local mode, the projected ServiceAccount token in Kubernetes)");
    }
    if (!Files.isRegularFile(tokenFile)) {
      throw new IllegalStateException(
          "mesh4j.identity.token-file " + tokenFile.toAbsolutePath() + " does not exist or is not a"
              + " file; expected the workload's token for the controller's certificate service");
    }
    String address = identity.getControllerAddress();
    if (address == null || address.isBlank()) {
      address = properties.getController().getAddress();
    }
    if (address == null || address.isBlank()) {
      throw new IllegalStateException(
          "mesh4j.identity needs the certificate service's address: set"
              + " mesh4j.identity.controller-address or mesh4j.controller.address");
    }
    ControllerCertificateIssuer.Builder issuer =
        ControllerCertificateIssuer.builder(address).tokenFile(tokenFile);
    Path roots = identity.getTrustedRoots();
    if (roots != null) {
      issuer.trustedRoots(roots);
    }
    ControllerCertificateIssuer built = issuer.build();
    Forwarder events = new Forwarder();
    CertificateRotator rotator = CertificateRotator.builder(built).listener(events).build();
    return new MeshCertificates(
        built, rotator, events, "controller " + address + ", token file " + tokenFile);
  }

  /** The rotator that keeps the mesh's identity supplied. */
  public CertificateRotator rotator() {
    return rotator;
  }

  /**
   * Routes the rotator's events to {@code mesh}, asks for the first certificate and waits for
   * it, at most {@code timeout}.
   *
   * @throws IllegalStateException when no certificate arrived in time, with the last failure
   */
  void start(Mesh mesh, Duration timeout) {
    events.target = mesh.events();
    rotator.start();
    try {
      rotator.awaitCertificate(timeout);
    } catch (IssuanceException e) {
      throw new IllegalStateException(
          "mesh4j: the application has no workload certificate (" + describe + "): "
              + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "mesh4j: interrupted while waiting for the workload certificate (" + describe + ")", e);
    }
  }

  /** Stops renewing and releases the issuer's channel. */
  @Override
  public void close() {
    try {
      rotator.close();
    } finally {
      issuer.close();
    }
  }

  @Override
  public String toString() {
    return "MeshCertificates[" + describe + "]";
  }

  /**
   * Forwards the rotator's events to the mesh once it exists; the rotator is built before the
   * mesh (the mesh takes its identity) and started after, so no event is lost.
   */
  private static final class Forwarder extends MeshListener {
    volatile @Nullable MeshListener target;

    @Override
    public void certificateRenewed(String spiffeId, Instant notAfter) {
      MeshListener t = target;
      if (t != null) {
        t.certificateRenewed(spiffeId, notAfter);
      }
    }

    @Override
    public void certificateRenewalFailed(String message, boolean retryable, @Nullable Instant notAfter) {
      MeshListener t = target;
      if (t != null) {
        t.certificateRenewalFailed(message, retryable, notAfter);
      }
    }

    @Override
    public void certificateExpiring(String spiffeId, Instant notAfter) {
      MeshListener t = target;
      if (t != null) {
        t.certificateExpiring(spiffeId, notAfter);
      }
    }

    @Override
    public void tlsRefused(TlsRefusal refusal) {
      MeshListener t = target;
      if (t != null) {
        t.tlsRefused(refusal);
      }
    }
  }
}
