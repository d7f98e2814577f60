package io.mesh4j.http;

import static io.mesh4j.core.testing.MtlsWorkload.endpoints;
import static io.mesh4j.core.testing.MtlsWorkload.meshConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.testing.MtlsWorkload;
import io.mesh4j.core.tls.MeshTls;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.servlet.FilterHolder;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Mutual TLS between meshed OkHttp clients and a servlet container (embedded Jetty, TLS and
 * plaintext detected on one port) on loopback, with real rotations.
 */
class MtlsHttpTest {

  static final String CATALOG_ID = "spiffe://cluster.local/ns/shop/sa/catalog";
  static final String WEB_ID = "spiffe://cluster.local/ns/shop/sa/web";
  static final String PRICING_ID = "spiffe://cluster.local/ns/shop/sa/pricing";
  static final String ADMIN_ID = "spiffe://cluster.local/ns/ops/sa/admin";

  final CertificateAuthority ca = CertificateAuthority.generate("cluster.local", Clock.systemUTC());
  final List<AutoCloseable> resources = new ArrayList<>();
  /** Serial numbers of the client certificates the servlet saw. */
  final Set<BigInteger> clientSerials = ConcurrentHashMap.newKeySet();
  final AtomicInteger served = new AtomicInteger();

  @AfterEach
  void close() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  MtlsWorkload workload(String id, Duration lifetime) {
    MtlsWorkload w = MtlsWorkload.start(ca, id, lifetime);
    resources.add(w);
    return w;
  }

  MtlsWorkload register(MtlsWorkload w) {
    resources.add(w);
    return w;
  }

  /**
   * A Jetty server for {@code catalog.shop} with the mesh's TLS (client certificates requested,
   * not required) and plaintext on one port; every 20th response closes its connection, so new
   * handshakes keep happening.
   */
  int server(MtlsWorkload w) throws Exception {
    Server server = new Server();
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setSslContext(MeshTls.forMesh(w.mesh()).serverContext());
    ssl.setWantClientAuth(true);
    ssl.setEndpointIdentificationAlgorithm(null);
    HttpConfiguration http = new HttpConfiguration();
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    secure.setSniHostCheck(false);
    http.addCustomizer(secure);
    HttpConnectionFactory h1 = new HttpConnectionFactory(http);
    SslConnectionFactory tls = new SslConnectionFactory(ssl, h1.getProtocol());
    ServerConnector connector =
        new ServerConnector(server, new DetectorConnectionFactory(tls), h1);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.addFilter(
        new FilterHolder(MeshServletFilter.forService(w.mesh(), "catalog.shop")),
        "/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(
        new ServletHolder(
            new HttpServlet() {
              @Override
              protected void doGet(HttpServletRequest req, HttpServletResponse resp)
                  throws IOException {
                if (req.getAttribute("jakarta.servlet.request.X509Certificate")
                    instanceof X509Certificate[] chain) {
                  clientSerials.add(chain[0].getSerialNumber());
                }
                if (served.incrementAndGet() % 20 == 0) {
                  resp.setHeader("Connection", "close");
                }
                resp.setContentType("text/plain");
                resp.getWriter().print("catalog:" + req.getRequestURI());
              }
            }),
        "/*");
    server.setHandler(context);
    server.start();
    resources.add(server::stop);
    return connector.getLocalPort();
  }

