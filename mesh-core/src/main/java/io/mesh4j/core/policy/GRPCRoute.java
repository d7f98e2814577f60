package io.mesh4j.core.policy;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A Gateway API {@code GRPCRoute} ({@code gateway.networking.k8s.io/v1}) attached to a {@code
 * Service}, as the mesh profile (GAMMA) uses it; see {@link HTTPRoute} for what is shared.
 */
public record GRPCRoute(
    @Field(doc = "Name and namespace of this route.", required = true) Metadata metadata,
    @Field(doc = "The route.", required = true) Spec spec)
    implements MeshResource {

  @Override
  public String apiVersion() {
    return HTTPRoute.GATEWAY_API_VERSION;
  }

  /** What the route attaches to and how it routes. */
  public record Spec(
      @Field(doc = "The Services whose traffic this route routes (GAMMA); at least one.", required = true)
          List<HTTPRoute.ParentReference> parentRefs,
      @Field(doc = "Rules; a call takes the most specific match over every route of its Service.", defaultValue = "[{}]")
          List<Rule> rules) {}

  /** One rule: which calls, and where they go. */
  public record Rule(
      @Field(doc = "Optional name (GEP-995), used in metrics and messages.") @Nullable String name,
      @Field(doc = "Alternatives (any may match); absent matches every call.") @Nullable List<Match> matches,
      @Field(doc = "Filters applied to every call the rule matches: header modifiers on metadata.")
          @Nullable List<HTTPRoute.Filter> filters,
      @Field(doc = "Backend Services with weights; absent or all zero answers UNAVAILABLE.")
          @Nullable List<HTTPRoute.BackendRef> backendRefs) {}

  /** Conditions on one gRPC call; every one that is set must hold. */
  public record Match(
      @Field(doc = "The gRPC service and method.") @Nullable MethodMatch method,
      @Field(doc = "Request metadata; all must hold.") @Nullable List<HTTPRoute.HeaderMatch> headers) {}

  /** A service and method condition. */
  public record MethodMatch(
      @Field(doc = "`Exact` or `RegularExpression` (RE2, matching the whole name).", defaultValue = "Exact") MethodMatchType type,
      @Field(doc = "Fully qualified service, e.g. `shop.Catalog`, or an expression; absent matches any.") @Nullable String service,
      @Field(doc = "Method name, e.g. `GetItem`, or an expression; absent matches any.") @Nullable String method) {}

  /** How a service and method are compared. */
  public enum MethodMatchType {
    /** Equal names. */
    Exact,
    /** RE2 expressions matching the whole names. */
    RegularExpression
  }
}
