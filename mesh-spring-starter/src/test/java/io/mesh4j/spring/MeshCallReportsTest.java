package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.controller.MeshController;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.base.JsonText;
import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.OutboundCall;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** With a controller, the starter's mesh reports its calls on the policy stream. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MeshCallReportsTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class));

  @Test
  void theStartersMeshReportsItsCallsToTheController(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("catalog.yaml"),
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends: [{weight: 1}]
        """);
    try (MeshController controller =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                dir, new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.none()))) {
      runner
          .withPropertyValues(
              "mesh4j.controller.address=127.0.0.1:" + controller.grpcPort(),
              "mesh4j.application=web",
              "mesh4j.namespace=shop",
              "mesh4j.calls=catalog.shop",
              "mesh4j.controller.report-interval=1s")
          .run(
              context -> {
                Mesh mesh = context.getBean(Mesh.class);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> mesh.appliedVersion() > 0);

                CallPlan plan = mesh.outbound().plan(OutboundCall.builder("catalog.shop").grpc("shop.Catalog", "GetItem").build());
                plan.end(CallStatus.grpc(0), -1, -1);

                Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(
                        () ->
                            JsonText.write(controller.distributor().traffic().view(controller.distributor().applications()))
                                .contains("\"from\":\"web\",\"fromNamespace\":\"shop\",\"to\":\"catalog.shop\""));
              });
    }
  }

  @Test
  void aReportIntervalBelowASecondFailsTheContextNamingTheProperty() {
    runner
        .withPropertyValues(
            "mesh4j.controller.address=127.0.0.1:1",
            "mesh4j.application=web",
            "mesh4j.namespace=shop",
            "mesh4j.controller.report-interval=100ms")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .hasStackTraceContaining("mesh4j.controller.report-interval must be 0 (no call reports) or between 1s and 1m"));
  }
}
