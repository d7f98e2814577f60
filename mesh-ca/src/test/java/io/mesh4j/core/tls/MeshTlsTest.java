package io.mesh4j.core.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.telemetry.MeshListener;
import io.mesh4j.core.call.SpiffeIds;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.telemetry.TlsRefusal;
import io.mesh4j.core.identity.WorkloadIdentity;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.testing.FakeClock;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MeshTlsTest {

  static final String WEB = "spiffe://cluster.local/ns/shop/sa/web";
  static final String CATALOG = "spiffe://cluster.local/ns/shop/sa/catalog";
  static final String PRICING = "spiffe://cluster.local/ns/shop/sa/pricing";

  final FakeClock clock = FakeClock.startingNow();
  final CertificateAuthority ca = CertificateAuthority.generate("cluster.local", clock);
  final List<TlsRefusal> refusals = new CopyOnWriteArrayList<>();
  final MeshListener events =
      new MeshListener() {
        @Override
        public void tlsRefused(TlsRefusal refusal) {
          refusals.add(refusal);
        }
      };

  IdentityMaterial material(CertificateAuthority authority, String id, Duration life) {
    KeyPair kp = Csr.generateKeyPair();
    return new IdentityMaterial(
        kp.getPrivate(), authority.sign(Csr.create(kp), id, life), authority.trustBundle());
  }

  MeshTls tls(IdentityMaterial m) {
    return MeshTls.of(
        WorkloadIdentity.of(m), "cluster.local", MeshConfig.MtlsMode.STRICT, events, clock);
  }

  static X509Certificate[] chain(IdentityMaterial m) {
    return m.chain().toArray(new X509Certificate[0]);
  }

  static SSLEngine engineFor(String host, int port) throws Exception {
    return SSLContext.getDefault().createSSLEngine(host, port);
  }

  @Test
  void acceptsAPeerOfTheTrustDomainAndTheExpectedServer() throws Exception {
    MeshTls tls = tls(material(ca, WEB, Duration.ofHours(1)));
    IdentityMaterial catalog = material(ca, CATALOG, Duration.ofHours(1));

    tls.serverTrustManager().checkClientTrusted(chain(catalog), "EC", engineFor(null, -1));
    tls.clientTrustManager((h, p) -> CATALOG)
        .checkServerTrusted(chain(catalog), "EC", engineFor("127.0.0.1", 7001));
    tls.clientTrustManager(MeshTrustManager.ExpectedPeer.anyInTrustDomain())
        .checkServerTrusted(chain(catalog), "EC", engineFor("127.0.0.1", 7001));
    assertThat(refusals).isEmpty();
  }

  @Test
  void refusesAServerWhoseIdentityIsNotTheExpectedOne() throws Exception {
    MeshTls tls = tls(material(ca, WEB, Duration.ofHours(1)));
    IdentityMaterial pricing = material(ca, PRICING, Duration.ofHours(1));

    assertThatThrownBy(
            () ->
                tls.clientTrustManager((h, p) -> h.equals("127.0.0.1") && p == 7001 ? CATALOG : null)
                    .checkServerTrusted(chain(pricing), "EC", engineFor("127.0.0.1", 7001)))
        .isInstanceOf(CertificateException.class)
        .hasMessage(
            "mesh4j: peer 127.0.0.1:7001 presented spiffe://cluster.local/ns/shop/sa/pricing,"
                + " expected spiffe://cluster.local/ns/shop/sa/catalog");
    assertThat(refusals)
        .extracting(TlsRefusal::side, TlsRefusal::reason, TlsRefusal::peer)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                TlsRefusal.Side.CLIENT, TlsRefusal.Reason.WRONG_IDENTITY, "127.0.0.1:7001"));
  }

  @Test
  void refusesAnExpiredCertificate() throws Exception {
    MeshTls tls = tls(material(ca, WEB, Duration.ofHours(1)));
    IdentityMaterial client = material(ca, CATALOG, Duration.ofMinutes(5));
    clock.advance(Duration.ofMinutes(6));

    assertThatThrownBy(
            () ->
                tls.serverTrustManager()
                    .checkClientTrusted(chain(client), "EC", engineFor("127.0.0.1", 50000)))
        .isInstanceOf(CertificateException.class)
        .hasMessageStartingWith(
            "mesh4j: client 127.0.0.1:50000 presented spiffe://cluster.local/ns/shop/sa/catalog"
                + " whose certificate expired at " + client.notAfter());
    assertThat(refusals).singleElement().extracting(TlsRefusal::reason)
        .isEqualTo(TlsRefusal.Reason.EXPIRED);
  }

  @Test
  void refusesACertificateFromAnUntrustedAuthority() throws Exception {
    MeshTls tls = tls(material(ca, WEB, Duration.ofHours(1)));
    CertificateAuthority rogue = CertificateAuthority.generate("cluster.local", clock);
    IdentityMaterial forged = material(rogue, CATALOG, Duration.ofHours(1));

    assertThatThrownBy(
            () -> tls.serverTrustManager().checkClientTrusted(chain(forged), "EC", engineFor(null, -1)))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining(
            "mesh4j: client unknown presented spiffe://cluster.local/ns/shop/sa/catalog issued by "
                + rogue.signingRoot().certificate().getSubjectX500Principal())
        .hasMessageContaining("which does not chain to the trust bundle (1 root(s): "
            + ca.signingRoot().certificate().getSubjectX500Principal().getName());
    assertThat(refusals).singleElement().extracting(TlsRefusal::reason)
        .isEqualTo(TlsRefusal.Reason.UNTRUSTED);
  }

  @Test
  void refusesAnIdentityOfAnotherTrustDomain() throws Exception {
    MeshTls tls = tls(material(ca, WEB, Duration.ofHours(1)));
    CertificateAuthority other = CertificateAuthority.generate("other.mesh", clock);
    IdentityMaterial foreign = material(other, "spiffe://other.mesh/ns/shop/sa/web", Duration.ofHours(1));
    // even a trusted chain must name an ID of this trust domain
    MeshTls trustsBoth =
        MeshTls.of(
            WorkloadIdentity.of(
                new IdentityMaterial(
                    tls.identity().require().privateKey(),
                    tls.identity().require().chain(),
                    List.of(ca.signingRoot().certificate(), other.signingRoot().certificate()))),
            "cluster.local", MeshConfig.MtlsMode.STRICT, events, clock);

    assertThatThrownBy(
            () -> trustsBoth.serverTrustManager().checkClientTrusted(chain(foreign), "EC", engineFor(null, -1)))
        .hasMessage(
            "mesh4j: client unknown presented spiffe://other.mesh/ns/shop/sa/web, expected a SPIFFE"
                + " ID in trust domain cluster.local");
  }

  @Test
  void withoutItsOwnCertificateAWorkloadVerifiesNobody() throws Exception {
    MeshTls tls =
        MeshTls.of(WorkloadIdentity.pending(), "cluster.local", MeshConfig.MtlsMode.STRICT, events, clock);
    IdentityMaterial catalog = material(ca, CATALOG, Duration.ofHours(1));
    assertThatThrownBy(
            () -> tls.clientTrustManager((h, p) -> null)
                .checkServerTrusted(chain(catalog), "EC", engineFor("10.0.0.7", 443)))
        .hasMessage(
            "mesh4j: cannot verify server 10.0.0.7:443: this workload has no certificate (and so"
                + " no trust bundle) yet");
    assertThat(tls.keyManager().chooseEngineClientAlias(new String[] {"EC"}, null, null)).isNull();
  }

  @Test
  void bothRootsAreTrustedDuringACaRotation() throws Exception {
    IdentityMaterial oldLeaf = material(ca, CATALOG, Duration.ofHours(1));
    ca.beginRotation(CertificateAuthority.Root.generate("cluster.local", Duration.ofDays(30), clock));
    ca.promote();
    IdentityMaterial newLeaf = material(ca, CATALOG, Duration.ofHours(1));
    MeshTls tls = tls(material(ca, WEB, Duration.ofHours(1)));
    assertThat(tls.identity().require().trustBundle()).hasSize(2);

    tls.serverTrustManager().checkClientTrusted(chain(oldLeaf), "EC", engineFor(null, -1));
    tls.serverTrustManager().checkClientTrusted(chain(newLeaf), "EC", engineFor(null, -1));
    assertThat(refusals).isEmpty();
  }

  @Test
  void keyManagerAliasesStayConsistentAcrossARotation() {
    IdentityMaterial first = material(ca, WEB, Duration.ofHours(1));
    WorkloadIdentity identity = WorkloadIdentity.of(first);
    MeshKeyManager km = new MeshKeyManager(identity);

    String alias = km.chooseEngineServerAlias("EC", null, null);
    identity.update(material(ca, WEB, Duration.ofHours(1)));
    // a handshake that chose before the rotation still gets one consistent generation
    assertThat(km.getCertificateChain(alias)).containsExactly(chain(first));
    assertThat(km.getPrivateKey(alias)).isEqualTo(first.privateKey());

    String next = km.chooseEngineServerAlias("EC", null, null);
    assertThat(next).isNotEqualTo(alias);
    assertThat(km.getPrivateKey(next)).isEqualTo(identity.require().privateKey());
    assertThat(km.chooseEngineServerAlias("RSA", null, null)).isNull();
    assertThat(km.chooseEngineServerAlias("EC_EC", null, null)).isEqualTo(next);
  }

  @Test
  void realHandshakesOnLoopbackPickUpARotationWithoutBreakingTheLiveConnection() throws Exception {
    WorkloadIdentity serverId = WorkloadIdentity.of(material(ca, CATALOG, Duration.ofHours(1)));
    MeshTls server =
        MeshTls.of(serverId, "cluster.local", MeshConfig.MtlsMode.STRICT, events, clock);
    MeshTls client = tls(material(ca, WEB, Duration.ofHours(1)));
    SSLContext serverCtx = server.serverContext();
    SSLContext clientCtx = client.clientContext((h, p) -> CATALOG);

    try (SSLServerSocket listener =
        (SSLServerSocket)
            serverCtx.getServerSocketFactory().createServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      listener.setNeedClientAuth(true);
      listener.setSoTimeout(10_000);
      Thread acceptor =
          new Thread(
              () -> {
                for (int i = 0; i < 2; i++) {
                  try {
                    SSLSocket s = (SSLSocket) listener.accept();
                    s.setSoTimeout(10_000);
                    Thread echo = new Thread(() -> echo(s));
                    echo.setDaemon(true);
                    echo.start();
                  } catch (Exception e) {
                    return;
                  }
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();

      SSLSocket first = connect(clientCtx, listener.getLocalPort());
      String firstPeer = SpiffeIds.fromChain(first.getSession().getPeerCertificates());
      X509Certificate firstLeaf = (X509Certificate) first.getSession().getPeerCertificates()[0];
      assertThat(firstPeer).isEqualTo(CATALOG);
      assertThat(roundTrip(first, 1)).isEqualTo(1);

      serverId.update(material(ca, CATALOG, Duration.ofHours(1)));
      // no resumption: the next connection makes a full handshake and sees the new certificate
      first.getSession().invalidate();

      SSLSocket second = connect(clientCtx, listener.getLocalPort());
      X509Certificate secondLeaf = (X509Certificate) second.getSession().getPeerCertificates()[0];
      assertThat(secondLeaf.getSerialNumber()).isEqualTo(serverId.require().leaf().getSerialNumber());
      assertThat(secondLeaf).isNotEqualTo(firstLeaf);
      assertThat(roundTrip(first, 2)).as("the live connection goes on").isEqualTo(2);
      assertThat(roundTrip(second, 3)).isEqualTo(3);
      first.close();
      second.close();
    }
    assertThat(refusals).isEmpty();
  }

  private static SSLSocket connect(SSLContext ctx, int port) throws Exception {
    SSLSocket s =
        (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
    s.setSoTimeout(10_000);
    s.startHandshake();
    return s;
  }

  private static int roundTrip(SSLSocket s, int b) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write(b);
    out.flush();
    InputStream in = s.getInputStream();
    return in.read();
  }

  private static void echo(SSLSocket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        out.write(b);
        out.flush();
      }
    } catch (Exception e) {
      // the test closed the connection
    }
  }
}
