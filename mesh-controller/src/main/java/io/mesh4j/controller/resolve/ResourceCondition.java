package io.mesh4j.controller.resolve;

/**
 * The {@code Accepted} condition of one mesh4j resource, as data: whether the controller serves
 * it, and if not, why, naming the field path. The Kubernetes mode writes it into the resource's
 * status; the local mode shows it on the admin endpoint.
 *
 * <p>Immutable.
 *
 * @param resource {@code Kind namespace/name}, or where unreadable input came from
 * @param accepted whether the resource as written now is what applications are served
 * @param reason {@code Accepted} or {@code Invalid}
 * @param message every problem, one per line; empty when accepted
 */
public record ResourceCondition(String resource, boolean accepted, String reason, String message) {

  /** The condition type, as in the Gateway API's vocabulary. */
  public static final String TYPE = "Accepted";
}
