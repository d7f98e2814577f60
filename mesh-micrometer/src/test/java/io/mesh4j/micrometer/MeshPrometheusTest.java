package io.mesh4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.Protocol;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.core.telemetry.CallEnd;
import io.mesh4j.core.telemetry.ClientCallInfo;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The scrape endpoint on a real loopback port. */
@Timeout(30)
class MeshPrometheusTest {

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> send(String method, int port) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesTheRegistryInPrometheusTextFormat() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MeshMetrics metrics = MeshMetrics.builder(registry).source("frontend.shop").build();
    try (Mesh mesh = Mesh.builder().configSource(StaticConfigSource.empty()).listener(metrics).build();
        MeshPrometheus endpoint = MeshPrometheus.start(registry, 0)) {
      metrics
          .clientCall(new ClientCallInfo(Protocol.GRPC, "catalog.shop", "shop.Catalog/Get", null, "reads", "v2", true, null))
          .callEnded(new CallEnd(CallStatus.grpc("OK"), 7_000_000, -1, -1, null));

      HttpResponse<String> response = send("GET", endpoint.port());

      assertThat(endpoint.address().getAddress().isLoopbackAddress()).isTrue();
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(response.body())
          .contains(
              "mesh4j_client_requests_seconds_count{destination=\"catalog.shop\",method=\"shop.Catalog/Get\","
                  + "route=\"reads\",source=\"frontend.shop\",status=\"OK\",subset=\"v2\"} 1")
          .contains("le=\"0.01\"")
          .contains("mesh4j_config_version");
      assertThat(send("POST", endpoint.port()).statusCode()).isEqualTo(405);
    }
  }

  @Test
  void aPortOutOfRangeIsRefusedWithTheValue() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    assertThatThrownBy(() -> MeshPrometheus.start(registry, 70000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("mesh4j: Prometheus endpoint port must be 0 (any free port) to 65535, got 70000");
  }
}
