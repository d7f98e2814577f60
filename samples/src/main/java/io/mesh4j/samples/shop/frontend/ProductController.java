package io.mesh4j.samples.shop.frontend;

import io.grpc.StatusRuntimeException;
import io.mesh4j.samples.shop.catalog.api.CatalogGrpc;
import io.mesh4j.samples.shop.catalog.api.Item;
import io.mesh4j.samples.shop.catalog.api.ItemRequest;
import io.mesh4j.spring.MeshClient;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;
import org.springframework.web.client.RestClientResponseException;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /product/{id}}: the item from the catalog (gRPC) and its price from pricing (HTTP),
 * both through the mesh. The catalog is essential: if it fails after the mesh's retries, the page
 * fails with 502 and says why. The price is not: if pricing fails (after retries, or at once
 * while its circuit is open), the page is served without a price, {@code degraded: true}, and
 * {@code priceError} says what the mesh did.
 */
@RestController
public class ProductController {

  @MeshClient("catalog.shop")
  private CatalogGrpc.CatalogBlockingStub catalog;

  /** Relative URIs go to {@code http://pricing.shop}, routed by the mesh. */
  @MeshClient("pricing.shop")
  private RestClient pricing;

  /** Spring instantiates it and injects the clients. */
  public ProductController() {}

  /** The product page as JSON. */
  @GetMapping("/product/{id}")
  public ResponseEntity<Map<String, Object>> product(@PathVariable String id) {
    Item item;
    try {
      item = catalog.withDeadlineAfter(8, TimeUnit.SECONDS).getItem(ItemRequest.newBuilder().setId(id).build());
    } catch (StatusRuntimeException e) {
      return ResponseEntity.status(HttpStatus.BAD_GATEWAY)
          .body(Map.of("id", id, "error", "catalog.shop failed: " + e.getStatus().getCode() + ": "
              + e.getStatus().getDescription()));
    }
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("id", item.getId());
    page.put("name", item.getName());
    page.put("catalogVersion", item.getVersion());
    page.put("catalogInstance", item.getInstance());
    try {
      JsonNode price = pricing.get().uri("/prices/{id}", id).retrieve().body(JsonNode.class);
      page.put("cents", price.path("cents").asLong());
      page.put("currency", price.path("currency").asString());
      page.put("pricingInstance", price.path("instance").asString());
      page.put("degraded", false);
    } catch (RestClientResponseException e) {
      page.put("degraded", true);
      page.put("priceError", "pricing.shop answered " + e.getStatusCode().value() + " after the mesh's retries: "
          + e.getResponseBodyAsString());
    } catch (RestClientException e) {
      // the mesh refused the call (circuit open, no healthy endpoint, ...: "mesh4j: ...") or the network failed
      page.put("degraded", true);
      page.put("priceError", "pricing.shop failed: " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
    }
    return ResponseEntity.ok(page);
  }
}
