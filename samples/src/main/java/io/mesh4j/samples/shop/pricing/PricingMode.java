package io.mesh4j.samples.shop.pricing;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How a pricing instance answers: normally, slowly, or with 503 to every price request. */
public enum PricingMode {
  /** Answers at once. */
  OK,
  /** Waits {@code pricing.slow-delay} before answering. */
  SLOW,
  /** Answers 503 Service Unavailable. */
  FAIL;

  /** The mode named {@code value} (any case), or an error listing the modes there are. */
  public static PricingMode parse(String value) {
    for (PricingMode m : values()) {
      if (m.name().equalsIgnoreCase(value)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "mode must be one of "
            + Arrays.stream(values()).map(PricingMode::wire).collect(Collectors.joining(", "))
            + ", got '" + value + "'");
  }

  /** The name used on the wire, in lower case. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
