package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.mesh4j.controller.ca.DirectoryRootStore;
import io.mesh4j.controller.ca.TokenFileAuthenticator;
import io.mesh4j.controller.serve.ApplicationStatus;
import io.mesh4j.controller.serve.StreamRefusal;
import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.identity.Csr;
import io.mesh4j.core.identity.IdentityMaterial;
import io.mesh4j.core.identity.WorkloadIdentity;
import io.mesh4j.wire.v1.Ack;
import io.mesh4j.core.tls.MeshKeyManager;
import java.security.KeyPair;
import io.mesh4j.wire.v1.ClientMessage;
import io.mesh4j.wire.v1.Hello;
import io.mesh4j.wire.v1.Nack;
import io.mesh4j.wire.v1.PolicyServiceGrpc;
import io.mesh4j.wire.v1.Problem;
import io.mesh4j.wire.v1.ServerMessage;
import io.mesh4j.wire.v1.Version;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.client.ControllerConfigSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy stream attacked as a peer on the pod network would: each case states the exact
 * outcome (status, message, counter) and then proves that a legitimate application, connected
 * the whole time over the default secure setup (TLS from the controller's CA, a bootstrap
 * token), still receives the next change within one second.
 */
@Timeout(60)
class PolicyStreamAttackTest {

  private static final String FRONTEND_TOKEN = "frontend-0123456789abcdef";
  private static final String CATALOG_TOKEN = "catalog-0123456789abcdef";
  private static final String ATTACKER_TOKEN = "attacker-0123456789abcdef";
  private static final String OTHER_NAMESPACE_TOKEN = "othernamespace-0123456789";

  @TempDir Path dir;
  private Path config;
  private Path rootFile;
  private MeshController controller;
  private ManagedChannel channel;
  private RecordingApplication legitimate;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private int nextWeight = 11;

