package io.mesh4j.core.tls;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.identity.WorkloadIdentity;
import io.mesh4j.core.policy.MeshConfig;
import java.security.GeneralSecurityException;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * The mesh's mutual TLS, as JSSE managers and contexts for transports: the workload's current
 * certificate ({@link #keyManager()}), and trust managers that verify peers by SPIFFE ID against
 * the current trust bundle ({@link #clientTrustManager}, {@link #serverTrustManager()}).
 *
 * <pre>{@code
 * MeshTls tls = MeshTls.forMesh(mesh);
 * SSLContext server = tls.serverContext();          // e.g. for a servlet container
 * SSLContext client = tls.clientContext(tls.expectedPeers("catalog.shop"));
 * }</pre>
 *
 * <p>Nothing is cached across rotations: every handshake reads the workload identity once, so a
 * new certificate or trust bundle applies to the next connection and live connections go on.
 * Thread-safe.
 */
public final class MeshTls {

  /** How long a TLS session may be resumed without a full handshake. */
  static final int SESSION_TIMEOUT_SECONDS = 60;

  private final WorkloadIdentity identity;
  private final Supplier<String> trustDomain;
  private final Supplier<MeshConfig.MtlsMode> mode;
  private final MeshListener events;
  private final InstantSource clock;
  private final @Nullable Mesh mesh;
  private final MeshKeyManager keyManager;

  private MeshTls(
      WorkloadIdentity identity,
      Supplier<String> trustDomain,
      Supplier<MeshConfig.MtlsMode> mode,
      MeshListener events,
      InstantSource clock,
      @Nullable Mesh mesh) {
    this.identity = Objects.requireNonNull(identity, "identity");
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.mode = Objects.requireNonNull(mode, "mode");
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.mesh = mesh;
    this.keyManager = new MeshKeyManager(identity);
  }

  /**
   * The TLS of {@code mesh}: its {@link Mesh#identity()}, the trust domain and mTLS mode of its
   * settings in force (read at each handshake or call), refusals reported to its listeners, and
   * the system clock for certificate validity.
   */
  public static MeshTls forMesh(Mesh mesh) {
    Objects.requireNonNull(mesh, "mesh");
    return new MeshTls(
        mesh.identity(),
        () -> mesh.settings().trustDomain(),
        () -> mesh.settings().mtls(),
        mesh.events(),
        InstantSource.system(),
        mesh);
  }

  /** Like {@link #forMesh} with the validity of certificates judged by {@code clock}. */
  public static MeshTls forMesh(Mesh mesh, InstantSource clock) {
    MeshTls t = forMesh(mesh);
    return new MeshTls(t.identity, t.trustDomain, t.mode, t.events, clock, mesh);
  }

  /**
   * TLS for an identity outside any mesh (tests, benchmarks, tools): fixed trust domain and mode,
   * refusals reported to {@code events}.
   */
  public static MeshTls of(
      WorkloadIdentity identity,
      String trustDomain,
      MeshConfig.MtlsMode mode,
      MeshListener events,
      InstantSource clock) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(mode, "mode");
    return new MeshTls(identity, () -> trustDomain, () -> mode, events, clock, null);
  }

  /** The workload identity whose certificate is presented. */
  public WorkloadIdentity identity() {
    return identity;
  }

  /** The mTLS mode in force. */
  public MeshConfig.MtlsMode mode() {
    return mode.get();
  }

  /** The listener refusals are reported to. */
  public MeshListener events() {
    return events;
  }

  /** Presents the current certificate; one instance per {@code MeshTls}. */
  public MeshKeyManager keyManager() {
    return keyManager;
  }

  /** Verifies callers: any SPIFFE ID of the trust domain, chained to the current bundle. */
  public MeshTrustManager serverTrustManager() {
    return MeshTrustManager.forServer(identity, trustDomain, events, clock);
  }

  /** Verifies servers: the ID {@code expected} names for the endpoint dialled. */
  public MeshTrustManager clientTrustManager(MeshTrustManager.ExpectedPeer expected) {
    return MeshTrustManager.forClient(identity, trustDomain, expected, events, clock);
  }

  /**
   * The identities the endpoints of {@code destination} must present, looked up by address and
   * port in the policy in force at each handshake. An endpoint that is not in the policy, or has
   * no identity there, is accepted with any ID of the trust domain.
   *
   * @throws IllegalStateException when this {@code MeshTls} was not made by {@link #forMesh}
   */
  public MeshTrustManager.ExpectedPeer expectedPeers(String destination) {
    Objects.requireNonNull(destination, "destination");
    Mesh m = mesh;
    if (m == null) {
      throw new IllegalStateException(
          "mesh4j: expectedPeers(\"" + destination + "\") needs a MeshTls made by forMesh(mesh)");
    }
    return (host, port) -> {
      if (host == null) {
        return null;
      }
      List<Endpoint> endpoints = m.endpoints(destination);
      for (Endpoint e : endpoints) {
        if (e.port() == port && e.address().equals(host)) {
          return e.identity();
        }
      }
      return null;
    };
  }

  /**
   * The identities every endpoint of the mesh must present, looked up by address and port over
   * all destinations in the policy in force ({@link Mesh#endpointIdentity}); for clients that
   * serve several destinations, such as one OkHttp client. An endpoint without an identity in
   * the policy is accepted with any ID of the trust domain.
   *
   * @throws IllegalStateException when this {@code MeshTls} was not made by {@link #forMesh}
   */
  public MeshTrustManager.ExpectedPeer expectedPeers() {
    Mesh m = mesh;
    if (m == null) {
      throw new IllegalStateException("mesh4j: expectedPeers() needs a MeshTls made by forMesh(mesh)");
    }
    return (host, port) -> host == null ? null : m.endpointIdentity(host, port);
  }

  /** A TLS context for dialling, presenting the workload's certificate. */
  public SSLContext clientContext(MeshTrustManager.ExpectedPeer expected) {
    return context(clientTrustManager(expected));
  }

  /** A TLS context for accepting, presenting the workload's certificate. */
  public SSLContext serverContext() {
    return context(serverTrustManager());
  }

  private SSLContext context(MeshTrustManager trust) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {keyManager}, new TrustManager[] {trust}, null);
      // A resumed session skips certificate checks; keep resumption to a short window so that
      // expiry and rotation are judged again soon.
      ctx.getClientSessionContext().setSessionTimeout(SESSION_TIMEOUT_SECONDS);
      ctx.getServerSessionContext().setSessionTimeout(SESSION_TIMEOUT_SECONDS);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("mesh4j: this JVM cannot create a TLS context: " + e, e);
    }
  }
}
