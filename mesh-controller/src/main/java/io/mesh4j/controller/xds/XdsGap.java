package io.mesh4j.controller.xds;

/**
 * Something the policy says that the xDS resources cannot: served differently or not at all to
 * gRPC's xDS clients. Logged by the controller whenever the list changes.
 *
 * @param resource the policy resource, e.g. {@code TrafficRoute shop/catalog}
 * @param field where in it, e.g. {@code spec.rules[0].mirror}
 * @param reason what xDS clients do instead, and why
 */
public record XdsGap(String resource, String field, String reason) {

  @Override
  public String toString() {
    return resource + " " + field + ": " + reason;
  }
}
