package io.mesh4j.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.Attempt;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.call.Protocol;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.testing.FakeTicker;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class AccessLogTest {

  private static final String ENDPOINTS =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: catalog, namespace: shop}
      spec:
        service: catalog.shop
        endpoints:
          - {address: 10.0.0.7, port: 8080, labels: {version: v2}}
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: catalog, namespace: shop}
      spec:
        destination: catalog.shop
        subsets: [{name: v2, labels: {version: v2}}]
        rules:
          - name: items
            backends: [{subset: v2}]
      ---
      """;

  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final AtomicLong draw = new AtomicLong();
  private final AccessLog log =
      AccessLog.builder()
          .sink(lines::add)
          .clock(Clock.fixed(Instant.parse("2026-11-23T10:15:30.123Z"), ZoneOffset.UTC))
          .random((purpose, bound) -> purpose == MeshRandom.Purpose.ACCESS_LOG ? draw.get() : 0)
          .build();
  private final StaticConfigSource source = StaticConfigSource.empty();
  private final FakeTicker ticker = new FakeTicker();
  private final Mesh mesh = Mesh.builder().configSource(source).ticker(ticker).listener(log).build();

  @AfterEach
  void close() {
    mesh.close();
  }

  private void settings(boolean enabled, double percent) {
    source.push(
        ENDPOINTS
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: MeshConfig
            metadata: {name: mesh}
            spec:
              accessLog: {enabled: %s, samplingPercent: %s}
            """
                .formatted(enabled, percent));
  }

  /** One HTTP call through the engine, reported as an adapter reports it. */
  private void httpCall(String path) {
    CallPlan plan =
        mesh.outbound().plan(OutboundCall.builder("catalog.shop").http("GET", path).build());
    Attempt attempt = plan.nextAttempt();
    ticker.advanceNanos(1_500_000);
    attempt.settle(Outcome.success());
    ticker.advanceNanos(750_000);
    plan.end(CallStatus.http(200), 0, 512);
  }

  @Test
  void writesOneJsonLinePerCallWithEnvoyStyleFields() {
    settings(true, 100);

    httpCall("/items/42");

    assertThat(lines)
        .containsExactly(
            "{\"start_time\":\"2026-11-23T10:15:30.123Z\",\"duration_ms\":2.250,"
                + "\"direction\":\"outbound\",\"protocol\":\"http\",\"method\":\"GET\","
                + "\"path\":\"/items/42\",\"status\":\"200\",\"destination\":\"catalog.shop\","
                + "\"route\":\"items\",\"subset\":\"v2\",\"endpoint\":\"10.0.0.7:8080\","
                + "\"attempts\":1,\"bytes_sent\":0,\"bytes_received\":512}");
  }

  @Test
  void serverLinesNameThePeerAndTheMeshsRefusal() {
    settings(true, 100);
    ServerCallObserver observer =
        log.serverCall(
                new ServerCallInfo(
                    Protocol.GRPC,
                    "catalog.shop",
                    "shop.Catalog/Get",
                    null,
                    "spiffe://cluster.local/ns/jobs/sa/batch",
                    name -> null,
                    "0af7651916cd43dd8448eb211c80319c"));

    observer.callEnded(new CallEnd(
        CallStatus.grpc("PERMISSION_DENIED"),
        40_000,
        -1,
        -1,
        io.mesh4j.core.call.MeshFailure.of(
            io.mesh4j.core.call.MeshFailure.Reason.DENIED, "catalog.shop", null, "denied \"batch\"\n")));

    assertThat(lines).hasSize(1);
    assertThat(lines.get(0))
        .contains("\"direction\":\"inbound\"")
        .contains("\"status\":\"PERMISSION_DENIED\"")
        .contains("\"mesh_failure\":\"denied\"")
        .contains("\"service\":\"catalog.shop\"")
        .contains("\"peer\":\"spiffe://cluster.local/ns/jobs/sa/batch\"")
        .contains("\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\"")
        .doesNotContain("bytes");
  }

  @Test
  void nothingIsLoggedWhileDisabledAndADisabledCallGetsTheSharedNoOpObserver() {
    settings(false, 100);

    httpCall("/items/1");

    assertThat(lines).isEmpty();
    assertThat(
            log.clientCall(
                    new ClientCallInfo(Protocol.HTTP, "catalog.shop", "GET", "/", "items", null, true, null)))
        .isSameAs(ClientCallObserver.NONE);
  }

  @Test
  void samplingKeepsTheShareTheSettingsName() {
    settings(true, 25);

    // Draws are in millionths of a percent: below 25,000,000 is logged.
    for (long d : new long[] {0, 24_999_999, 25_000_000, 99_999_999}) {
      draw.set(d);
      httpCall("/items/" + d);
    }

    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).contains("\"path\":\"/items/0\"");
    assertThat(lines.get(1)).contains("\"path\":\"/items/24999999\"");
  }

  @Test
  void jsonEscapesQuotesBackslashesAndControlCharacters() {
    AccessLog.Json json = new AccessLog.Json();
    assertThat(json.field("path", "/a\"b\\c\nd\u0001").field("skipped", (String) null).end())
        .isEqualTo("{\"path\":\"/a\\\"b\\\\c\\nd\\u0001\"}");
  }
}
