package io.mesh4j.samples.shop.catalog;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * The catalog: a Spring Boot application without a web server that serves {@code shop.Catalog}
 * over gRPC on {@code mesh4j.grpc.port}, as version {@code catalog.version}. Its settings are in
 * {@code catalog.properties}.
 */
@SpringBootApplication
public class CatalogApplication {

  /** Spring instantiates it. */
  public CatalogApplication() {}

  /**
   * Runs one catalog until the process is stopped, e.g. {@code --catalog.version=v2
   * --mesh4j.grpc.port=9102}. Without a web server nothing else would keep the JVM running.
   */
  public static void main(String[] args) {
    builder().properties("spring.main.keep-alive=true").run(args);
  }

  /** The application with its own configuration file, so it can share a JVM with the others. */
  public static SpringApplicationBuilder builder() {
    return new SpringApplicationBuilder(CatalogApplication.class)
        .web(WebApplicationType.NONE)
        .properties("spring.config.name=catalog");
  }
}
