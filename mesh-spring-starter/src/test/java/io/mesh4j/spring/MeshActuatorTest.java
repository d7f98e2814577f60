package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.identity.WorkloadIdentity;
import io.mesh4j.core.source.DirectoryConfigSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MeshActuatorTest {

  private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  MeshAutoConfiguration.class, MeshActuatorAutoConfiguration.class))
          .withPropertyValues("management.endpoints.web.exposure.include=mesh,health");

  private static final String CATALOG =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: ServiceEndpoints
      metadata: {name: catalog, namespace: shop}
      spec:
        service: catalog.shop
        endpoints:
          - {address: 127.0.0.1, port: 9001, labels: {version: v1}}
          - {address: 127.0.0.1, port: 9002, labels: {version: v2}}
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
          - backends: [{subset: v1, weight: 90}, {subset: v2, weight: 10}]
      """;

  @Test
  void theEndpointShowsVersionAgeDestinationsSubsetsAndBreakers(@TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("catalog.yaml"), CATALOG);
    runner
        .withPropertyValues("mesh4j.config-dir=" + dir, "mesh4j.calls=catalog.shop,cart.shop")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              MeshEndpoint endpoint = context.getBean(MeshEndpoint.class);
              MeshEndpoint.MeshDescriptor mesh = endpoint.mesh();
              assertThat(mesh.appliedVersion()).isPositive();
              assertThat(mesh.snapshotAgeMillis()).isNotNull().isNotNegative();
              assertThat(mesh.mtls()).isEqualTo("PERMISSIVE");
              assertThat(mesh.identity()).isNull();
              // cart.shop is not in the policy, but the application says it calls it
              assertThat(mesh.destinations()).containsOnlyKeys("cart.shop", "catalog.shop");
              assertThat(mesh.destinations().get("cart.shop").endpoints()).isEmpty();
              MeshEndpoint.DestinationDescriptor catalog = mesh.destinations().get("catalog.shop");
              assertThat(catalog.endpoints())
                  .extracting(Endpoint::address, Endpoint::port)
                  .containsExactly(Tuple.tuple("127.0.0.1", 9001), Tuple.tuple("127.0.0.1", 9002));
              assertThat(catalog.subsets())
                  .extracting(
                      MeshEndpoint.SubsetDescriptor::name, MeshEndpoint.SubsetDescriptor::breaker)
                  .containsExactly(
                      Tuple.tuple("v1", "CLOSED"),
                      Tuple.tuple("v2", "CLOSED"),
                      Tuple.tuple(null, "CLOSED"));
              assertThat(catalog.subsets().get(1).endpoints())
                  .containsExactly(new MeshEndpoint.EndpointState("127.0.0.1:9002", false, 0));
              assertThat(endpoint.destination("catalog.shop")).isEqualTo(catalog);
              assertThat(endpoint.destination("unknown.shop").endpoints()).isEmpty();
            });
  }

  @Test
  void healthIsUpOnceAVersionIsAppliedAndNamesTheSource(@TempDir Path dir) {
    runner
        .withPropertyValues("mesh4j.config-dir=" + dir)
        .run(
            context -> {
              Health health = context.getBean(MeshHealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.UP);
              assertThat(health.getDetails())
                  .containsEntry("appliedVersion", 1L)
                  .containsEntry("source", "directory " + dir.toAbsolutePath());
            });
  }

  @Test
  void healthIsDownBeforeAnyVersionAndSaysWhy() {
    runner
        .withUserConfiguration(MeshWithoutSource.class)
        .run(
            context -> {
              Health health = context.getBean(MeshHealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.DOWN);
              assertThat(health.getDetails())
                  .containsEntry("appliedVersion", 0L)
                  .hasEntrySatisfying(
                      "reason",
                      r -> assertThat(r.toString()).startsWith("no policy received yet"));
            });
  }

  @Test
  void anEmptyConfigWithAnAbsentDirectoryStartsAndWaitsForPolicy(@TempDir Path dir) {
    Path absent = dir.resolve("not-yet");
    runner
        .withPropertyValues("mesh4j.config-dir=" + absent)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(MeshEndpoint.class).mesh().destinations()).isEmpty();
            });
  }

  @Test
  void aValidCertificateIsShownAndKeepsHealthUp(@TempDir Path dir) {
    WorkloadIdentity identity =
        WorkloadIdentity.of(
            Certificates.material(
                "spiffe://cluster.local/ns/shop/sa/web",
                NOW.minus(Duration.ofHours(1)),
                NOW.plus(Duration.ofHours(23))));
    runner
        .withBean(Clock.class, () -> Clock.fixed(NOW, ZoneOffset.UTC))
        .withBean(
            Mesh.class,
            () ->
                Mesh.builder()
                    .configSource(watching(dir))
                    .identity(identity)
                    .build())
        .run(
            context -> {
              MeshEndpoint.IdentityDescriptor shown =
                  context.getBean(MeshEndpoint.class).mesh().identity();
              assertThat(shown)
                  .isEqualTo(
                      new MeshEndpoint.IdentityDescriptor(
                          "spiffe://cluster.local/ns/shop/sa/web",
                          "2026-11-23T11:00:00Z",
                          "2026-11-24T11:00:00Z",
                          false));
              Health health = context.getBean(MeshHealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.UP);
              assertThat(health.getDetails())
                  .containsEntry("identity", "spiffe://cluster.local/ns/shop/sa/web")
                  .containsEntry("certificateNotAfter", "2026-11-24T11:00:00Z");
            });
  }

  @Test
  void anExpiredCertificateTurnsHealthDown(@TempDir Path dir) {
    WorkloadIdentity identity =
        WorkloadIdentity.of(
            Certificates.material(
                "spiffe://cluster.local/ns/shop/sa/web",
                NOW.minus(Duration.ofHours(25)),
                NOW.minus(Duration.ofHours(1))));
    runner
        .withBean(Clock.class, () -> Clock.fixed(NOW, ZoneOffset.UTC))
        .withBean(
            Mesh.class,
            () ->
                Mesh.builder()
                    .configSource(watching(dir))
                    .identity(identity)
                    .build())
        .run(
            context -> {
              assertThat(context.getBean(MeshEndpoint.class).mesh().identity().expired()).isTrue();
              Health health = context.getBean(MeshHealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.DOWN);
              assertThat(health.getDetails())
                  .containsEntry(
                      "reason",
                      "the workload certificate of spiffe://cluster.local/ns/shop/sa/web expired"
                          + " at 2026-11-23T11:00:00Z; peers refuse it until a new one is issued");
            });
  }

  @Test
  void strictMtlsWithoutACertificateTurnsHealthDown(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("mesh.yaml"),
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh}
        spec: {mtls: STRICT}
        """);
    runner
        .withPropertyValues("mesh4j.config-dir=" + dir)
        .run(
            context -> {
              Health health = context.getBean(MeshHealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.DOWN);
              assertThat(health.getDetails().get("reason").toString())
                  .contains("requires mTLS (STRICT) but no workload certificate");
            });
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
  void withoutTheActuatorThereIsNeitherEndpointNorHealth(@TempDir Path dir) {
    runner
        .withPropertyValues("mesh4j.config-dir=" + dir)
        .withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .hasSingleBean(Mesh.class)
                    .doesNotHaveBean(MeshEndpoint.class)
                    .doesNotHaveBean(MeshHealthIndicator.class));
  }

  @Test
  void theHealthIndicatorCanBeTurnedOff(@TempDir Path dir) {
    runner
        .withPropertyValues("mesh4j.config-dir=" + dir, "management.health.mesh.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(MeshHealthIndicator.class));
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

  private static DirectoryConfigSource watching(Path dir) {
    try {
      return DirectoryConfigSource.watching(dir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
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
