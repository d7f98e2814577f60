package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.mesh4j.controller.ca.DirectoryRootStore;
import io.mesh4j.controller.ca.TokenFileAuthenticator;
import io.mesh4j.controller.serve.ApplicationStatus;
import io.mesh4j.wire.v1.Ack;
import io.mesh4j.wire.v1.ClientMessage;
import io.mesh4j.wire.v1.Hello;
import io.mesh4j.wire.v1.Nack;
import io.mesh4j.wire.v1.PolicyServiceGrpc;
import io.mesh4j.wire.v1.Problem;
import io.mesh4j.wire.v1.ServerMessage;
import io.mesh4j.wire.v1.Version;
import io.mesh4j.client.ControllerConfigSource;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Arbitrary sequences of client messages on an authenticated policy stream: the controller answers
 * every one with what the contract documents (a snapshot, or a close with one of the documented
 * codes), within a bounded time, and refused input changes nothing another application sees.
 */
class PolicyStreamFuzzTest {

  private static final Set<Status.Code> DOCUMENTED =
      Set.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT, Status.Code.PERMISSION_DENIED, Status.Code.RESOURCE_EXHAUSTED);

  private static Path dir;
  private static MeshController controller;
  private static ManagedChannel channel;
  private static ControllerConfigSource legitimateSource;

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("mesh4j-stream-fuzz");
    Path config = Files.createDirectories(dir.resolve("config"));
    LocalDirectory.write(config, "mesh.yaml", LocalDirectory.MESH);
    LocalDirectory.write(config, "catalog.yaml", """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends: [{weight: 1}]
        """);
    Path tokens = Files.writeString(dir.resolve("tokens"),
        "frontend-0123456789abcdef shop/frontend\nattacker-0123456789abcdef shop/attacker\n");
    Path rootFile = dir.resolve(MeshController.ROOT_FILE);
    controller =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                config,
                new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.tls(
                        new DirectoryRootStore(dir.resolve("ca"), Duration.ofDays(1), InstantSource.system()),
                        TokenFileAuthenticator.load(tokens),
                        List.of("127.0.0.1"))
                    .withRootFile(rootFile)));
    channel =
        Grpc.newChannelBuilderForAddress("127.0.0.1", controller.grpcPort(),
                TlsChannelCredentials.newBuilder().trustManager(rootFile.toFile()).build())
            .build();
    RecordingApplication legitimate = new RecordingApplication();
    legitimateSource =
        ControllerConfigSource.builder("127.0.0.1:" + controller.grpcPort())
            .trustedRoots(rootFile)
            .tokenFile(Files.writeString(dir.resolve("frontend.token"), "frontend-0123456789abcdef"))
            .application("frontend")
            .namespace("shop")
            .calls("catalog")
            .random(new SplittableRandom(1))
            .build();
    legitimateSource.start(legitimate);
    await().atMost(Duration.ofSeconds(10)).until(() -> legitimate() != null && legitimate().inSync());
  }

  @AfterContainer
  static void stop() throws Exception {
    legitimateSource.close();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    controller.close();
  }

  @Property(tries = 150, seed = "20261204", afterFailure = AfterFailureMode.SAMPLE_ONLY, edgeCases = EdgeCasesMode.MIXIN)
  void arbitraryClientMessagesGetOnlyDocumentedAnswersAndChangeNothingForOthers(
      @ForAll("conversations") List<ClientMessage> conversation) throws Exception {
    ApplicationStatus before = legitimate();
    long nacks = controller.distributor().nackCount();

    CompletableFuture<Status> closed = new CompletableFuture<>();
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer attacker-0123456789abcdef");
    StreamObserver<ClientMessage> requests =
        PolicyServiceGrpc.newStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
            .subscribe(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerMessage value) {}

                  @Override
                  public void onError(Throwable t) {
                    closed.complete(Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    closed.complete(Status.OK);
                  }
                });
    for (ClientMessage m : conversation) {
      requests.onNext(m);
    }
    requests.onCompleted();

    Status status = closed.get(5, TimeUnit.SECONDS);
    assertThat(status.getCode()).as("%s", status).isIn(DOCUMENTED);
    if (!status.isOk()) {
      assertThat(status.getDescription()).startsWith("mesh4j: ");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> controller.distributor().applications().size() == 1);
    // Generated answers never name a version the controller sent, so none may count.
    assertThat(controller.distributor().nackCount()).isEqualTo(nacks);
    assertThat(legitimate()).isEqualTo(before);
  }

  @Provide
  Arbitrary<List<ClientMessage>> conversations() {
    Arbitrary<ClientMessage> hello = hellos().map(h -> ClientMessage.newBuilder().setHello(h).build());
    Arbitrary<ClientMessage> answer =
        Combinators.combine(versions(), Arbitraries.of(true, false), problems())
            .as((v, isAck, problems) -> isAck
                ? ClientMessage.newBuilder().setAck(Ack.newBuilder().setVersion(v)).build()
                : ClientMessage.newBuilder().setNack(Nack.newBuilder().setVersion(v).addAllProblems(problems)).build());
    Arbitrary<ClientMessage> empty = Arbitraries.just(ClientMessage.getDefaultInstance());
    Arbitrary<ClientMessage> any = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, hello), net.jqwik.api.Tuple.of(5, answer), net.jqwik.api.Tuple.of(1, empty));
    return Combinators.combine(hello, any.list().ofMaxSize(8), Arbitraries.of(true, false))
        .as((first, rest, helloFirst) -> {
          List<ClientMessage> out = new java.util.ArrayList<>();
          if (helloFirst) {
            out.add(first);
          }
          out.addAll(rest);
          return out;
        });
  }

  private static Arbitrary<Hello> hellos() {
    Arbitrary<String> names = Arbitraries.oneOf(
        Arbitraries.of("shop", "attacker", "catalog", "frontend", "other", "", "Catalog", "a.b.c", "-x"),
        Arbitraries.strings().ofMaxLength(300));
    Arbitrary<String> identities = Arbitraries.oneOf(
        Arbitraries.of("", "spiffe://cluster.local/ns/shop/sa/attacker", "spiffe://cluster.local/ns/shop/sa/frontend"),
        Arbitraries.strings().ofMaxLength(100));
    return Combinators.combine(names, names, identities, names.list().ofMaxSize(5), names.list().ofMaxSize(3), versions().injectNull(0.5))
        .as((application, namespace, identity, calls, serves, held) -> {
          Hello.Builder h = Hello.newBuilder().setApplication(application).setNamespace(namespace).setIdentity(identity)
              .addAllCalls(calls).addAllServes(serves);
          if (held != null) {
            h.setHeld(held);
          }
          return h.build();
        });
  }

  private static Arbitrary<Version> versions() {
    return Combinators.combine(Arbitraries.longs(), Arbitraries.strings().ofMaxLength(70))
        .as((n, hash) -> Version.newBuilder().setNumber(n).setHash(hash).build());
  }

  private static Arbitrary<List<Problem>> problems() {
    return Arbitraries.strings().ofMaxLength(50)
        .map(s -> Problem.newBuilder().setResource(s).setPath(s).setExpected(s).build())
        .list().ofMaxSize(4);
  }

  private static ApplicationStatus legitimate() {
    return controller.distributor().applications().stream()
        .filter(a -> a.application().equals("frontend"))
        .findFirst()
        .orElse(null);
  }
}
