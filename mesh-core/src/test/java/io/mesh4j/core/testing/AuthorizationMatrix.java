package io.mesh4j.core.testing;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One authorization matrix shared by the engine's table test and the real-call tests of the
 * gRPC interceptor and the servlet filter: the policies, then every case with its exact expected
 * outcome. {@link Case#denial} is the refusal's detail ({@code null} when the call is allowed);
 * adapters show it as {@code mesh4j: denied for <service> (<denial>)}.
 */
public final class AuthorizationMatrix {

  private AuthorizationMatrix() {}

  /** The gRPC service of the matrix; its methods are {@code test.Echo/Unary} and {@code test.Echo/Other}. */
  public static final String GRPC_SERVICE = "catalog.shop";

  /** The HTTP service of the matrix. */
  public static final String HTTP_SERVICE = "pricing.shop";

  public static final String FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";
  public static final String ADMIN_ALICE = "spiffe://cluster.local/ns/shop/sa/admin-alice";
  public static final String ADMIN_INTERN = "spiffe://cluster.local/ns/shop/sa/admin-intern";
  public static final String ADMINISTRATOR = "spiffe://cluster.local/ns/shop/sa/administrator";
  public static final String OPS_ONCALL = "spiffe://cluster.local/ns/ops/sa/oncall";
  public static final String OPS_DEBUG = "spiffe://cluster.local/ns/ops/sa/debug";
  public static final String BATCH = "spiffe://cluster.local/ns/jobs/sa/batch";
  public static final String INVOICER = "spiffe://cluster.local/ns/billing/sa/invoicer";
  public static final String FOREIGN_FRONTEND = "spiffe://other.domain/ns/shop/sa/frontend";

  /** Both services' policies. */
  public static final String POLICIES =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: AuthorizationPolicy
      metadata: {name: catalog-readers, namespace: shop}
      spec:
        service: catalog.shop
        action: ALLOW
        rules:
          - principals: ["spiffe://cluster.local/ns/shop/sa/frontend"]
            grpcMethods: ["test.Echo/Unary"]
          - namespaces: [ops]
            grpcMethods: ["test.Echo/*"]
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: AuthorizationPolicy
      metadata: {name: catalog-admins, namespace: shop}
      spec:
        service: catalog.shop
        action: ALLOW
        rules:
          - principals: ["spiffe://cluster.local/ns/shop/sa/admin-*"]
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: AuthorizationPolicy
      metadata: {name: no-ops-debug, namespace: shop}
      spec:
        service: catalog.shop
        action: DENY
        rules:
          - principals: ["spiffe://cluster.local/ns/ops/sa/debug"]
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: AuthorizationPolicy
      metadata: {name: interns-read-only, namespace: shop}
      spec:
        service: catalog.shop
        action: DENY
        rules:
          - principals: ["spiffe://cluster.local/ns/shop/sa/admin-intern"]
            grpcMethods: ["test.Echo/Other"]
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: AuthorizationPolicy
      metadata: {name: pricing-readers, namespace: shop}
      spec:
        service: pricing.shop
        action: ALLOW
        rules:
          - namespaces: [shop]
            httpMethods: [GET]
            paths: ["/prices/*"]
          - principals: ["spiffe://cluster.local/ns/billing/sa/invoicer"]
            httpMethods: [GET, POST]
            paths: ["/prices/*", "/invoices"]
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: AuthorizationPolicy
      metadata: {name: no-admin-paths, namespace: shop}
      spec:
        service: pricing.shop
        action: DENY
        rules:
          - paths: ["/prices/admin/*"]
      ---
      apiVersion: mesh4j.io/v1alpha1
      kind: AuthorizationPolicy
      metadata: {name: no-jobs, namespace: shop}
      spec:
        service: pricing.shop
        action: DENY
        rules:
          - namespaces: [jobs]
      """;

  /**
   * One call and its exact expected outcome.
   *
   * @param name what the case shows
   * @param peer the caller's verified SPIFFE ID, or null for an unauthenticated caller
   * @param grpcMethod the gRPC method ({@code test.Echo/Unary}), or null for an HTTP call
   * @param httpMethod the HTTP method, or null for a gRPC call
   * @param path the HTTP request path as sent on the wire, or null for a gRPC call
   * @param denial the refusal's detail naming the policy, or null when the call is allowed
   */
  public record Case(
      String name,
      @Nullable String peer,
      @Nullable String grpcMethod,
      @Nullable String httpMethod,
      @Nullable String path,
      @Nullable String denial) {

    /** The service the case calls. */
    public String service() {
      return grpcMethod != null ? GRPC_SERVICE : HTTP_SERVICE;
    }

    /** The message an adapter shows for a denied call. */
    public String message() {
      return "mesh4j: denied for " + service() + " (" + denial + ")";
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static final String NO_GRPC_RULE =
      "no rule of AuthorizationPolicy shop/catalog-admins, AuthorizationPolicy shop/catalog-readers allows ";
  private static final String NO_HTTP_RULE = "no rule of AuthorizationPolicy shop/pricing-readers allows ";

  private static Case grpc(String name, @Nullable String peer, String method, @Nullable String denial) {
    return new Case(name, peer, "test.Echo/" + method, null, null, denial);
  }

  private static Case http(String name, @Nullable String peer, String method, String path, @Nullable String denial) {
    return new Case(name, peer, null, method, path, denial);
  }

  /** Calls to the gRPC service. */
  public static final List<Case> GRPC =
      List.of(
          grpc("ALLOW by principal and exact method", FRONTEND, "Unary", null),
          grpc("ALLOW by principal does not cover another method", FRONTEND, "Other", NO_GRPC_RULE + FRONTEND),
          grpc("ALLOW by namespace and Service/*", OPS_ONCALL, "Other", null),
          grpc("ALLOW by namespace, first method", OPS_ONCALL, "Unary", null),
          grpc("DENY by principal wins over an ALLOW by namespace", OPS_DEBUG, "Unary",
              "AuthorizationPolicy shop/no-ops-debug denies " + OPS_DEBUG),
          grpc("DENY by principal wins on every method", OPS_DEBUG, "Other",
              "AuthorizationPolicy shop/no-ops-debug denies " + OPS_DEBUG),
          grpc("ALLOW by principal prefix admin-*", ADMIN_ALICE, "Other", null),
          grpc("principal prefix admin-* does not match administrator", ADMINISTRATOR, "Unary", NO_GRPC_RULE + ADMINISTRATOR),
          grpc("DENY by principal and method, other method allowed", ADMIN_INTERN, "Unary", null),
          grpc("DENY by principal and method wins over ALLOW by prefix", ADMIN_INTERN, "Other",
              "AuthorizationPolicy shop/interns-read-only denies " + ADMIN_INTERN),
          grpc("unlisted namespace is denied once ALLOW policies exist", BATCH, "Unary", NO_GRPC_RULE + BATCH),
          grpc("the same path in another trust domain is another principal", FOREIGN_FRONTEND, "Unary",
              NO_GRPC_RULE + FOREIGN_FRONTEND),
          grpc("unauthenticated caller is denied", null, "Unary", NO_GRPC_RULE + "an unauthenticated caller"));

  /** Requests to the HTTP service. */
  public static final List<Case> HTTP =
      List.of(
          http("ALLOW by namespace, method and path prefix", FRONTEND, "GET", "/prices/42", null),
          http("ALLOW by namespace covers only its methods", FRONTEND, "POST", "/prices/42", NO_HTTP_RULE + FRONTEND),
          http("path prefix /prices/* does not match /prices", FRONTEND, "GET", "/prices", NO_HTTP_RULE + FRONTEND),
          http("DENY by path wins over ALLOW by namespace", FRONTEND, "GET", "/prices/admin/keys",
              "AuthorizationPolicy shop/no-admin-paths denies " + FRONTEND),
          http("DENY by path also sees a percent-encoded path", FRONTEND, "GET", "/prices/%61dmin/keys",
              "AuthorizationPolicy shop/no-admin-paths denies " + FRONTEND),
          http("DENY by path also sees through path parameters", FRONTEND, "GET", "/prices/admin;v=1/keys",
              "AuthorizationPolicy shop/no-admin-paths denies " + FRONTEND),
          http("DENY by path also sees through doubled slashes", FRONTEND, "GET", "/prices//admin/keys",
              "AuthorizationPolicy shop/no-admin-paths denies " + FRONTEND),
          http("ALLOW by principal, exact path, second method", INVOICER, "POST", "/invoices", null),
          http("ALLOW by principal, path prefix", INVOICER, "GET", "/prices/7", null),
          http("exact path /invoices does not match /invoices/7", INVOICER, "GET", "/invoices/7", NO_HTTP_RULE + INVOICER),
          http("ALLOW by principal covers only its methods", INVOICER, "DELETE", "/invoices", NO_HTTP_RULE + INVOICER),
          http("DENY by namespace wins", BATCH, "GET", "/prices/1", "AuthorizationPolicy shop/no-jobs denies " + BATCH),
          http("DENY without principal applies to unauthenticated callers", null, "GET", "/prices/admin/keys",
              "AuthorizationPolicy shop/no-admin-paths denies an unauthenticated caller"),
          http("unauthenticated caller is denied", null, "GET", "/prices/1", NO_HTTP_RULE + "an unauthenticated caller"));
}
