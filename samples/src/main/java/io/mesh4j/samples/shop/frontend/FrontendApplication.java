package io.mesh4j.samples.shop.frontend;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * The frontend: a Spring MVC application serving {@code GET /product/{id}}. Its settings are in
 * {@code frontend.properties}.
 */
@SpringBootApplication
public class FrontendApplication {

  /** Spring instantiates it. */
  public FrontendApplication() {}

  /** Runs the frontend, by default on port 8080. */
  public static void main(String[] args) {
    builder().run(args);
  }

  /** The application with its own configuration file, so it can share a JVM with the others. */
  public static SpringApplicationBuilder builder() {
    return new SpringApplicationBuilder(FrontendApplication.class).properties("spring.config.name=frontend");
  }
}
