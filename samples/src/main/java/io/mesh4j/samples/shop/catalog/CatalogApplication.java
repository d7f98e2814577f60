package io.mesh4j.samples.shop.catalog;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The catalog: a Spring Boot application without a web server that serves {@code shop.Catalog}
 * over gRPC on {@code catalog.grpc.port}, as version {@code catalog.version}. Its settings are in
 * {@code catalog.properties}.
 */
@SpringBootApplication
public class CatalogApplication {

  /** Spring instantiates it. */
  public CatalogApplication() {}

  /**
   * Runs one catalog until the process is stopped, e.g. {@code --catalog.version=v2
   * --catalog.grpc.port=9102}.
   */
  public static void main(String[] args) throws InterruptedException {
    ConfigurableApplicationContext context = builder().run(args);
    context.getBean(CatalogGrpcServer.class).awaitTermination();
  }

  /** The application with its own configuration file, so it can share a JVM with the others. */
  public static SpringApplicationBuilder builder() {
    return new SpringApplicationBuilder(CatalogApplication.class)
        .web(WebApplicationType.NONE)
        .properties("spring.config.name=catalog");
  }
}
