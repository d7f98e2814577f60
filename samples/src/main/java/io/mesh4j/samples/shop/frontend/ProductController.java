package io.mesh4j.samples.shop.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.mesh4j.samples.shop.catalog.api.CatalogGrpc;
import io.mesh4j.samples.shop.catalog.api.Item;
import io.mesh4j.samples.shop.catalog.api.ItemRequest;
import io.mesh4j.spring.MeshClient;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

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
  private Channel catalog;

  @MeshClient("pricing.shop")
  private OkHttpClient http;

  private final ObjectMapper json;

  /** A controller reading pricing's answers with the application's JSON mapper. */
  public ProductController(ObjectMapper json) {
    this.json = json;
  }

  /** The product page as JSON. */
  @GetMapping("/product/{id}")
  public ResponseEntity<Map<String, Object>> product(@PathVariable String id) {
    Item item;
    try {
      item =
          CatalogGrpc.newBlockingStub(catalog)
              .withDeadlineAfter(5, TimeUnit.SECONDS)
              .getItem(ItemRequest.newBuilder().setId(id).build());
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
    Request request = new Request.Builder().url("http://pricing.shop/prices/" + id).get().build();
    try (Response response = http.newCall(request).execute()) {
      ResponseBody body = response.body();
      if (response.isSuccessful()) {
        JsonNode price = json.readTree(body.string());
        page.put("cents", price.path("cents").asLong());
        page.put("currency", price.path("currency").asText());
        page.put("pricingInstance", price.path("instance").asText());
        page.put("degraded", false);
      } else {
        page.put("degraded", true);
        page.put("priceError", "pricing.shop answered " + response.code() + " after the mesh's retries: "
            + body.string());
      }
    } catch (IOException e) {
      // MeshHttpException (circuit open, no healthy endpoint, ...) or a network error
      page.put("degraded", true);
      page.put("priceError", "pricing.shop failed: " + e.getMessage());
    }
    return ResponseEntity.ok(page);
  }
}
