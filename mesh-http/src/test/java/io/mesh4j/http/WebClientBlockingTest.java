package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.http.testing.BlockingCalls;
import io.mesh4j.http.testing.Servers;
import io.mesh4j.http.testing.WireMockPeer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;

/**
 * WebClient's filter never blocks a non-blocking thread: 64 concurrent calls through the mesh,
 * each delayed 200 ms by an injected fault and split 80/20 between two subsets, on Reactor Netty
 * with BlockHound installed (by its JUnit Platform listener, in the surefire run of {@code
 * *BlockingTest} only). Every blocking call BlockHound catches on an event loop or a parallel
 * thread is recorded ({@link BlockingCalls}), so one swallowed by the code that blocked still
 * fails the test. Skipped in any other run, which has no BlockHound.
 */
@Timeout(60)
@EnabledIfSystemProperty(named = "mesh4j.blockhound", matches = "installed")
class WebClientBlockingTest {

  private final Servers servers = new Servers();
  private final StaticConfigSource source = StaticConfigSource.empty();
  private final SplittableRandom random = new SplittableRandom(31);
  private final Mesh mesh =
      Mesh.builder()
          .configSource(source)
          .random(
              (purpose, bound) -> {
                synchronized (random) {
                  return random.nextLong(bound);
                }
              })
          .build();

  @AfterEach
  void close() {
    mesh.close();
    servers.close();
  }

  @Test
  void blockHoundCatchesABlockingCallOnAParallelThread() {
    // proves the check below can fail: BlockHound is installed and reports to BlockingCalls
    int before = BlockingCalls.CAUGHT.size();

    Throwable t =
        catchThrowable(
            () ->
                Mono.fromCallable(
                        () -> {
                          Thread.sleep(1);
                          return 1;
                        })
                    .subscribeOn(Schedulers.parallel())
                    .block(Duration.ofSeconds(10)));

    assertThat(t).hasCauseInstanceOf(BlockingOperationError.class);
    assertThat(BlockingCalls.CAUGHT.size()).isGreaterThan(before);
    BlockingCalls.CAUGHT.clear();
  }

  @Test
  void sixtyFourDelayedCallsSplitEightyTwentyWithoutBlockingAnEventLoop() {
    WireMockPeer v1 = new WireMockPeer(servers, "v1");
    WireMockPeer v2 = new WireMockPeer(servers, "v2");
    assertThat(
            source
                .push(
                    """
                    apiVersion: mesh4j.io/v1alpha1
                    kind: ServiceEndpoints
                    metadata: {name: catalog, namespace: shop}
                    spec:
                      service: catalog.shop
                      endpoints:
                        - {address: 127.0.0.1, port: %d, labels: {version: v1}}
                        - {address: 127.0.0.1, port: %d, labels: {version: v2}}
                    ---
                    apiVersion: mesh4j.io/v1alpha1
                    kind: TrafficRoute
                    metadata: {name: catalog, namespace: shop}
                    spec:
                      destination: catalog.shop
                      subsets:
                        - {name: v1, labels: {version: v1}}
                        - {name: v2, labels: {version: v2}}
                      rules:
                        - backends: [{subset: v1, weight: 80}, {subset: v2, weight: 20}]
                          timeout: 10s
                          fault: {delay: {percent: 100, duration: 200ms}}
                    """
                        .formatted(v1.port(), v2.port()))
                .problems())
        .isEmpty();
    BlockingCalls.CAUGHT.clear();
    WebClient client =
        MeshWebClient.install(
                mesh,
                WebClient.builder().clientConnector(new ReactorClientHttpConnector(HttpClient.create())))
            .build();

    List<String> answers =
        Flux.range(0, 64)
            .flatMap(
                i -> client.get().uri("http://catalog.shop/items").retrieve().bodyToMono(String.class),
                64)
            .collectList()
            .block(Duration.ofSeconds(30));

    assertThat(BlockingCalls.CAUGHT).isEmpty();
    assertThat(answers).hasSize(64);
    Map<String, Long> split =
        answers.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    assertThat(split.keySet()).containsExactlyInAnyOrder("v1", "v2");
    // 80% of 64 is 51.2; the binomial standard deviation is 3.2, the tolerance 3 of them
    assertThat(split.get("v1")).isBetween(42L, 61L);
    assertThat(v1.calls() + v2.calls()).isEqualTo(64);
  }
}
