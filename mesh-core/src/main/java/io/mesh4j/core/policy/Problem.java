package io.mesh4j.core.policy;

import org.jspecify.annotations.Nullable;

/**
 * One refused piece of configuration: which resource, which field, what was expected and what was
 * found. Rendered as {@code TrafficRoute shop/catalog: spec.rules[1].backends[0].weight: must be
 * >= 0, got -5}.
 *
 * @param resource the resource, {@code Kind namespace/name}; for input that is not yet a resource
 *     (unreadable YAML), where it came from, e.g. {@code routes.yaml (document 2)}
 * @param path the field path inside the resource, e.g. {@code spec.rules[1].timeout}; empty when
 *     the problem concerns the whole resource
 * @param expected what a valid value looks like, phrased as a rule ("must be >= 0")
 * @param actual the offending value as written, or null when there is none (a missing field)
 */
public record Problem(String resource, String path, String expected, @Nullable String actual) {

  /** The one-line, human-readable form. */
  public String message() {
    StringBuilder sb = new StringBuilder(resource);
    if (!path.isEmpty()) {
      sb.append(": ").append(path);
    }
    sb.append(": ").append(expected);
    if (actual != null) {
      sb.append(", got ").append(actual);
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return message();
  }
}