  static String get(OkHttpClient client, String path) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url("http://catalog.shop" + path).build()).execute()) {
      String body = r.body().string();
      if (r.code() != 200) {
        throw new IOException("HTTP " + r.code() + ": " + body);
      }
      return body;
    }
  }

  OkHttpClient client(MtlsWorkload w) {
    OkHttpClient c =
        MeshOkHttp.installMtls(w.mesh(), MeshTls.forMesh(w.mesh()), new OkHttpClient.Builder())
            .callTimeout(5, TimeUnit.SECONDS)
            .build();
    resources.add(
        () -> {
          c.dispatcher().executorService().shutdown();
          c.connectionPool().evictAll();
        });
    return c;
  }

  // Tagged: 45 s of waiting for rotations, which CI's second JDK skips; the root rotation below
  // exercises the same reloading with six-second certificates on both.
  @Test
  @Tag("soak")
  @Timeout(120)
  void continuousCallsSeeNoFailureAcrossThreeRotationsOfThirtySecondCertificates()
      throws Exception {
    Duration lifetime = Duration.ofSeconds(30);
    MtlsWorkload catalog = workload(CATALOG_ID, lifetime).apply(meshConfig("STRICT"));
    int port = server(catalog);
    MtlsWorkload web =
        workload(WEB_ID, lifetime)
            .apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, port));
    OkHttpClient client = client(web);
    int webStart = web.renewals();
    int catalogStart = catalog.renewals();
    Set<BigInteger> serverSerials = ConcurrentHashMap.newKeySet();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      boolean probe = i == 2;
      Thread t =
          new Thread(
              () -> {
                while (running.get()) {
                  try {
                    if (probe) {
                      // a fresh client: a full handshake that shows both current certificates
                      OkHttpClient fresh = MeshOkHttp.clientWithMtls(web.mesh());
                      try (Response r =
                          fresh.newCall(new Request.Builder().url("http://catalog.shop/probe").build())
                              .execute()) {
                        assertThat(r.code()).isEqualTo(200);
                        serverSerials.add(
                            ((X509Certificate) r.handshake().peerCertificates().get(0))
                                .getSerialNumber());
                      } finally {
                        fresh.connectionPool().evictAll();
                        fresh.dispatcher().executorService().shutdown();
                      }
                      Thread.sleep(1000);
                    } else {
                      assertThat(get(client, "/items")).isEqualTo("catalog:/items");
                    }
                    ok.incrementAndGet();
                  } catch (InterruptedException e) {
                    return;
                  } catch (Throwable e) {
                    failed.incrementAndGet();
                    firstFailure.compareAndSet(null, e);
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    try {
      await()
          .atMost(Duration.ofSeconds(80))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  (web.renewals() - webStart >= 3
                          && catalog.renewals() - catalogStart >= 3
                          && clientSerials.size() >= 4
                          && serverSerials.size() >= 4)
                      || failed.get() > 0);
    } finally {
      running.set(false);
      for (Thread t : threads) {
        t.join(10_000);
      }
    }
    assertThat(firstFailure.get()).as("first failed call").isNull();
    assertThat(failed).hasValue(0);
    assertThat(ok.get()).isGreaterThan(100);
    System.out.printf(
        "mTLS OkHttp: %d calls, 0 failed; %d client / %d server rotations; %d client and %d server"
            + " certificates seen%n",
        ok.get(), web.renewals() - webStart, catalog.renewals() - catalogStart,
        clientSerials.size(), serverSerials.size());
    assertThat(web.renewals() - webStart).isGreaterThanOrEqualTo(3);
    assertThat(catalog.renewals() - catalogStart).isGreaterThanOrEqualTo(3);
    assertThat(clientSerials).hasSizeGreaterThanOrEqualTo(4);
    assertThat(serverSerials).hasSizeGreaterThanOrEqualTo(4);
    assertThat(web.refusals()).isEmpty();
    assertThat(catalog.refusals()).isEmpty();
  }

  @Test
  @Timeout(120)
  void caRootRotationWithOverlapUnderLoadFailsNoRequest() throws Exception {
    Duration lifetime = Duration.ofSeconds(6);
    MtlsWorkload catalog = workload(CATALOG_ID, lifetime).apply(meshConfig("STRICT"));
    int port = server(catalog);
    MtlsWorkload web =
        workload(WEB_ID, lifetime)
            .apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, port));
    OkHttpClient client = client(web);
    X509Certificate oldRoot = ca.signingRoot().certificate();
    CertificateAuthority.Root newRoot =
        CertificateAuthority.Root.generate("cluster.local", Duration.ofDays(30), Clock.systemUTC());
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Thread t =
          new Thread(
              () -> {
                while (running.get()) {
                  try {
                    assertThat(get(client, "/items")).isEqualTo("catalog:/items");
                    ok.incrementAndGet();
                  } catch (Throwable e) {
                    failed.incrementAndGet();
                    firstFailure.compareAndSet(null, e);
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 20);
      ca.beginRotation(newRoot);
      everyoneRenews(web, catalog);
      ca.promote();
      everyoneRenews(web, catalog);
      assertThat(web.mesh().identity().require().chain().get(1)).isEqualTo(newRoot.certificate());
      ca.retire(oldRoot);
      everyoneRenews(web, catalog);
      assertThat(catalog.mesh().identity().require().trustBundle())
          .containsExactly(newRoot.certificate());
      int before = ok.get();
      await().atMost(Duration.ofSeconds(20)).until(() -> ok.get() > before + 50);
    } finally {
      running.set(false);
      for (Thread t : threads) {
        t.join(10_000);
      }
    }
    assertThat(firstFailure.get()).as("first failed request").isNull();
    assertThat(failed).hasValue(0);
    System.out.printf("CA root rotation under OkHttp load: %d requests, 0 failed%n", ok.get());
    assertThat(web.refusals()).isEmpty();
    assertThat(catalog.refusals()).isEmpty();
  }

  private static void everyoneRenews(MtlsWorkload... workloads) {
    int[] start = new int[workloads.length];
    for (int i = 0; i < workloads.length; i++) {
      start[i] = workloads[i].renewals();
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              for (int i = 0; i < workloads.length; i++) {
                if (workloads[i].renewals() <= start[i]) {
                  return false;
                }
              }
              return true;
            });
  }

  // ---- acceptance 3: bad inputs refused with a clear message and counted

  @Test
  @Timeout(60)
  void anExpiredClientCertificateIsRefusedAndCounted() throws Exception {
    MtlsWorkload catalog = workload(CATALOG_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    int port = server(catalog);
    MtlsWorkload web = register(MtlsWorkload.fixed(MtlsWorkload.expired(ca, WEB_ID)));
    web.apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, port));

    assertThat(catchThrowable(() -> get(client(web), "/items"))).isInstanceOf(IOException.class);
    await().atMost(Duration.ofSeconds(5)).until(() -> catalog.tlsRefusals("server", "expired") >= 1);
    assertThat(catalog.refusals().get(0).message())
        .startsWith("mesh4j: client 127.0.0.1:")
        .contains("presented " + WEB_ID + " whose certificate expired at ");
  }

  @Test
  @Timeout(60)
  void aCertificateFromAnUntrustedAuthorityIsRefusedAndCounted() throws Exception {
    MtlsWorkload catalog = workload(CATALOG_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    int port = server(catalog);
    CertificateAuthority rogue = CertificateAuthority.generate("cluster.local", Clock.systemUTC());
    IdentityMaterial forged = MtlsWorkload.material(rogue, WEB_ID, Duration.ofMinutes(10));
    MtlsWorkload web =
        register(
            MtlsWorkload.fixed(
                new IdentityMaterial(forged.privateKey(), forged.chain(), ca.trustBundle())));
    web.apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, port));

    assertThat(catchThrowable(() -> get(client(web), "/items"))).isInstanceOf(IOException.class);
    await().atMost(Duration.ofSeconds(5)).until(() -> catalog.tlsRefusals("server", "untrusted") >= 1);
    assertThat(catalog.refusals().get(0).message())
        .contains("which does not chain to the trust bundle");
  }

  @Test
  @Timeout(60)
  void aServerWhoseIdentityIsNotTheExpectedDestinationIsRefusedByTheClient() throws Exception {
    MtlsWorkload pricing = workload(PRICING_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    int port = server(pricing);
    MtlsWorkload web =
        workload(WEB_ID, Duration.ofMinutes(10))
            .apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, port));

    Throwable t = catchThrowable(() -> get(client(web), "/items"));
    String expected =
        "mesh4j: peer 127.0.0.1:" + port + " presented " + PRICING_ID + ", expected " + CATALOG_ID;
    assertThat(causes(t)).contains(expected);
    assertThat(web.tlsRefusals("client", "wrong_identity")).isGreaterThanOrEqualTo(1);
    assertThat(served).hasValue(0);
  }

  @Test
  @Timeout(60)
  void plaintextAndCertificateLessRequestsToAStrictServerAreRefusedAndCounted() throws Exception {
    MtlsWorkload catalog = workload(CATALOG_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    int port = server(catalog);
    MtlsWorkload web =
        workload(WEB_ID, Duration.ofMinutes(10))
            .apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, port));

    // plaintext on the same port (the container detects it)
    OkHttpClient plain = MeshOkHttp.client(web.mesh());
    try (Response r = plain.newCall(new Request.Builder().url("http://catalog.shop/items").build()).execute()) {
      assertThat(r.code()).isEqualTo(401);
      assertThat(r.body().string())
          .isEqualTo(
              "mesh4j: unauthenticated call for catalog.shop (mtls is STRICT and the call came"
                  + " over plaintext)\n");
    }
    assertThat(catalog.tlsRefusals("server", "plaintext")).isEqualTo(1);
    assertThat(catalog.refusals("unauthenticated")).isEqualTo(1);

    // TLS without a client certificate
    MeshTls webTls = MeshTls.forMesh(web.mesh());
    javax.net.ssl.SSLContext noKey = javax.net.ssl.SSLContext.getInstance("TLS");
    var trust = webTls.clientTrustManager(webTls.expectedPeers());
    noKey.init(null, new javax.net.ssl.TrustManager[] {trust}, null);
    OkHttpClient certless =
        new OkHttpClient.Builder()
            .sslSocketFactory(noKey.getSocketFactory(), trust)
            .hostnameVerifier((h, s) -> true)
            .build();
    try (Response r =
        certless.newCall(new Request.Builder().url("https://127.0.0.1:" + port + "/items").build())
            .execute()) {
      assertThat(r.code()).isEqualTo(401);
      assertThat(r.body().string()).contains("the caller presented no client certificate");
    }
    assertThat(catalog.tlsRefusals("server", "no_client_certificate")).isEqualTo(1);

    // PERMISSIVE: the plaintext caller is admitted as anonymous
    catalog.apply(meshConfig("PERMISSIVE"));
    assertThat(get(plain, "/items")).isEqualTo("catalog:/items");
  }

  @Test
  @Timeout(60)
  void anIdentityClaimedInAHeaderIsIgnored() throws Exception {
    MtlsWorkload catalog =
        workload(CATALOG_ID, Duration.ofMinutes(10))
            .apply(
                meshConfig("PERMISSIVE")
                    + """
                    apiVersion: mesh4j.io/v1alpha1
                    kind: AuthorizationPolicy
                    metadata: {name: admins-only, namespace: shop}
                    spec:
                      service: catalog.shop
                      action: ALLOW
                      rules:
                        - principals: ["spiffe://cluster.local/ns/ops/sa/admin"]
                    """);
    int port = server(catalog);
    MtlsWorkload web =
        workload(WEB_ID, Duration.ofMinutes(10))
            .apply(meshConfig("PERMISSIVE") + endpoints("catalog.shop", CATALOG_ID, port));

    try (Response r =
        client(web)
            .newCall(
                new Request.Builder()
                    .url("http://catalog.shop/items")
                    .header("x-spiffe-id", ADMIN_ID)
                    .header("x-forwarded-client-cert", "URI=" + ADMIN_ID)
                    .build())
            .execute()) {
      assertThat(r.code()).isEqualTo(403);
      assertThat(r.body().string())
          .isEqualTo(
              "mesh4j: denied for catalog.shop (no rule of AuthorizationPolicy shop/admins-only"
                  + " allows " + WEB_ID + ")\n");
    }
    assertThat(catalog.refusals("denied")).isEqualTo(1);
  }

  static String causes(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c).append('\n');
      for (Throwable s : c.getSuppressed()) {
        sb.append(causes(s));
      }
    }
    return sb.toString();
  }
}
