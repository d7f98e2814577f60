package io.mesh4j.grpc;

import static io.mesh4j.core.testing.MtlsWorkload.endpoints;
import static io.mesh4j.core.testing.MtlsWorkload.meshConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.mesh4j.core.call.SpiffeIds;
import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.telemetry.TlsRefusal;
import io.mesh4j.core.testing.MtlsWorkload;
import io.mesh4j.core.tls.MeshTls;
import io.mesh4j.grpc.testing.EchoService;
import io.mesh4j.grpc.testing.GrpcExtension;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Mutual TLS between meshed gRPC clients and servers on loopback, with real rotations. */
class MtlsGrpcTest {

  static final String CATALOG_ID = "spiffe://cluster.local/ns/shop/sa/catalog";
  static final String WEB_ID = "spiffe://cluster.local/ns/shop/sa/web";
  static final String PRICING_ID = "spiffe://cluster.local/ns/shop/sa/pricing";
  static final String ADMIN_ID = "spiffe://cluster.local/ns/ops/sa/admin";

  @RegisterExtension final GrpcExtension grpc = new GrpcExtension();

  final CertificateAuthority ca = CertificateAuthority.generate("cluster.local", Clock.systemUTC());
  /** Serial numbers of the client certificates the server saw, per call. */
  final Set<BigInteger> clientSerials = ConcurrentHashMap.newKeySet();
  /** The :authority of the calls the server received. */
  final Set<String> authorities = ConcurrentHashMap.newKeySet();

  MtlsWorkload workload(String id, Duration lifetime) {
    return grpc.register(MtlsWorkload.start(ca, id, lifetime));
  }

