package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Endpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MeshActuatorTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  MeshAutoConfiguration.class, MeshActuatorAutoConfiguration.class))
          .withPropertyValues("management.endpoints.web.exposure.include=mesh,health");

  @Test
  void theEndpointShowsTheVersionAndTheEndpointsOfKnownDestinations(@TempDir Path dir)
      throws Exception {
    Files.writeString(
        dir.resolve("catalog.yaml"),
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec:
          service: catalog.shop
          endpoints:
            - {address: 127.0.0.1, port: 9001, labels: {version: v1}}
        """);
    runner
        .withPropertyValues("mesh4j.config-dir=" + dir, "mesh4j.calls=catalog.shop,cart.shop")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              MeshEndpoint endpoint = context.getBean(MeshEndpoint.class);
              MeshEndpoint.MeshDescriptor mesh = endpoint.mesh();
              assertThat(mesh.appliedVersion()).isPositive();
              assertThat(mesh.destinations()).containsOnlyKeys("cart.shop", "catalog.shop");
              assertThat(mesh.destinations().get("cart.shop")).isEmpty();
              assertThat(mesh.destinations().get("catalog.shop"))
                  .extracting(Endpoint::address, Endpoint::port)
                  .containsExactly(org.assertj.core.groups.Tuple.tuple("127.0.0.1", 9001));
              assertThat(endpoint.destination("catalog.shop")).hasSize(1);
              assertThat(endpoint.destination("unknown.shop")).isEmpty();
            });
  }

  @Test
  void healthIsUpOnceAVersionIsApplied(@TempDir Path dir) {
    runner
        .withPropertyValues("mesh4j.config-dir=" + dir)
        .run(
            context -> {
              var health = context.getBean(MeshHealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.UP);
              assertThat(health.getDetails()).containsEntry("appliedVersion", 1L);
            });
  }

  @Test
  void healthIsDownBeforeAnyVersion() {
    runner
        .withUserConfiguration(MeshWithoutSource.class)
        .run(
            context ->
                assertThat(context.getBean(MeshHealthIndicator.class).health().getStatus())
                    .isEqualTo(Status.DOWN));
  }

  @Test
  void theEndpointIsAbsentUnlessExposed(@TempDir Path dir) {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(MeshAutoConfiguration.class, MeshActuatorAutoConfiguration.class))
        .withPropertyValues("mesh4j.config-dir=" + dir)
        .run(
            context ->
                assertThat(context)
                    .doesNotHaveBean(MeshEndpoint.class)
                    .hasSingleBean(MeshHealthIndicator.class));
  }

  @Test
  void theEndpointListsTheDestinationsMeshClientFieldsName(@TempDir Path dir) {
    runner
        .withPropertyValues("mesh4j.config-dir=" + dir)
        .withUserConfiguration(PricingCaller.class)
        .run(
            context ->
                assertThat(context.getBean(MeshEndpoint.class).mesh().destinations())
                    .containsOnlyKeys("pricing.shop"));
  }

  @Configuration(proxyBeanMethods = false)
  static class PricingCaller {
    @MeshClient("pricing.shop")
    okhttp3.OkHttpClient client;
  }

  @Configuration(proxyBeanMethods = false)
  static class MeshWithoutSource {
    // no config source: every destination stays unknown and the version stays 0
    @Bean(destroyMethod = "close")
    Mesh mesh() {
      return Mesh.builder().build();
    }
  }
}
