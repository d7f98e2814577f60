package io.mesh4j.samples.shop.pricing;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Prices, and the switch that breaks them. The price is derived from the id so every instance
 * agrees; the answer names the instance so callers can see where the mesh sent them.
 */
@RestController
public class PricingController {

  private final String instance;
  private final Duration slowDelay;
  private final LongAdder served = new LongAdder();
  private volatile PricingMode mode = PricingMode.OK;

  /** An instance named {@code pricing.instance} whose slow mode waits {@code pricing.slow-delay}. */
  public PricingController(
      @Value("${pricing.instance}") String instance,
      @Value("${pricing.slow-delay}") Duration slowDelay) {
    if (slowDelay.isNegative()) {
      throw new IllegalArgumentException("pricing.slow-delay must not be negative, got " + slowDelay);
    }
    this.instance = instance;
    this.slowDelay = slowDelay;
  }

  /** The price of item {@code id}, in cents, or 503 in {@code fail} mode. */
  @GetMapping("/prices/{id}")
  public ResponseEntity<Map<String, Object>> price(@PathVariable String id) throws InterruptedException {
    served.increment();
    PricingMode m = mode;
    if (m == PricingMode.FAIL) {
      return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
          .body(Map.of("error", instance + " is in fail mode (POST /admin/mode?value=ok heals it)"));
    }
    if (m == PricingMode.SLOW) {
      Thread.sleep(slowDelay.toMillis());
    }
    long cents = 100L + Math.floorMod(id.hashCode(), 9900);
    return ResponseEntity.ok(Map.of("id", id, "cents", cents, "currency", "EUR", "instance", instance));
  }

  /** Switches the mode: {@code ok}, {@code slow} or {@code fail}. */
  @PostMapping("/admin/mode")
  public Map<String, String> mode(@RequestParam("value") String value) {
    PricingMode previous = mode;
    mode = PricingMode.parse(value);
    return Map.of("instance", instance, "mode", mode.wire(), "previous", previous.wire());
  }

  /** The current mode. */
  @GetMapping("/admin/mode")
  public Map<String, String> mode() {
    return Map.of("instance", instance, "mode", mode.wire());
  }

  /** A bad switch value answers 400 and says what is accepted. */
  @ExceptionHandler(IllegalArgumentException.class)
  public ResponseEntity<Map<String, String>> badRequest(IllegalArgumentException e) {
    return ResponseEntity.badRequest().body(Map.of("error", "POST /admin/mode?value=: " + e.getMessage()));
  }

  /** This instance's name. */
  public String instance() {
    return instance;
  }

  /** Price requests received since start, failed ones and other callers' retries included. */
  public long served() {
    return served.sum();
  }
}
