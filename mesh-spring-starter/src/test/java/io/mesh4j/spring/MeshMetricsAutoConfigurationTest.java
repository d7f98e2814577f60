package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.telemetry.MeshListener;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The mesh's meters land in the application's registry, and customizers shape the mesh. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MeshMetricsAutoConfigurationTest {

  @TempDir Path dir;

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                MetricsAutoConfiguration.class,
                SimpleMetricsExportAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class,
                MeshMetricsAutoConfiguration.class,
                MeshAutoConfiguration.class))
        .withPropertyValues("mesh4j.config-dir=" + dir);
  }

  @Test
  void theAppliedVersionIsAGaugeInTheApplicationsRegistry() {
    runner()
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              assertThat(context.getBean(Mesh.class).appliedVersion()).isEqualTo(1);
              assertThat(registry.get("mesh4j.config.version").gauge().value()).isEqualTo(1.0);
            });
  }

  @Test
  void metricsCanBeTurnedOff() {
    runner()
        .withPropertyValues("mesh4j.metrics.enabled=false")
        .run(
            context -> {
              assertThat(context).hasNotFailed().doesNotHaveBean(MeshBuilderCustomizer.class);
              assertThat(context.getBean(MeterRegistry.class).find("mesh4j.config.version").gauge())
                  .isNull();
            });
  }

  @Test
  void withoutMicrometerTheMeshStillStarts() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(MeshMetricsAutoConfiguration.class, MeshAutoConfiguration.class))
        .withPropertyValues("mesh4j.config-dir=" + dir)
        .withClassLoader(new FilteredClassLoader("io.micrometer"))
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .hasSingleBean(Mesh.class)
                    .doesNotHaveBean(MeshBuilderCustomizer.class));
  }

  @Test
  void customizersOfTheApplicationAdjustTheBuilder() {
    List<Long> applied = new CopyOnWriteArrayList<>();
    runner()
        .withBean(
            MeshBuilderCustomizer.class,
            () ->
                builder ->
                    builder.listener(
                        new MeshListener() {
                          @Override
                          public void snapshotApplied(long version) {
                            applied.add(version);
                          }
                        }))
        .run(context -> assertThat(applied).containsExactly(1L));
  }
}