  /** A started catalog server with the mesh's credentials and interceptor. */
  Server server(MtlsWorkload w, ServerCredentials credentials, Duration maxConnectionAge)
      throws Exception {
    ServerServiceDefinition echo =
        ServerServiceDefinition.builder(EchoService.SERVICE)
            .addMethod(
                EchoService.UNARY,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext("catalog:" + request);
                      response.onCompleted();
                    }))
            .addMethod(
                EchoService.OTHER,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext("other");
                      response.onCompleted();
                    }))
            .build();
    ServerInterceptor recordSerial =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            SSLSession s = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            authorities.add(String.valueOf(call.getAuthority()));
            if (s != null) {
              try {
                clientSerials.add(((X509Certificate) s.getPeerCertificates()[0]).getSerialNumber());
              } catch (Exception e) {
                // no client certificate
              }
            }
            return next.startCall(call, headers);
          }
        };
    var builder =
        io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(
                new InetSocketAddress("127.0.0.1", 0), credentials)
            .addService(
                ServerInterceptors.intercept(
                    echo,
                    MeshServerInterceptors.forService(w.mesh(), "catalog.shop"),
                    recordSerial));
    if (maxConnectionAge != null) {
      // New connections (and so new handshakes) keep coming during the test.
      builder
          .maxConnectionAge(maxConnectionAge.toMillis(), TimeUnit.MILLISECONDS)
          .maxConnectionAgeGrace(5, TimeUnit.SECONDS);
    }
    Server server = builder.build().start();
    grpc.register(
        () -> {
          server.shutdownNow();
          server.awaitTermination(5, TimeUnit.SECONDS);
        });
    return server;
  }

  static String call(ManagedChannel channel, String body) {
    return ClientCalls.blockingUnaryCall(
        channel, EchoService.UNARY, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), body);
  }

  /** Calls from two threads until stopped; counts successes and keeps the first failure. */
  static final class Load implements AutoCloseable {
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    final Thread[] threads = new Thread[2];

    Load(ManagedChannel channel) {
      for (int i = 0; i < threads.length; i++) {
        threads[i] =
            new Thread(
                () -> {
                  while (running.get()) {
                    try {
                      assertThat(call(channel, "x")).isEqualTo("catalog:x");
                      ok.incrementAndGet();
                    } catch (Throwable t) {
                      failed.incrementAndGet();
                      firstFailure.compareAndSet(null, t);
                    }
                  }
                },
                "load-" + i);
        threads[i].setDaemon(true);
        threads[i].start();
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(10_000);
      }
    }
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
    Server server =
        server(catalog, MeshServerCredentials.create(catalog.mesh()), Duration.ofSeconds(4));
    MtlsWorkload web =
        workload(WEB_ID, lifetime)
            .apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, server.getPort()));
    ManagedChannel channel =
        grpc.channel(MeshChannels.forServiceWithMtls(web.mesh(), "catalog.shop"));
    int webStart = web.renewals();
    int catalogStart = catalog.renewals();
    Set<BigInteger> serverSerials = ConcurrentHashMap.newKeySet();
    AtomicInteger probeFailures = new AtomicInteger();

    try (Load load = new Load(channel)) {
      // Besides the long-lived channel, fresh clients keep making full handshakes (no session to
      // resume), so the certificates each side presents are observed as they rotate.
      Thread prober =
          new Thread(
              () -> {
                while (load.running.get()) {
                  try {
                    ManagedChannel fresh =
                        MeshChannels.forServiceWithMtls(web.mesh(), "catalog.shop");
                    try {
                      assertThat(call(fresh, "probe")).isEqualTo("catalog:probe");
                    } finally {
                      fresh.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                    }
                    serverSerials.add(serverCertificate(web, server.getPort()).getSerialNumber());
                    Thread.sleep(1000);
                  } catch (InterruptedException e) {
                    return;
                  } catch (Throwable t) {
                    probeFailures.incrementAndGet();
                    load.firstFailure.compareAndSet(null, t);
                  }
                }
              },
              "prober");
      prober.setDaemon(true);
      prober.start();
      await()
          .atMost(Duration.ofSeconds(80))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  (web.renewals() - webStart >= 3
                          && catalog.renewals() - catalogStart >= 3
                          && clientSerials.size() >= 4
                          && serverSerials.size() >= 4)
                      || load.failed.get() > 0
                      || probeFailures.get() > 0);
      load.close();
      prober.join(10_000);
      assertThat(load.firstFailure.get()).as("first failed call").isNull();
      assertThat(load.failed).hasValue(0);
      assertThat(probeFailures).hasValue(0);
      assertThat(load.ok.get()).isGreaterThan(100);
      System.out.printf(
          "mTLS gRPC: %d calls on one channel, 0 failed; %d client / %d server rotations; %d client"
              + " and %d server certificates seen in fresh handshakes%n",
          load.ok.get(), web.renewals() - webStart, catalog.renewals() - catalogStart,
          clientSerials.size(), serverSerials.size());
    }
    assertThat(web.renewals() - webStart).isGreaterThanOrEqualTo(3);
    assertThat(catalog.renewals() - catalogStart).isGreaterThanOrEqualTo(3);
    // the first certificate and three rotated ones, on each side
    assertThat(clientSerials).hasSizeGreaterThanOrEqualTo(4);
    assertThat(serverSerials).hasSizeGreaterThanOrEqualTo(4);
    assertThat(web.refusals()).isEmpty();
    assertThat(catalog.refusals()).isEmpty();
  }

  /** The certificate the server presents to a fresh TLS client of {@code w}'s mesh. */
  private static X509Certificate serverCertificate(MtlsWorkload w, int port) throws Exception {
    javax.net.ssl.SSLContext ctx =
        MeshTls.forMesh(w.mesh()).clientContext(MeshTls.forMesh(w.mesh()).expectedPeers());
    try (javax.net.ssl.SSLSocket s =
        (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      javax.net.ssl.SSLParameters params = s.getSSLParameters();
      params.setApplicationProtocols(new String[] {"h2"});
      s.setSSLParameters(params);
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  @Test
  @Timeout(120)
  void caRootRotationWithOverlapUnderLoadFailsNoCall() throws Exception {
    Duration lifetime = Duration.ofSeconds(6);
    MtlsWorkload catalog = workload(CATALOG_ID, lifetime).apply(meshConfig("STRICT"));
    Server server =
        server(catalog, MeshServerCredentials.create(catalog.mesh()), Duration.ofSeconds(2));
    MtlsWorkload web =
        workload(WEB_ID, lifetime)
            .apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, server.getPort()));
    ManagedChannel channel =
        grpc.channel(MeshChannels.forServiceWithMtls(web.mesh(), "catalog.shop"));
    X509Certificate oldRoot = ca.signingRoot().certificate();
    CertificateAuthority.Root newRoot =
        CertificateAuthority.Root.generate("cluster.local", Duration.ofDays(30), Clock.systemUTC());

    try (Load load = new Load(channel)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> load.ok.get() > 20);
      ca.beginRotation(newRoot);
      everyoneRenews(web, catalog);
      assertThat(web.mesh().identity().require().trustBundle()).hasSize(2);
      ca.promote();
      everyoneRenews(web, catalog);
      assertThat(web.mesh().identity().require().chain().get(1)).isEqualTo(newRoot.certificate());
      ca.retire(oldRoot);
      everyoneRenews(web, catalog);
      assertThat(catalog.mesh().identity().require().trustBundle())
          .containsExactly(newRoot.certificate());
      // connections made after the retirement use only the new root
      int before = load.ok.get();
      await().atMost(Duration.ofSeconds(20)).until(() -> load.ok.get() > before + 50);
      load.close();
      assertThat(load.firstFailure.get()).as("first failed call").isNull();
      assertThat(load.failed).hasValue(0);
      System.out.printf("CA root rotation under load: %d calls, 0 failed%n", load.ok.get());
    }
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
    Server server = server(catalog, MeshServerCredentials.create(catalog.mesh()), null);
    MtlsWorkload web = grpc.register(MtlsWorkload.fixed(MtlsWorkload.expired(ca, WEB_ID)));
    web.apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, server.getPort()));
    ManagedChannel channel =
        grpc.channel(MeshChannels.forServiceWithMtls(web.mesh(), "catalog.shop"));

    assertThatThrownBy(() -> call(channel, "x"))
        .isInstanceOf(StatusRuntimeException.class)
        .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    await().atMost(Duration.ofSeconds(5)).until(() -> catalog.tlsRefusals("server", "expired") >= 1);
    assertThat(catalog.refusals().get(0).message())
        .startsWith("mesh4j: client ")
        .contains("presented " + WEB_ID + " whose certificate expired at ");
  }

  @Test
  @Timeout(60)
  void aCertificateFromAnUntrustedAuthorityIsRefusedAndCounted() throws Exception {
    MtlsWorkload catalog = workload(CATALOG_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    Server server = server(catalog, MeshServerCredentials.create(catalog.mesh()), null);
    CertificateAuthority rogue = CertificateAuthority.generate("cluster.local", Clock.systemUTC());
    // the rogue client trusts the real CA, so only the server's check can stop it
    var forged = MtlsWorkload.material(rogue, WEB_ID, Duration.ofMinutes(10));
    MtlsWorkload web =
        grpc.register(
            MtlsWorkload.fixed(
                new io.mesh4j.core.identity.IdentityMaterial(
                    forged.privateKey(), forged.chain(), ca.trustBundle())));
    web.apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, server.getPort()));
    ManagedChannel channel =
        grpc.channel(MeshChannels.forServiceWithMtls(web.mesh(), "catalog.shop"));

    assertThatThrownBy(() -> call(channel, "x"))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageStartingWith("UNAVAILABLE");
    await().atMost(Duration.ofSeconds(5)).until(() -> catalog.tlsRefusals("server", "untrusted") >= 1);
    assertThat(catalog.refusals().get(0).message())
        .contains("presented " + WEB_ID + " issued by " + rogue.signingRoot().certificate().getSubjectX500Principal())
        .contains("which does not chain to the trust bundle");
  }

  @Test
  @Timeout(60)
  void aServerWhoseIdentityIsNotTheExpectedDestinationIsRefusedByTheClient() throws Exception {
    MtlsWorkload pricing = workload(PRICING_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    Server server = server(pricing, MeshServerCredentials.create(pricing.mesh()), null);
    MtlsWorkload web =
        workload(WEB_ID, Duration.ofMinutes(10))
            .apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, server.getPort()));
    ManagedChannel channel =
        grpc.channel(MeshChannels.forServiceWithMtls(web.mesh(), "catalog.shop"));

    StatusRuntimeException e =
        (StatusRuntimeException) org.assertj.core.api.Assertions.catchThrowable(() -> call(channel, "x"));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    String expected =
        "mesh4j: peer 127.0.0.1:" + server.getPort() + " presented " + PRICING_ID + ", expected "
            + CATALOG_ID;
    assertThat(causes(e)).contains(expected);
    assertThat(web.tlsRefusals("client", "wrong_identity")).isGreaterThanOrEqualTo(1);
    assertThat(web.refusals().get(0).message()).isEqualTo(expected);
  }

  @Test
  @Timeout(60)
  void plaintextAndCertificateLessCallsToAStrictServerAreRefusedAndCounted() throws Exception {
    MtlsWorkload catalog = workload(CATALOG_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    Server tlsPort = server(catalog, MeshServerCredentials.create(catalog.mesh()), null);
    Server plainPort = server(catalog, InsecureServerCredentials.create(), null);

    // a plaintext port of a STRICT workload: the call reaches the interceptor and is refused
    ManagedChannel plain =
        grpc.channel(
            Grpc.newChannelBuilderForAddress("127.0.0.1", plainPort.getPort(),
                    InsecureChannelCredentials.create())
                .build());
    assertThatThrownBy(() -> call(plain, "x"))
        .hasMessage(
            "UNAUTHENTICATED: mesh4j: unauthenticated call for catalog.shop (mtls is STRICT and"
                + " the call came over plaintext)");
    assertThat(catalog.tlsRefusals("server", "plaintext")).isEqualTo(1);
    assertThat(catalog.refusals("unauthenticated")).isEqualTo(1);

    // TLS without a client certificate
    ManagedChannel noCert =
        grpc.channel(
            Grpc.newChannelBuilderForAddress("127.0.0.1", tlsPort.getPort(),
                    TlsChannelCredentials.newBuilder()
                        .trustManager(
                            MeshTls.forMesh(catalog.mesh())
                                .clientTrustManager((h, p) -> CATALOG_ID))
                        .build())
                .overrideAuthority("127.0.0.1")
                .build());
    assertThatThrownBy(() -> call(noCert, "x"))
        .hasMessage(
            "UNAUTHENTICATED: mesh4j: unauthenticated call for catalog.shop (mtls is STRICT and"
                + " the caller presented no client certificate)");
    assertThat(catalog.tlsRefusals("server", "no_client_certificate")).isEqualTo(1);

    // plaintext to the TLS port fails in the transport, before any call exists
    ManagedChannel plainToTls =
        grpc.channel(
            Grpc.newChannelBuilderForAddress("127.0.0.1", tlsPort.getPort(),
                    InsecureChannelCredentials.create())
                .build());
    assertThatThrownBy(() -> call(plainToTls, "x"))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageStartingWith("UNAVAILABLE");

    // once the mesh turns PERMISSIVE, the same plaintext caller is admitted as anonymous
    catalog.apply(meshConfig("PERMISSIVE"));
    assertThat(call(plain, "x")).isEqualTo("catalog:x");
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
    Server server = server(catalog, MeshServerCredentials.create(catalog.mesh()), null);
    MtlsWorkload web =
        workload(WEB_ID, Duration.ofMinutes(10))
            .apply(meshConfig("PERMISSIVE") + endpoints("catalog.shop", CATALOG_ID, server.getPort()));
    Metadata claim = new Metadata();
    claim.put(Metadata.Key.of("x-spiffe-id", Metadata.ASCII_STRING_MARSHALLER), ADMIN_ID);
    claim.put(Metadata.Key.of("x-forwarded-client-cert", Metadata.ASCII_STRING_MARSHALLER),
        "URI=" + ADMIN_ID);
    ManagedChannel channel =
        grpc.channel(
            MeshChannels.builderForService(web.mesh(), "catalog.shop", MeshTls.forMesh(web.mesh()))
                .intercept(MetadataUtils.newAttachHeadersInterceptor(claim))
                .build());

    assertThatThrownBy(() -> call(channel, "x"))
        .hasMessage(
            "PERMISSION_DENIED: mesh4j: denied for catalog.shop (no rule of AuthorizationPolicy"
                + " shop/admins-only allows " + WEB_ID + ")");
    assertThat(catalog.refusals("denied")).isEqualTo(1);
  }

  @Test
  @Timeout(60)
  void theServerSeesTheVerifiedClientIdentity() throws Exception {
    MtlsWorkload catalog = workload(CATALOG_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    Server server = server(catalog, MeshServerCredentials.create(catalog.mesh()), null);
    MtlsWorkload web =
        workload(WEB_ID, Duration.ofMinutes(10))
            .apply(meshConfig("STRICT") + endpoints("catalog.shop", null, server.getPort()));
    ManagedChannel channel =
        grpc.channel(MeshChannels.forServiceWithMtls(web.mesh(), "catalog.shop"));
    // without an identity in the policy, any ID of the trust domain is accepted
    assertThat(call(channel, "x")).isEqualTo("catalog:x");
    assertThat(clientSerials)
        .containsExactly(web.mesh().identity().require().leaf().getSerialNumber());
    assertThat(authorities).containsExactly("127.0.0.1:" + server.getPort());
    assertThat(SpiffeIds.fromChain(web.mesh().identity().require().chain().toArray(new X509Certificate[0])))
        .isEqualTo(WEB_ID);
  }

  @Test
  @Timeout(60)
  void anEndpointReachedOnItsGrpcPortIsVerifiedByTheIdentityThePolicyGivesIt() throws Exception {
    MtlsWorkload catalog = workload(CATALOG_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    Server catalogServer = server(catalog, MeshServerCredentials.create(catalog.mesh()), null);
    MtlsWorkload pricing = workload(PRICING_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    Server pricingServer = server(pricing, MeshServerCredentials.create(pricing.mesh()), null);
    // The endpoints' own ports: bound, so nothing else takes them, and never dialled.
    try (ServerSocket httpA = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket httpB = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      MtlsWorkload web =
          workload(WEB_ID, Duration.ofMinutes(10))
              .apply(
                  meshConfig("STRICT")
                      + grpcPortEndpoint("catalog.shop", httpA.getLocalPort(), catalogServer.getPort())
                      + grpcPortEndpoint("pricing.shop", httpB.getLocalPort(), pricingServer.getPort()));

      ManagedChannel toCatalog = grpc.channel(MeshChannels.forServiceWithMtls(web.mesh(), "catalog.shop"));
      assertThat(call(toCatalog, "x")).isEqualTo("catalog:x");
      // the connection's authority is the endpoint's name, which the TLS handshake verifies by
      assertThat(authorities).containsExactly("127.0.0.1:" + httpA.getLocalPort());

      // pricing's endpoint answers with pricing's certificate where the policy expects catalog's
      ManagedChannel toPricing = grpc.channel(MeshChannels.forServiceWithMtls(web.mesh(), "pricing.shop"));
      StatusRuntimeException e =
          (StatusRuntimeException) org.assertj.core.api.Assertions.catchThrowable(() -> call(toPricing, "x"));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(causes(e))
          .contains(
              "mesh4j: peer 127.0.0.1:" + httpB.getLocalPort() + " presented " + PRICING_ID
                  + ", expected " + CATALOG_ID);
    }
  }

  /** One endpoint of {@code service} on 127.0.0.1, serving gRPC on {@code grpcPort}, as catalog. */
  private static String grpcPortEndpoint(String service, int port, int grpcPort) {
    String[] parts = service.split("\\.");
    return "apiVersion: mesh4j.io/v1alpha1\nkind: ServiceEndpoints\nmetadata: {name: " + parts[0]
        + ", namespace: " + parts[1] + "}\nspec:\n  service: " + service + "\n  endpoints:\n"
        + "    - {address: 127.0.0.1, port: " + port + ", grpcPort: " + grpcPort + ", identity: \""
        + CATALOG_ID + "\"}\n---\n";
  }

  private static String causes(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c).append('\n');
    }
    return sb.toString();
  }
}
