package io.mesh4j.controller.resolve;

import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.ServiceEndpoints;

/**
 * What a proven workload identity may be told: the one rule every face of the controller (the
 * policy stream, the admin page, tools) applies.
 *
 * <ul>
 *   <li>It may name any service it <em>calls</em>: that yields the service's routes, destination
 *       policies and endpoints, which every caller needs and which carry no secrets.
 *   <li>It may name a service it <em>serves</em>, which also yields the service's authorization
 *       policies, only when the service is in the identity's own namespace and either has the
 *       identity's service account name (the usual one-account-per-application convention) or has
 *       an endpoint whose SPIFFE ID is the identity's. A workload can thus never read, or enforce
 *       on itself, another service's authorization policies.
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class Visibility {

  private Visibility() {}

  /**
   * Whether the workload {@code namespace/serviceAccount}, whose SPIFFE ID is {@code spiffeId},
   * serves {@code service} ({@code name.namespace}) in {@code world}.
   */
  public static boolean mayServe(
      String namespace, String serviceAccount, String spiffeId, String service, PolicySet world) {
    int dot = service.indexOf('.');
    if (dot < 0 || !service.substring(dot + 1).equals(namespace)) {
      return false;
    }
    if (service.substring(0, dot).equals(serviceAccount)) {
      return true;
    }
    for (ServiceEndpoints endpoints : world.endpoints()) {
      if (!endpoints.spec().service().equals(service)) {
        continue;
      }
      for (ServiceEndpoints.Endpoint e : endpoints.spec().endpoints()) {
        if (spiffeId.equals(e.identity())) {
          return true;
        }
      }
    }
    return false;
  }
}
