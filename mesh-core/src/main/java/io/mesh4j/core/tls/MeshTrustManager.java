package io.mesh4j.core.tls;

import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.call.SpiffeIds;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.telemetry.TlsRefusal;
import io.mesh4j.core.identity.WorkloadIdentity;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * Verifies a TLS peer by its SPIFFE ID, never by host name:
 *
 * <ol>
 *   <li>the peer's chain must validate (PKIX, at the current time of the injected clock) against
 *       the trust bundle of the workload's <em>current</em> material, which may hold several roots
 *       during a CA rotation; the leaf must be within its validity period and allowed for the
 *       peer's role (extended key usage serverAuth or clientAuth);
 *   <li>the leaf must name a {@code spiffe://} ID in the mesh's trust domain;
 *   <li>on the client side, that ID must be the one expected for the endpoint dialled, as told by
 *       an {@link ExpectedPeer}. When the endpoint's identity is not known (the policy names none,
 *       or the endpoint is not in it), any ID of the trust domain is accepted: the chain still
 *       proves a workload of this mesh. On the server side any ID of the trust domain is accepted;
 *       authorization policies decide what it may call.
 * </ol>
 *
 * A refused peer fails the handshake with a {@link CertificateException} whose message starts
 * with {@code mesh4j:} and names the peer, what it presented and what was expected; the refusal
 * is also reported to {@link MeshListener#tlsRefused}.
 *
 * <p>Thread-safe. The trust anchors are derived once per generation of material.
 */
public final class MeshTrustManager extends X509ExtendedTrustManager {

  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  /** Names the SPIFFE ID a client expects from the server endpoint it dials. */
  @FunctionalInterface
  public interface ExpectedPeer {
    /**
     * The SPIFFE ID the endpoint at {@code host:port} must present, or null when it is not known
     * (then any ID of the trust domain is accepted).
     *
     * @param host the host the TLS engine was created for (an address or a name), possibly null
     * @param port its port, or -1 when not known
     */
    @Nullable String identityOf(@Nullable String host, int port);

    /** Knows no endpoint: every ID of the trust domain is accepted. */
    static ExpectedPeer anyInTrustDomain() {
      return (host, port) -> null;
    }
  }

  private final WorkloadIdentity identity;
  private final Supplier<String> trustDomain;
  private final @Nullable ExpectedPeer expected;
  private final MeshListener events;
  private final InstantSource clock;
  private final TlsRefusal.Side side;
  private volatile @Nullable Anchors anchors;

  private record Anchors(IdentityMaterial material, Set<TrustAnchor> anchors) {}

  private MeshTrustManager(
      WorkloadIdentity identity,
      Supplier<String> trustDomain,
      @Nullable ExpectedPeer expected,
      MeshListener events,
      InstantSource clock,
      TlsRefusal.Side side) {
    this.identity = Objects.requireNonNull(identity, "identity");
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.expected = expected;
    this.events = Objects.requireNonNull(events, "events");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.side = side;
  }

  /** A trust manager for dialling: servers must present the identity {@code expected} names. */
  public static MeshTrustManager forClient(
      WorkloadIdentity identity,
      Supplier<String> trustDomain,
      ExpectedPeer expected,
      MeshListener events,
      InstantSource clock) {
    return new MeshTrustManager(
        identity, trustDomain, Objects.requireNonNull(expected, "expected"), events, clock,
        TlsRefusal.Side.CLIENT);
  }

  /** A trust manager for accepting: clients may present any identity of the trust domain. */
  public static MeshTrustManager forServer(
      WorkloadIdentity identity,
      Supplier<String> trustDomain,
      MeshListener events,
      InstantSource clock) {
    return new MeshTrustManager(identity, trustDomain, null, events, clock, TlsRefusal.Side.SERVER);
  }

  // ---- server side: verifying clients

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain, null, -1);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, @Nullable Socket socket)
      throws CertificateException {
    SocketAddress a = socket == null ? null : socket.getRemoteSocketAddress();
    if (a instanceof InetSocketAddress in) {
      verify(chain, in.getHostString(), in.getPort());
    } else {
      verify(chain, null, -1);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, @Nullable SSLEngine engine)
      throws CertificateException {
    verify(chain, engine == null ? null : engine.getPeerHost(), engine == null ? -1 : engine.getPeerPort());
  }

  // ---- client side: verifying servers

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain, null, -1);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, @Nullable Socket socket)
      throws CertificateException {
    String host = null;
    int port = -1;
    if (socket instanceof SSLSocket ssl) {
      SSLSession s = ssl.getHandshakeSession();
      if (s != null) {
        host = s.getPeerHost();
        port = s.getPeerPort();
      }
    }
    if (host == null && socket != null && socket.getRemoteSocketAddress() instanceof InetSocketAddress in) {
      host = in.getHostString();
      port = in.getPort();
    }
    verify(chain, host, port);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, @Nullable SSLEngine engine)
      throws CertificateException {
    verify(chain, engine == null ? null : engine.getPeerHost(), engine == null ? -1 : engine.getPeerPort());
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    IdentityMaterial m = identity.current();
    return m == null ? new X509Certificate[0] : m.trustBundle().toArray(new X509Certificate[0]);
  }

  /** Runs every check; on failure reports and throws. */
  private void verify(X509Certificate @Nullable [] chain, @Nullable String host, int port)
      throws CertificateException {
    String peer = host == null ? "unknown" : port > 0 ? host + ":" + port : host;
    String role = side == TlsRefusal.Side.CLIENT ? "server" : "client";
    IdentityMaterial m = identity.current();
    if (m == null) {
      throw refuse(TlsRefusal.Reason.NO_LOCAL_IDENTITY, peer,
          "mesh4j: cannot verify " + role + " " + peer
              + ": this workload has no certificate (and so no trust bundle) yet");
    }
    if (chain == null || chain.length == 0) {
      throw refuse(TlsRefusal.Reason.NO_IDENTITY, peer,
          "mesh4j: " + role + " " + peer + " presented no certificate");
    }
    X509Certificate leaf = chain[0];
    String id = SpiffeIds.fromChain(chain);
    String shown = id != null ? id : "a certificate without SPIFFE ID (" + leaf.getSubjectX500Principal() + ")";
    Instant now = clock.instant();
    try {
      leaf.checkValidity(Date.from(now));
    } catch (CertificateExpiredException e) {
      throw refuse(TlsRefusal.Reason.EXPIRED, peer,
          "mesh4j: " + role + " " + peer + " presented " + shown + " whose certificate expired at "
              + leaf.getNotAfter().toInstant() + " (now " + now + ")");
    } catch (CertificateNotYetValidException e) {
      throw refuse(TlsRefusal.Reason.EXPIRED, peer,
          "mesh4j: " + role + " " + peer + " presented " + shown
              + " whose certificate is not valid before " + leaf.getNotBefore().toInstant()
              + " (now " + now + ")");
    }
    validatePath(chain, m, now, peer, role, shown);
    String usage = side == TlsRefusal.Side.CLIENT ? SERVER_AUTH : CLIENT_AUTH;
    List<String> eku;
    try {
      eku = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      eku = List.of();
    }
    if (eku != null && !eku.contains(usage)) {
      throw refuse(TlsRefusal.Reason.UNTRUSTED, peer,
          "mesh4j: " + role + " " + peer + " presented " + shown
              + ", a certificate not allowed for " + (side == TlsRefusal.Side.CLIENT
                  ? "serverAuth" : "clientAuth") + " (extended key usage " + eku + ")");
    }
    String domain = trustDomain.get();
    if (id == null || !id.startsWith("spiffe://" + domain + "/")) {
      throw refuse(TlsRefusal.Reason.NO_IDENTITY, peer,
          "mesh4j: " + role + " " + peer + " presented " + shown
              + ", expected a SPIFFE ID in trust domain " + domain);
    }
    if (expected != null) {
      String want = expected.identityOf(host, port);
      if (want != null && !want.equals(id)) {
        throw refuse(TlsRefusal.Reason.WRONG_IDENTITY, peer,
            "mesh4j: peer " + peer + " presented " + id + ", expected " + want);
      }
    }
  }

  private void validatePath(X509Certificate[] chain, IdentityMaterial m, Instant now, String peer,
      String role, String shown) throws CertificateException {
    Set<TrustAnchor> trusted = anchorsOf(m);
    // The path is the peer's chain up to (not including) a certificate of the bundle.
    List<X509Certificate> path = new ArrayList<>(chain.length);
    for (X509Certificate c : chain) {
      if (m.trustBundle().contains(c)) {
        break;
      }
      path.add(c);
    }
    try {
      PKIXParameters params = new PKIXParameters(trusted);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(now));
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
    } catch (CertPathValidatorException e) {
      boolean expired = e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
          || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID;
      throw refuse(expired ? TlsRefusal.Reason.EXPIRED : TlsRefusal.Reason.UNTRUSTED, peer,
          "mesh4j: " + role + " " + peer + " presented " + shown + " issued by "
              + chain[0].getIssuerX500Principal() + ", which does not chain to the trust bundle ("
              + m.trustBundle().size() + " root(s): " + subjects(m.trustBundle()) + "): "
              + e.getMessage());
    } catch (InvalidAlgorithmParameterException e) {
      throw new CertificateException("mesh4j: the trust bundle holds no usable root", e);
    } catch (GeneralSecurityException e) {
      throw new CertificateException("mesh4j: cannot validate " + role + " " + peer + ": " + e, e);
    }
  }

  private Set<TrustAnchor> anchorsOf(IdentityMaterial m) {
    Anchors a = anchors;
    if (a != null && a.material() == m) {
      return a.anchors();
    }
    Set<TrustAnchor> set = new HashSet<>();
    for (X509Certificate root : m.trustBundle()) {
      set.add(new TrustAnchor(root, null));
    }
    anchors = new Anchors(m, set);
    return set;
  }

  private static String subjects(List<X509Certificate> roots) {
    List<String> names = new ArrayList<>();
    for (X509Certificate r : roots) {
      names.add(r.getSubjectX500Principal().getName());
    }
    return String.join("; ", names);
  }

  private CertificateException refuse(TlsRefusal.Reason reason, String peer, String message) {
    try {
      events.tlsRefused(new TlsRefusal(side, reason, peer, message));
    } catch (RuntimeException e) {
      // a listener's failure must not change the handshake's outcome or hide its message
    }
    return new CertificateException(message);
  }
}
