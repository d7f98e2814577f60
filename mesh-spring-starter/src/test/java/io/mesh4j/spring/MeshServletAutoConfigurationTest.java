package io.mesh4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.http.MeshServletFilter;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MeshServletAutoConfigurationTest {

  private static final AutoConfigurations CONFIGS =
      AutoConfigurations.of(MeshAutoConfiguration.class, MeshServletAutoConfiguration.class);

  @Test
  void aServletAppWithAServiceGetsTheFilter(@TempDir Path dir) {
    new WebApplicationContextRunner()
        .withConfiguration(CONFIGS)
        .withPropertyValues("mesh4j.config-dir=" + dir, "mesh4j.service=pricing.shop")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              FilterRegistrationBean<?> registration =
                  context.getBean("meshServletFilter", FilterRegistrationBean.class);
              assertThat(registration.getFilter()).isInstanceOf(MeshServletFilter.class);
              assertThat(registration.getOrder())
                  .isEqualTo(MeshServletAutoConfiguration.FILTER_ORDER);
            });
  }

  @Test
  void withoutAServiceThereIsNoFilter(@TempDir Path dir) {
    new WebApplicationContextRunner()
        .withConfiguration(CONFIGS)
        .withPropertyValues("mesh4j.config-dir=" + dir)
        .run(context -> assertThat(context).doesNotHaveBean("meshServletFilter"));
  }

  @Test
  void aNonWebAppGetsNoFilter(@TempDir Path dir) {
    new ApplicationContextRunner()
        .withConfiguration(CONFIGS)
        .withPropertyValues("mesh4j.config-dir=" + dir, "mesh4j.service=pricing.shop")
        .run(context -> assertThat(context).doesNotHaveBean("meshServletFilter"));
  }
}
