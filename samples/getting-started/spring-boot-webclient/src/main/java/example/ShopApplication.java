package example;

import io.mesh4j.spring.MeshClient;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/** A reactive shop that reads items from the catalog service through the mesh. */
@SpringBootApplication
public class ShopApplication {

  public static void main(String[] args) {
    SpringApplication.run(ShopApplication.class, args);
  }

  /** Calls {@code catalog.shop}; the mesh picks the version and endpoint of every call. */
  @Component
  public static class Catalog {
    @MeshClient("catalog.shop")
    WebClient catalog;

    public Mono<String> item(String id) {
      return catalog.get().uri("/items/{id}", id).retrieve().bodyToMono(String.class);
    }
  }
}