  @BeforeEach
  void start() throws Exception {
    config = Files.createDirectories(dir.resolve("config"));
    LocalDirectory.write(config, "mesh.yaml", LocalDirectory.MESH);
    LocalDirectory.write(config, "catalog.yaml", LocalDirectory.catalogRoute(90, 10));
    LocalDirectory.write(config, "catalog-endpoints.yaml", CATALOG_ENDPOINTS);
    LocalDirectory.write(config, "catalog-authz.yaml", CATALOG_AUTHZ);
    Path tokens =
        Files.writeString(
            dir.resolve("tokens"),
            FRONTEND_TOKEN + " shop/frontend\n"
                + CATALOG_TOKEN + " shop/catalog\n"
                + ATTACKER_TOKEN + " shop/attacker\n"
                + OTHER_NAMESPACE_TOKEN + " other/attacker\n");
    rootFile = dir.resolve(MeshController.ROOT_FILE);
    controller =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                config,
                new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.tls(
                        new DirectoryRootStore(dir.resolve("ca"), Duration.ofDays(30), InstantSource.system()),
                        TokenFileAuthenticator.load(tokens),
                        List.of("127.0.0.1"))
                    .withRootFile(rootFile)));
    channel = tlsChannel();
    legitimate = new RecordingApplication();
    ControllerConfigSource source =
        ControllerConfigSource.builder("127.0.0.1:" + controller.grpcPort())
            .trustedRoots(rootFile)
            .tokenFile(Files.writeString(dir.resolve("frontend.token"), FRONTEND_TOKEN))
            .application("frontend")
            .namespace("shop")
            .calls("catalog")
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .random(new SplittableRandom(42))
            .build();
    toClose.add(source);
    source.start(legitimate);
    await().atMost(Duration.ofSeconds(10)).until(() -> !legitimate.applied.isEmpty());
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    controller.close();
  }

  // --- authentication

  @Test
  void aStreamWithoutATokenIsRefusedBeforeAnyMessageIsRead() throws Exception {
    Status status = open(null).hello(hello("frontend", "shop")).closed();

    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription())
        .isEqualTo("mesh4j: the policy stream needs the workload's mesh certificate or its token as 'authorization: Bearer <token>'");
    assertThat(refusals(StreamRefusal.UNAUTHENTICATED)).isEqualTo(1);
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void aStreamWithAnUnknownTokenIsRefused() throws Exception {
    Status status = open("not-a-token-of-this-mesh").hello(hello("frontend", "shop")).closed();

    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription()).startsWith("mesh4j: policy stream refused: ").doesNotContain("not-a-token-of-this-mesh");
    assertThat(refusals(StreamRefusal.UNAUTHENTICATED)).isEqualTo(1);
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void aBearerHeaderWithoutATokenOrWithAnOversizedOneIsRefused() throws Exception {
    Status empty = openWithAuthorization("Bearer ").hello(hello("frontend", "shop")).closed();
    Status huge = openWithAuthorization("Bearer " + "x".repeat(20_000)).hello(hello("frontend", "shop")).closed();
    Status basic = openWithAuthorization("Basic dXNlcjpwYXNz").hello(hello("frontend", "shop")).closed();

    assertThat(empty.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(empty.getDescription()).isEqualTo("mesh4j: the bearer token is empty or longer than 16384 characters");
    assertThat(huge.getDescription()).isEqualTo("mesh4j: the bearer token is empty or longer than 16384 characters");
    assertThat(basic.getDescription()).startsWith("mesh4j: the policy stream needs the workload's mesh certificate or its token");
    assertThat(refusals(StreamRefusal.UNAUTHENTICATED)).isEqualTo(3);
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void aPlaintextClientCannotTalkToTheTlsPort() throws Exception {
    ManagedChannel plaintext =
        Grpc.newChannelBuilderForAddress("127.0.0.1", controller.grpcPort(), InsecureChannelCredentials.create()).build();
    try {
      RawStream stream = new RawStream();
      stream.requests = PolicyServiceGrpc.newStub(plaintext).subscribe(stream);
      stream.requests.onNext(ClientMessage.newBuilder().setHello(hello("frontend", "shop")).build());

      assertThat(stream.closed().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(stream.received).isEmpty();
    } finally {
      plaintext.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void anApplicationWithAMeshCertificateNeedsNoTokenAndCannotClaimAnotherIdentity() throws Exception {
    WorkloadIdentity frontend = certificateFor("spiffe://cluster.local/ns/shop/sa/frontend");
    RecordingApplication app = new RecordingApplication();
    ControllerConfigSource source =
        ControllerConfigSource.builder("127.0.0.1:" + controller.grpcPort())
            .trustedRoots(rootFile)
            .clientCertificate(frontend)
            .application("frontend-mtls")
            .namespace("shop")
            .calls("catalog")
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .random(new SplittableRandom(3))
            .build();
    toClose.add(source);
    source.start(app);
    await().atMost(Duration.ofSeconds(10)).until(() -> !app.applied.isEmpty());
    assertThat(statusOf("frontend-mtls").identity()).isEqualTo("spiffe://cluster.local/ns/shop/sa/frontend");

    ManagedChannel withCertificate =
        Grpc.newChannelBuilderForAddress("127.0.0.1", controller.grpcPort(),
                TlsChannelCredentials.newBuilder().trustManager(rootFile.toFile()).keyManager(new MeshKeyManager(frontend)).build())
            .build();
    try {
      Status status = open(withCertificate, new Metadata()).hello(hello("catalog", "shop").toBuilder().addServes("catalog").build()).closed();
      assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(status.getDescription()).startsWith("mesh4j: spiffe://cluster.local/ns/shop/sa/frontend does not serve catalog.shop");
    } finally {
      withCertificate.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    int v1 = nextWeight;
    legitimateApplicationKeepsReceivingUpdates();
    await().atMost(Duration.ofSeconds(1)).until(() -> LocalDirectory.weights(app.current()).equals(List.of(v1, 100 - v1)));
  }

  @Test
  void aCertificateFromAnotherCaIsRefusedInTheHandshake() throws Exception {
    CertificateAuthority foreign = CertificateAuthority.generate("cluster.local", InstantSource.system());
    KeyPair keys = Csr.generateKeyPair();
    WorkloadIdentity forged = WorkloadIdentity.of(new IdentityMaterial(keys.getPrivate(),
        foreign.sign(Csr.create(keys), "spiffe://cluster.local/ns/shop/sa/catalog", Duration.ofHours(1)), foreign.trustBundle()));
    ManagedChannel withForged =
        Grpc.newChannelBuilderForAddress("127.0.0.1", controller.grpcPort(),
                TlsChannelCredentials.newBuilder().trustManager(rootFile.toFile()).keyManager(new MeshKeyManager(forged)).build())
            .build();
    try {
      Status status = open(withForged, new Metadata()).hello(hello("catalog", "shop").toBuilder().addServes("catalog").build()).closed();
      assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      withForged.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    legitimateApplicationKeepsReceivingUpdates();
  }

  private WorkloadIdentity certificateFor(String spiffeId) {
    CertificateAuthority ca = controller.certificateAuthority();
    KeyPair keys = Csr.generateKeyPair();
    return WorkloadIdentity.of(
        new IdentityMaterial(keys.getPrivate(), ca.sign(Csr.create(keys), spiffeId, Duration.ofHours(1)), ca.trustBundle()));
  }

  // --- identity comes from the token, never from the Hello

  @Test
  void aHelloThatClaimsAnotherNamespaceIsRefused() throws Exception {
    Status status = open(OTHER_NAMESPACE_TOKEN).hello(hello("frontend", "shop")).closed();

    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription())
        .isEqualTo("mesh4j: the stream authenticated as other/attacker but its Hello claims namespace shop");
    assertThat(refusals(StreamRefusal.IDENTITY_MISMATCH)).isEqualTo(1);
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void aHelloThatClaimsAnotherSpiffeIdIsRefused() throws Exception {
    Hello claim = hello("frontend", "shop").toBuilder().setIdentity("spiffe://cluster.local/ns/shop/sa/frontend").build();

    Status status = open(ATTACKER_TOKEN).hello(claim).closed();

    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription())
        .isEqualTo("mesh4j: the stream authenticated as spiffe://cluster.local/ns/shop/sa/attacker but its Hello"
            + " claims identity spiffe://cluster.local/ns/shop/sa/frontend");
    assertThat(refusals(StreamRefusal.IDENTITY_MISMATCH)).isEqualTo(1);
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void aStreamThatClaimsToServeAnotherApplicationsServiceGetsNothingOfIt() throws Exception {
    Hello claim = hello("catalog", "shop").toBuilder().addServes("catalog").build();

    RawStream stream = open(ATTACKER_TOKEN).hello(claim);
    Status status = stream.closed();

    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription())
        .isEqualTo("mesh4j: spiffe://cluster.local/ns/shop/sa/attacker does not serve catalog.shop; a workload serves"
            + " a service of its own namespace named after its service account or whose endpoints carry its identity");
    assertThat(stream.received).isEmpty();
    assertThat(refusals(StreamRefusal.NOT_SERVED_BY_CALLER)).isEqualTo(1);
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void theServiceItselfReceivesItsAuthorizationPolicyAndACallerDoesNot() throws Exception {
    RawStream server = open(CATALOG_TOKEN).hello(hello("catalog", "shop").toBuilder().addServes("catalog").build());
    RawStream caller = open(ATTACKER_TOKEN).hello(hello("attacker", "shop").toBuilder().addCalls("catalog").build());

    assertThat(refs(server.next())).contains("AuthorizationPolicy shop/catalog-readers");
    assertThat(refs(caller.next()))
        .contains("TrafficRoute shop/catalog", "ServiceEndpoints shop/catalog")
        .doesNotContain("AuthorizationPolicy shop/catalog-readers");
    legitimateApplicationKeepsReceivingUpdates();
  }

  // --- versions no client can move

  @Test
  void versionPoisoningByAHelloHoldingTheLargestNumberCannotFreezeTheMesh() throws Exception {
    long before = legitimate.current().version();
    Version poison = Version.newBuilder().setNumber(Long.MAX_VALUE).setHash("forged").build();

    RawStream attacker = open(ATTACKER_TOKEN).hello(hello("attacker", "shop").toBuilder().addCalls("catalog").setHeld(poison).build());
    ServerMessage first = attacker.next();

    assertThat(first.hasSnapshot()).as("a forged hash means the client holds nothing").isTrue();
    assertThat(first.getSnapshot().getVersion().getNumber()).isBetween(before, Long.MAX_VALUE - 1);
    legitimateApplicationKeepsReceivingUpdates();
    assertThat(legitimate.current().version()).isGreaterThan(before).isLessThan(Long.MAX_VALUE);
  }

  @Test
  void versionPoisoningWithTheRealHashIsAnsweredWithTheControllersOwnNumber() throws Exception {
    RawStream probe = open(ATTACKER_TOKEN).hello(hello("attacker", "shop").toBuilder().addCalls("catalog").build());
    Version real = probe.next().getSnapshot().getVersion();
    Version poison = real.toBuilder().setNumber(Long.MAX_VALUE).build();

    RawStream attacker = open(ATTACKER_TOKEN).hello(hello("attacker", "shop").toBuilder().addCalls("catalog").setHeld(poison).build());
    ServerMessage first = attacker.next();

    assertThat(first.hasCurrent()).isTrue();
    assertThat(first.getCurrent().getVersion()).isEqualTo(real);
    legitimateApplicationKeepsReceivingUpdates();
    assertThat(legitimate.current().version()).isLessThan(Long.MAX_VALUE);
  }

  @Test
  void anApplicationThatHoldsAPoisonedNumberStillReceivesTheNextChange() throws Exception {
    // What an application cached while a compromised or older controller handed out MAX_VALUE.
    Path cache = dir.resolve("poisoned.pb");
    Files.write(cache, io.mesh4j.wire.v1.Snapshots.renumber(
        io.mesh4j.wire.v1.Snapshots.encode(0, PolicySet.parse(LocalDirectory.catalogRoute(50, 50)).resources()),
        Long.MAX_VALUE).toByteArray());
    RecordingApplication poisoned = new RecordingApplication();
    ControllerConfigSource source =
        ControllerConfigSource.builder("127.0.0.1:" + controller.grpcPort())
            .trustedRoots(rootFile)
            .tokenFile(Files.writeString(dir.resolve("f.token"), FRONTEND_TOKEN))
            .application("frontend-2")
            .namespace("shop")
            .calls("catalog")
            .cacheFile(cache)
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .random(new SplittableRandom(7))
            .build();
    toClose.add(source);
    source.start(poisoned);
    await().atMost(Duration.ofSeconds(10)).until(() -> source.status().connected() && poisoned.applied.size() == 2);
    assertThat(source.status().version()).isLessThan(Long.MAX_VALUE);

    int v1 = nextWeight;
    legitimateApplicationKeepsReceivingUpdates();
    await().atMost(Duration.ofSeconds(1)).until(() -> LocalDirectory.weights(poisoned.current()).equals(List.of(v1, 100 - v1)));
  }

  @Test
  void anAckForAVersionNeverSentIsIgnoredAndCounted() throws Exception {
    RawStream attacker = open(ATTACKER_TOKEN).hello(hello("attacker", "shop").toBuilder().addCalls("catalog").build());
    Version sent = attacker.next().getSnapshot().getVersion();

    attacker.send(ack(Version.newBuilder().setNumber(999_999).setHash("forged").build()));
    attacker.send(ack(sent.toBuilder().setHash("forged").build()));

    await().atMost(Duration.ofSeconds(5)).until(() -> refusals(StreamRefusal.UNKNOWN_VERSION) == 2);
    ApplicationStatus status = statusOf("attacker");
    assertThat(status.ackedVersion()).isZero();
    assertThat(status.ackedHash()).isEmpty();
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void aNackForAVersionNeverSentIsIgnoredAndCounted() throws Exception {
    RawStream attacker = open(ATTACKER_TOKEN).hello(hello("attacker", "shop").toBuilder().addCalls("catalog").build());
    attacker.next();

    attacker.send(nack(Version.newBuilder().setNumber(42).setHash("forged").build(), 1));

    await().atMost(Duration.ofSeconds(5)).until(() -> refusals(StreamRefusal.UNKNOWN_VERSION) == 1);
    assertThat(controller.distributor().nackCount()).isZero();
    assertThat(statusOf("attacker").lastNack()).isNull();
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void aSecondAnswerToTheSameVersionIsIgnoredAndCounted() throws Exception {
    RawStream attacker = open(ATTACKER_TOKEN).hello(hello("attacker", "shop").toBuilder().addCalls("catalog").build());
    Version sent = attacker.next().getSnapshot().getVersion();

    attacker.send(ack(sent));
    for (int i = 0; i < 50; i++) {
      attacker.send(nack(sent, 1));
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> refusals(StreamRefusal.DUPLICATE_ANSWER) == 50);
    assertThat(controller.distributor().nackCount()).isZero();
    assertThat(statusOf("attacker").ackedVersion()).isEqualTo(sent.getNumber());
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void hostileCallReportsAreIgnoredAndCountedAndOnlyAFloodOfThemClosesTheStream() throws Exception {
    RawStream attacker = open(ATTACKER_TOKEN);
    attacker.send(report(1_000, 1));
    attacker.hello(hello("attacker", "shop").toBuilder().addCalls("catalog").build());
    attacker.next();
    // the first is accepted; the others follow within milliseconds, far under the 500 ms spacing
    // (a malformed report is refused for what it is, whenever it comes)
    for (int i = 0; i < 5; i++) {
      attacker.send(report(1_000, 1));
    }
    attacker.send(report(1_000, io.mesh4j.wire.v1.CallReports.MAX_ROWS + 1));
    attacker.send(report(0, 1));

    await().atMost(Duration.ofSeconds(5)).until(
        () -> refusals(StreamRefusal.REPORT_BEFORE_HELLO) == 1
            && refusals(StreamRefusal.OVERSIZE_REPORT) == 1
            && refusals(StreamRefusal.INVALID_REPORT) == 1
            && refusals(StreamRefusal.REPORT_TOO_FREQUENT) >= 1);
    long tooFrequent = refusals(StreamRefusal.REPORT_TOO_FREQUENT);
    assertThat(tooFrequent).isBetween(1L, 4L);
    assertThat(attacker.closed.isDone()).isFalse();
    // counted for the identity the stream proved, under the name its Hello gave
    assertThat(adminGet("/mesh.json")).contains("\"from\":\"attacker\",\"fromNamespace\":\"shop\",\"to\":\"catalog.shop\"");

    for (long refused = tooFrequent + 2; refused < 64; refused++) {
      attacker.send(report(0, 1));
    }
    assertThat(attacker.closed().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refusals(StreamRefusal.TOO_MANY_REFUSED_REPORTS)).isEqualTo(1);
    legitimateApplicationKeepsReceivingUpdates();
  }

  /** A call report of {@code rows} rows of one call to catalog.shop each. */
  private static ClientMessage report(long intervalMillis, int rows) {
    io.mesh4j.wire.v1.CallReport.Builder report = io.mesh4j.wire.v1.CallReport.newBuilder().setIntervalMillis(intervalMillis);
    for (int i = 0; i < rows; i++) {
      report.addCalls(io.mesh4j.wire.v1.CallStats.newBuilder()
          .setDestination("catalog.shop").setRoute("default").setSubset("s" + i).setRequests(1).addLatencyBuckets(1));
    }
    return ClientMessage.newBuilder().setReport(report).build();
  }

  @Test
  void aNackWithTenThousandReasonsKeepsTwentyShortOnes() throws Exception {
    RawStream attacker = open(ATTACKER_TOKEN).hello(hello("attacker", "shop").toBuilder().addCalls("catalog").build());
    Version sent = attacker.next().getSnapshot().getVersion();

    // just under the 1 MiB message limit: one very long reason and ten thousand short ones
    Nack.Builder many = nack(sent, 0).getNack().toBuilder();
    many.addProblems(Problem.newBuilder().setResource("TrafficRoute shop/catalog").setExpected("x".repeat(50_000)));
    for (int i = 0; i < 10_000; i++) {
      many.addProblems(Problem.newBuilder().setResource("r").setExpected("e"));
    }
    attacker.send(ClientMessage.newBuilder().setNack(many).build());

    await().atMost(Duration.ofSeconds(5)).until(() -> statusOf("attacker").lastNack() != null);
    List<String> reasons = statusOf("attacker").lastNack().reasons();
    assertThat(reasons).hasSize(21).last().isEqualTo("(9981 more)");
    assertThat(reasons.get(0)).hasSizeLessThanOrEqualTo(1_003);
    legitimateApplicationKeepsReceivingUpdates();
  }

  // --- bounded state and work

  @Test
  void nacksFromTwoThousandClaimedApplicationNamesMakeOneSeriesForTheProvenIdentity() throws Exception {
    List<RawStream> streams = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      streams.add(open(ATTACKER_TOKEN).hello(hello("app-" + i, "shop").toBuilder().addCalls("catalog").build()));
    }
    for (RawStream s : streams) {
      s.send(nack(s.next().getSnapshot().getVersion(), 1));
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> controller.distributor().nackCount() == 200);
    assertThat(controller.distributor().nacksByApplication()).containsOnlyKeys("shop/attacker");
    assertThat(adminGet("/metrics"))
        .contains("mesh4j_controller_application_nacks_total{namespace=\"shop\",service_account=\"attacker\"} 200")
        .doesNotContain("app-17");
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void oneThousandConnectionsFromOnePeerGetAtMostTheStreamsOneIdentityMayHold() throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    List<RawStream> streams = new ArrayList<>();
    try {
      for (int i = 0; i < 1_000; i++) {
        ManagedChannel c = tlsChannel();
        channels.add(c);
        streams.add(open(c, bearer(ATTACKER_TOKEN)).hello(hello("flood", "shop").toBuilder().addCalls("catalog").build()));
      }
      legitimateApplicationKeepsReceivingUpdates();

      await().atMost(Duration.ofSeconds(40)).until(() -> refusals(StreamRefusal.TOO_MANY_STREAMS) == 744);
      RawStream refused = streams.stream().filter(s -> s.closed.isDone()).findFirst().orElseThrow();
      assertThat(refused.closed().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.closed().getDescription())
          .isEqualTo("mesh4j: shop/attacker already has 256 open policy streams, the most one identity may have");
      assertThat(controller.distributor().applications()).filteredOn(a -> a.application().equals("flood")).hasSize(256);
    } finally {
      for (ManagedChannel c : channels) {
        c.shutdownNow();
      }
    }
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void aHundredMegabyteMessageIsRefusedByTheTransport() throws Exception {
    RawBytes stream = openRaw(bearer(ATTACKER_TOKEN));
    stream.send(new byte[100 * 1024 * 1024]);

    Status status = stream.closed();
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("exceeds maximum size 1048576");
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void garbageBytesCloseOnlyTheirOwnStream() throws Exception {
    RawBytes stream = openRaw(bearer(ATTACKER_TOKEN));
    stream.send(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x01, 0x02});

    Status status = stream.closed();
    // gRPC itself fails the call whose bytes do not parse, before the distributor sees anything
    assertThat(status.getCode()).isEqualTo(Status.Code.UNKNOWN);
    assertThat(controller.distributor().refusals().values()).containsOnly(0L);
    assertThat(controller.distributor().applications()).extracting(ApplicationStatus::application).containsExactly("frontend");
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void aHelloNamingTooManyServicesOrAHugeNameIsRefused() throws Exception {
    Hello.Builder many = hello("attacker", "shop").toBuilder();
    for (int i = 0; i < 600; i++) {
      many.addCalls("svc-" + i);
    }
    Status tooMany = open(ATTACKER_TOKEN).hello(many.build()).closed();
    Status hugeName = open(ATTACKER_TOKEN).hello(hello("a".repeat(10_000), "shop")).closed();

    assertThat(tooMany.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(tooMany.getDescription()).isEqualTo("mesh4j: hello.calls, hello.serves: at most 512 services in all, got 600");
    assertThat(hugeName.getDescription())
        .startsWith("mesh4j: hello.application: must be a DNS subdomain of at most 253 characters, got \"aaaa")
        .endsWith("...\" (10000 characters)")
        .hasSizeLessThan(300);
    assertThat(refusals(StreamRefusal.INVALID_MESSAGE)).isEqualTo(2);
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void aSecondHelloOrAnEmptyMessageClosesTheStream() throws Exception {
    RawStream twice = open(ATTACKER_TOKEN).hello(hello("attacker", "shop").toBuilder().addCalls("catalog").build());
    twice.next();
    twice.send(ClientMessage.newBuilder().setHello(hello("frontend", "shop")).build());
    RawStream empty = open(ATTACKER_TOKEN).hello(hello("attacker", "shop").toBuilder().addCalls("catalog").build());
    empty.next();
    empty.send(ClientMessage.getDefaultInstance());

    assertThat(twice.closed().getDescription()).isEqualTo("mesh4j: a Hello may only be sent once, as the first message");
    assertThat(empty.closed().getDescription()).isEqualTo("mesh4j: a message of no known kind");
    assertThat(refusals(StreamRefusal.INVALID_MESSAGE)).isEqualTo(2);
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void anAdminEndpointCanPointOnlyAtTheStreamsOwnAddress() throws Exception {
    RawStream attacker = open(ATTACKER_TOKEN).hello(hello("attacker", "shop").toBuilder().addCalls("catalog").build());
    attacker.next();

    attacker.send(admin("http", 8080, "/actuator/mesh"));

    // only scheme, port and path travel: the host is the one the stream came from
    await().atMost(Duration.ofSeconds(5)).until(() -> statusOf("attacker").adminUrl().equals("http://127.0.0.1:8080/actuator/mesh"));
    assertThat(adminGet("/status/attacker")).contains("\"adminUrl\":\"http://127.0.0.1:8080/actuator/mesh\"")
        .doesNotContain("\"application\":\"frontend\"");
    assertThat(adminGet("/config/shop/attacker")).contains("\"ref\":\"ServiceEndpoints shop/catalog\"");
    assertThat(adminGet("/config/nobody")).isEqualTo("mesh4j: no application 'nobody' is connected; /status lists those that are\n");
  }

  @Test
  void aMalformedAdminEndpointOrANinthClosesTheStream() throws Exception {
    RawStream host = open(ATTACKER_TOKEN).hello(hello("attacker", "shop"));
    host.next();
    host.send(admin("http", 8080, "@evil.example/x"));
    RawStream scheme = open(ATTACKER_TOKEN).hello(hello("attacker", "shop"));
    scheme.next();
    scheme.send(admin("file", 8080, "/etc/passwd"));
    RawStream chatty = open(ATTACKER_TOKEN).hello(hello("attacker", "shop"));
    chatty.next();
    for (int i = 0; i < 9; i++) {
      chatty.send(admin("http", 8080 + i, "/actuator/mesh"));
    }

    assertThat(host.closed().getDescription()).startsWith("mesh4j: admin.path: must be / then at most 255 characters");
    assertThat(scheme.closed().getDescription()).isEqualTo("mesh4j: admin.scheme: must be http or https, got \"file\"");
    assertThat(chatty.closed().getDescription()).isEqualTo("mesh4j: admin: at most 8 per stream");
    assertThat(refusals(StreamRefusal.INVALID_MESSAGE)).isEqualTo(3);
    legitimateApplicationKeepsReceivingUpdates();
  }

  private static ClientMessage admin(String scheme, int port, String path) {
    return ClientMessage.newBuilder()
        .setAdmin(io.mesh4j.wire.v1.AdminEndpoint.newBuilder().setScheme(scheme).setPort(port).setPath(path))
        .build();
  }

  // --- the other inputs of the same controller, while the stream keeps flowing

  @Test
  void aCsrFloodAnOversizedCsrAndGarbageFromOneIdentityLeaveTheStreamsUntouched() throws Exception {
    io.mesh4j.wire.v1.CertificateServiceGrpc.CertificateServiceBlockingStub ca =
        io.mesh4j.wire.v1.CertificateServiceGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(ATTACKER_TOKEN)));
    List<Status.Code> codes = new ArrayList<>();
    byte[] csr = Csr.create(Csr.generateKeyPair());
    for (int i = 0; i < 20; i++) {
      codes.add(sign(ca, csr));
    }
    Status.Code oversized = sign(ca, new byte[64 * 1024]);
    Status.Code garbage = sign(ca, new byte[] {1, 2, 3});

    assertThat(codes.subList(0, 5)).containsOnly(Status.Code.OK);
    assertThat(codes.subList(5, 20)).containsOnly(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(oversized).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(garbage).isIn(Status.Code.INVALID_ARGUMENT, Status.Code.RESOURCE_EXHAUSTED);
    assertThat(adminGet("/metrics"))
        .contains("mesh4j_controller_certificate_refusals_total{reason=\"rate_limited\"} ")
        .contains("mesh4j_controller_certificate_refusals_total{reason=\"csr_too_large\"} 1");
    legitimateApplicationKeepsReceivingUpdates();
  }

  @Test
  void aYamlBombInTheWatchedDirectoryIsRefusedAndTheLastGoodPolicyKeepsFlowing() throws Exception {
    // 25 levels of two aliases each: within the alias count, 2^25 nodes once expanded
    StringBuilder bomb = new StringBuilder("a0: &a0 [x, x]\n");
    for (int i = 1; i <= 25; i++) {
      bomb.append("a").append(i).append(": &a").append(i).append(" [*a").append(i - 1).append(", *a").append(i - 1).append("]\n");
    }
    int before = legitimate.applied.size();

    LocalDirectory.write(config, "bomb.yaml", bomb.toString());

    await().atMost(Duration.ofSeconds(5)).until(() -> adminGet("/status").contains("bomb.yaml"));
    assertThat(adminGet("/status")).contains("once aliases are expanded");
    assertThat(legitimate.applied).hasSize(before);
    Files.delete(config.resolve("bomb.yaml"));
    legitimateApplicationKeepsReceivingUpdates();
  }

  private static Status.Code sign(io.mesh4j.wire.v1.CertificateServiceGrpc.CertificateServiceBlockingStub ca, byte[] csr) {
    try {
      ca.sign(io.mesh4j.wire.v1.SignRequest.newBuilder().setCsr(com.google.protobuf.ByteString.copyFrom(csr)).build());
      return Status.Code.OK;
    } catch (io.grpc.StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  // --- fixtures

  /** The next change of the catalog route reaches the legitimate application within one second. */
  private void legitimateApplicationKeepsReceivingUpdates() throws IOException {
    int v1 = nextWeight++;
    LocalDirectory.write(config, "catalog.yaml", LocalDirectory.catalogRoute(v1, 100 - v1));
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
        .until(() -> LocalDirectory.weights(legitimate.current()).equals(List.of(v1, 100 - v1)));
  }

  private long refusals(StreamRefusal reason) {
    return controller.distributor().refusals().get(reason);
  }

  private ApplicationStatus statusOf(String application) {
    return controller.distributor().applications().stream()
        .filter(a -> a.application().equals(application))
        .findFirst()
        .orElseThrow(() -> new AssertionError("not connected: " + application));
  }

  private String adminGet(String path) throws Exception {
    java.net.http.HttpResponse<String> r =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + controller.adminPort() + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    return r.body();
  }

  private ManagedChannel tlsChannel() throws IOException {
    return Grpc.newChannelBuilderForAddress(
            "127.0.0.1", controller.grpcPort(), TlsChannelCredentials.newBuilder().trustManager(rootFile.toFile()).build())
        .build();
  }

  private static Metadata bearer(String token) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return headers;
  }

  private RawStream open(@Nullable String token) {
    return open(channel, token == null ? new Metadata() : bearer(token));
  }

  private RawStream openWithAuthorization(String authorization) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
    return open(channel, headers);
  }

  private static RawStream open(ManagedChannel channel, Metadata headers) {
    RawStream stream = new RawStream();
    stream.requests =
        PolicyServiceGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)).subscribe(stream);
    return stream;
  }

  private RawBytes openRaw(Metadata headers) {
    MethodDescriptor<byte[], byte[]> subscribe =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(PolicyServiceGrpc.getSubscribeMethod().getFullMethodName())
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    ClientCall<byte[], byte[]> call = channel.newCall(subscribe, CallOptions.DEFAULT);
    RawBytes stream = new RawBytes(call);
    call.start(stream, headers);
    call.request(1);
    return stream;
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      };

  private static Hello hello(String application, String namespace) {
    return Hello.newBuilder().setApplication(application).setNamespace(namespace).build();
  }

  private static ClientMessage ack(Version version) {
    return ClientMessage.newBuilder().setAck(Ack.newBuilder().setVersion(version)).build();
  }

  private static ClientMessage nack(Version version, int problems) {
    Nack.Builder nack = Nack.newBuilder().setVersion(version);
    for (int i = 0; i < problems; i++) {
      nack.addProblems(Problem.newBuilder().setResource("TrafficRoute shop/catalog").setPath("spec").setExpected("refused"));
    }
    return ClientMessage.newBuilder().setNack(nack).build();
  }

  private static List<String> refs(ServerMessage message) {
    return message.getSnapshot().getResourcesList().stream().map(io.mesh4j.wire.v1.Resource::getRef).toList();
  }



  private static final String CATALOG_ENDPOINTS =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: catalog, namespace: shop}
      spec:
        service: catalog
        endpoints:
          - {address: 10.0.0.1, port: 8080, labels: {version: v1}, identity: "spiffe://cluster.local/ns/shop/sa/catalog"}
          - {address: 10.0.0.2, port: 8080, labels: {version: v2}, identity: "spiffe://cluster.local/ns/shop/sa/catalog"}
      """;

  private static final String CATALOG_AUTHZ =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: AuthorizationPolicy
      metadata: {name: catalog-readers, namespace: shop}
      spec:
        service: catalog
        action: ALLOW
        rules:
          - principals: ["spiffe://cluster.local/ns/shop/sa/frontend"]
      """;

  /** A raw policy stream, as an attacker drives it. */
  private static final class RawStream implements StreamObserver<ServerMessage> {
    final BlockingQueue<ServerMessage> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    StreamObserver<ClientMessage> requests;

    RawStream hello(Hello hello) {
      send(ClientMessage.newBuilder().setHello(hello).build());
      return this;
    }

    void send(ClientMessage message) {
      requests.onNext(message);
    }

    ServerMessage next() throws InterruptedException {
      ServerMessage m = received.poll(10, TimeUnit.SECONDS);
      if (m == null) {
        throw new AssertionError("no message within 10 s; closed: " + closed.getNow(null));
      }
      return m;
    }

    Status closed() throws Exception {
      return closed.get(20, TimeUnit.SECONDS);
    }

    @Override
    public void onNext(ServerMessage value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {
      closed.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      closed.complete(Status.OK);
    }
  }

  /** A stream that sends bytes the controller must parse, whatever they are. */
  private static final class RawBytes extends ClientCall.Listener<byte[]> {
    private final ClientCall<byte[], byte[]> call;
    final CompletableFuture<Status> closed = new CompletableFuture<>();

    RawBytes(ClientCall<byte[], byte[]> call) {
      this.call = call;
    }

    void send(byte[] bytes) {
      call.sendMessage(bytes);
    }

    Status closed() throws Exception {
      return closed.get(30, TimeUnit.SECONDS);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      closed.complete(status);
    }
  }
}
