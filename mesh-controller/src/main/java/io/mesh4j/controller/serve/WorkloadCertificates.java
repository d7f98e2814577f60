package io.mesh4j.controller.serve;

import io.mesh4j.controller.ca.CallerIdentity;
import io.mesh4j.core.call.SpiffeIds;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * Lets an application that already holds a mesh certificate prove itself to the controller with
 * it instead of a token: the controller's TLS port asks for a client certificate (optional), this
 * trust manager accepts only chains to the CA's current trust bundle that name a SPIFFE ID of the
 * mesh's trust domain, and {@link #callerOf} reads the proven identity from the TLS session.
 *
 * <p>Thread-safe; the trust bundle and trust domain are read at every handshake, so root rotation
 * and a change of trust domain take effect without a restart.
 */
public final class WorkloadCertificates extends X509ExtendedTrustManager {

  private final Supplier<List<X509Certificate>> bundle;
  private final Supplier<String> trustDomain;

  /**
   * @param bundle the CA's trust bundle in force
   * @param trustDomain the mesh's trust domain in force
   */
  public WorkloadCertificates(Supplier<List<X509Certificate>> bundle, Supplier<String> trustDomain) {
    this.bundle = bundle;
    this.trustDomain = trustDomain;
  }

  /**
   * The workload a verified TLS session's client certificate proves, or null when the client
   * presented none (it must then prove itself with a token).
   */
  static @Nullable CallerIdentity callerOf(@Nullable SSLSession session, String trustDomain) {
    if (session == null) {
      return null;
    }
    try {
      return identity(SpiffeIds.fromChain(session.getPeerCertificates()), trustDomain);
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  private static @Nullable CallerIdentity identity(@Nullable String spiffeId, String trustDomain) {
    String prefix = "spiffe://" + trustDomain + "/ns/";
    if (spiffeId == null || !spiffeId.startsWith(prefix)) {
      return null;
    }
    String[] parts = spiffeId.substring(prefix.length()).split("/", -1);
    if (parts.length != 3 || !parts[1].equals("sa")) {
      return null;
    }
    try {
      return new CallerIdentity(parts[0], parts[2]);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private void verify(X509Certificate @Nullable [] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("mesh4j: no client certificate");
    }
    String domain = trustDomain.get();
    if (identity(SpiffeIds.fromChain(chain), domain) == null) {
      throw new CertificateException(
          "mesh4j: the client certificate names no workload SPIFFE ID of trust domain " + domain);
    }
    Set<TrustAnchor> anchors = new HashSet<>();
    for (X509Certificate root : bundle.get()) {
      anchors.add(new TrustAnchor(root, null));
    }
    try {
      PKIXParameters parameters = new PKIXParameters(anchors);
      parameters.setRevocationEnabled(false);
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(Arrays.asList(chain)), parameters);
    } catch (GeneralSecurityException e) {
      throw new CertificateException("mesh4j: the client certificate does not chain to the mesh's trust bundle: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("mesh4j: the controller verifies clients only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    throw new CertificateException("mesh4j: the controller verifies clients only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    throw new CertificateException("mesh4j: the controller verifies clients only");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return bundle.get().toArray(new X509Certificate[0]);
  }
}
