package io.mesh4j.samples.shop.pricing;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * Pricing: a Spring MVC application answering {@code GET /prices/{id}}, with the switch {@code
 * POST /admin/mode?value=ok|slow|fail}. Its settings are in {@code pricing.properties}.
 */
@SpringBootApplication
public class PricingApplication {

  /** Spring instantiates it. */
  public PricingApplication() {}

  /** Runs one pricing instance, e.g. {@code --server.port=9202 --pricing.instance=pricing-b}. */
  public static void main(String[] args) {
    builder().run(args);
  }

  /** The application with its own configuration file, so it can share a JVM with the others. */
  public static SpringApplicationBuilder builder() {
    return new SpringApplicationBuilder(PricingApplication.class).properties("spring.config.name=pricing");
  }
}
