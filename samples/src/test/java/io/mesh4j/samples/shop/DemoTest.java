package io.mesh4j.samples.shop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

/**
 * The README's demo end to end, with shorter phases: the controller and the five Spring Boot
 * applications on loopback, real page calls through the frontend, real gRPC and HTTP calls behind
 * them. Checks the observed splits per phase, that no user-facing call failed, and that nothing
 * is left running or listening afterwards. Runs twice: with the catalog canary as a TrafficRoute,
 * and as a Gateway API GRPCRoute over the catalog-v1 and catalog-v2 Services.
 */
class DemoTest {

  @BeforeAll
  static void logging() {
    ShopDemo.quietLogging();
  }

  /** Both ways the demo's catalog canary can be written: a TrafficRoute, or a Gateway API GRPCRoute. */
  @ParameterizedTest(name = "gatewayApi={0}")
  @ValueSource(booleans = {false, true})
  @Timeout(value = 360, unit = TimeUnit.SECONDS)
  void everyPhaseBehavesAsDescribedAndNoUserCallFails(boolean gatewayApi) throws Exception {
    Set<Thread> before = liveNonDaemonThreads();
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    ShopDemo.Report report =
        ShopDemo.run(
            Path.of("mesh"),
            gatewayApi,
            new ShopDemo.Options(Duration.ofSeconds(3), 4, false),
            new PrintStream(console, true, StandardCharsets.UTF_8));
    String printed = console.toString(StandardCharsets.UTF_8);
    System.out.println(printed); // the plain per-second lines and the summary, for the CI log
    assertThat(printed.contains("the catalog canary is a Gateway API GRPCRoute")).isEqualTo(gatewayApi);

    assertThat(report.phases()).hasSize(6);
    assertThat(report.phases()).allSatisfy(p -> assertThat(p.problems()).as(p.title() + "\n" + printed).isEmpty());
    // zero failed user-facing calls over the whole run, the moments between phases included
    assertThat(report.total().failed()).as(printed).isZero();
    assertThat(report.total().calls()).isGreaterThan(100);
    // the operator's three questions, answered by three mesh4j commands against the demo's controller
    assertThat(report.operatorView())
        .contains("$ mesh4j status", "$ mesh4j config frontend routes", "$ mesh4j explain frontend catalog.shop")
        .containsPattern("(?m)^frontend +shop +mesh4j +\\S+ +\\d+ +\\d+ +SYNCED ")
        .contains("(application: SAME)", "ROUTED: rule ")
        .doesNotContain("exit status");

    ShopDemo.PhaseResult canary = report.phases().get(0);
    ShopDemo.PhaseResult even = report.phases().get(1);
    ShopDemo.PhaseResult allV2 = report.phases().get(2);
    ShopDemo.PhaseResult oneDown = report.phases().get(3);
    ShopDemo.PhaseResult allDown = report.phases().get(4);
    ShopDemo.PhaseResult recovery = report.phases().get(5);
    assertThat(canary.users().ok()).isGreaterThanOrEqualTo(ShopDemo.SPLIT_PAGES);
    assertThat(canary.share("v2")).as(printed).isCloseTo(10.0, within(ShopDemo.tolerance(10, canary.users().ok())));
    assertThat(even.users().ok()).isGreaterThanOrEqualTo(ShopDemo.SPLIT_PAGES);
    assertThat(even.share("v2")).as(printed).isCloseTo(50.0, within(ShopDemo.tolerance(50, even.users().ok())));
    assertThat(allV2.share("v2")).as(printed).isEqualTo(100.0);
    assertThat(oneDown.users().degraded()).as(printed).isZero();
    assertThat(oneDown.mesh().retriesTo("pricing.shop")).as(printed).isPositive();
    assertThat(oneDown.mesh().ejectionsIn("pricing.shop")).as(printed).isPositive();
    assertThat(allDown.breakerTransitions("pricing.shop", "open")).as(printed).isPositive();
    assertThat(allDown.users().failed()).isZero();
    assertThat(recovery.breakerAtEnd("pricing.shop")).isEqualTo("closed");
    assertThat(report.refusal()).contains(ShopDemo.BROKEN_PROBLEM);
    assertThat(printed).contains("Summary").contains("every phase behaved as expected");
    // every application got a certificate from the controller's CA, with its own SPIFFE ID
    assertThat(report.identities()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "frontend", "spiffe://cluster.local/ns/shop/sa/frontend",
        "catalog-v1", "spiffe://cluster.local/ns/shop/sa/catalog",
        "catalog-v2", "spiffe://cluster.local/ns/shop/sa/catalog",
        "pricing-a", "spiffe://cluster.local/ns/shop/sa/pricing",
        "pricing-b", "spiffe://cluster.local/ns/shop/sa/pricing"));
    // pages were traced (10% by MeshConfig), and one trace ran from the frontend into both services
    assertThat(report.tracedPages()).as(printed).isPositive();
    assertThat(report.widestTrace()).as(printed).isGreaterThanOrEqualTo(5);

    // nothing left behind: the applications' and the controller's threads end, their ports are free
    await().pollInSameThread().atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(names(liveNonDaemonThreads(), before)).isEmpty());
    for (int port : report.ports()) {
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertThat(s.getLocalPort()).isEqualTo(port);
      } catch (IOException e) {
        throw new AssertionError("port " + port + " is still in use after the demo", e);
      }
    }
    // Tomcat's JVM-wide home outlives the shop's Tomcats, so the next shop in this JVM, whose
    // applications start side by side, need not race to create it again
    assertThat(Path.of(System.getProperty("catalina.home"))).isDirectory();
  }

  private static Set<Thread> liveNonDaemonThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && !t.isDaemon())
        .collect(Collectors.toSet());
  }

  private static Set<String> names(Set<Thread> now, Set<Thread> before) {
    return now.stream().filter(t -> !before.contains(t)).map(Thread::getName).collect(Collectors.toSet());
  }
}
