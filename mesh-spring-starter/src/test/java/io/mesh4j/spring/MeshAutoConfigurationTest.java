package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.core.Mesh;
import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.core.source.DirectoryConfigSource;
import io.mesh4j.core.source.StaticConfigSource;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MeshAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class));

  @Test
  void anEmptyConfigDirectoryGivesAMeshWithNoDestinations(@TempDir Path dir) {
    runner
        .withPropertyValues("mesh4j.config-dir=" + dir, "mesh4j.local-zone=zone-a")
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(Mesh.class);
              Mesh mesh = context.getBean(Mesh.class);
              assertThat(mesh.endpoints("catalog.shop")).isEmpty();
              assertThat(context.getBean(MeshProperties.class).getLocalZone()).isEqualTo("zone-a");
            });
  }

  @Test
  void theMeshIsClosedWithTheContext(@TempDir Path dir) {
    Mesh[] seen = new Mesh[1];
    runner
        .withPropertyValues("mesh4j.config-dir=" + dir)
        .run(
            context -> {
              seen[0] = context.getBean(Mesh.class);
              // even an empty directory is a version, so the mesh is open with version 1
              assertThat(seen[0].appliedVersion()).isPositive();
            });
    // a closed mesh publishes the empty snapshot, whose version is 0
    assertThat(seen[0].appliedVersion()).isZero();
    assertThat(seen[0].endpoints("catalog.shop")).isEmpty();
  }

  @Test
  void aStartUpThatFailsAfterTheSourceWasMadeClosesTheSource() {
    AtomicReference<ConfigSource> made = new AtomicReference<>();
    runner
        .withPropertyValues(
            "mesh4j.controller.address=127.0.0.1:1", "mesh4j.application=web", "mesh4j.namespace=shop")
        .withBean(BeanPostProcessor.class, () -> new Capture(made))
        // fails the mesh's bean after its source was made, before a mesh owns the source
        .withBean(
            MeshBuilderCustomizer.class,
            () ->
                builder -> {
                  throw new IllegalStateException("an application's customizer failed");
                })
        .run(context -> assertThat(context).hasFailed());
    ConfigSource source = made.get();
    assertThat(source).isInstanceOf(ControllerConfigSource.class);
    try {
      // no mesh ever started it, so only a closed source refuses to start
      assertThatThrownBy(() -> source.start(new NoListener()))
          .isInstanceOf(IllegalStateException.class);
    } finally {
      source.close();
    }
  }

  private static final class NoListener implements ConfigSource.Listener {
    @Override
    public ApplyResult onUpdate(PolicySet policies) {
      throw new AssertionError("a closed source delivered " + policies);
    }

    @Override
    public void onRejected(List<Problem> problems) {
      throw new AssertionError("a closed source delivered " + problems);
    }
  }

  /** Keeps the starter's config source (the bean itself, which the context closes). */
  private static final class Capture implements BeanPostProcessor {
    private final AtomicReference<ConfigSource> made;

    Capture(AtomicReference<ConfigSource> made) {
      this.made = made;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String name) {
      if (name.equals("meshConfigSource")) {
        made.set((ConfigSource) bean);
      }
      return bean;
    }
  }

  @Test
  void withoutAControllerTheConfigDirectoryIsTheSource(@TempDir Path dir) {
    MeshProperties properties = new MeshProperties();
    properties.setConfigDir(dir);
    try (var source = MeshAutoConfiguration.configSource(properties)) {
      assertThat(source).isInstanceOf(DirectoryConfigSource.class);
    }
  }

  @Test
  void aControllerAddressSelectsTheControllerSource() {
    MeshProperties properties = new MeshProperties();
    properties.getController().setAddress("127.0.0.1:1");
    properties.setApplication("web");
    properties.setNamespace("shop");
    properties.setCalls(List.of("catalog.shop"));
    try (var source = MeshAutoConfiguration.configSource(properties)) {
      assertThat(source).isInstanceOf(ControllerConfigSource.class);
    }
  }

  @Test
  void aControllerAddressWithoutAnApplicationFailsTheContext() {
    runner
        .withPropertyValues("mesh4j.controller.address=127.0.0.1:1", "mesh4j.namespace=shop")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("mesh4j.application"));
  }

  @Test
  void anEmptyConfigurationStartsOnTheMeshDirectoryEvenWhenItIsAbsent() {
    // no property at all: the relative directory "mesh" does not exist in the module's directory
    assertThat(Path.of("mesh")).doesNotExist();
    runner.run(
        context -> {
          assertThat(context).hasNotFailed().hasSingleBean(Mesh.class);
          assertThat(context.getBean(Mesh.class).appliedVersion()).isZero();
          assertThat(context.getBean(MeshAutoConfiguration.PolicySource.class).description())
              .isEqualTo("directory " + Path.of("mesh").toAbsolutePath());
        });
  }

  @Test
  void aMeshOfTheApplicationsOwnWins() {
    runner
        .withUserConfiguration(OwnMesh.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(Mesh.class);
              assertThat(context.getBean(Mesh.class)).isSameAs(context.getBean("ownMesh"));
              // the starter says nothing about a source it did not build
              assertThat(context).doesNotHaveBean(MeshAutoConfiguration.PolicySource.class);
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnMesh {
    @Bean(destroyMethod = "close")
    Mesh ownMesh() {
      return Mesh.builder().configSource(StaticConfigSource.empty()).build();
    }
  }
}
