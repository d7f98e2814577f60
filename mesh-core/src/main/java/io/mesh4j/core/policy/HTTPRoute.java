package io.mesh4j.core.policy;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A Gateway API {@code HTTPRoute} ({@code gateway.networking.k8s.io/v1}) attached to a {@code
 * Service}, as the mesh profile (GAMMA) uses it: calls from meshed clients to the parent Service
 * are routed by its rules to backend Services. The fields are the specification's, restricted to
 * what mesh4j implements; a field outside that subset is refused with its path, never ignored.
 * The named kind mirrors Kubernetes' spelling so that the same YAML applies in a cluster.
 */
public record HTTPRoute(
    @Field(doc = "Name and namespace of this route.", required = true) Metadata metadata,
    @Field(doc = "The route.", required = true) Spec spec)
    implements MeshResource {

  /** The API group and version of Gateway API routes. */
  public static final String GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1";

  @Override
  public String apiVersion() {
    return GATEWAY_API_VERSION;
  }

  /** What the route attaches to and how it routes. */
  public record Spec(
      @Field(doc = "The Services whose traffic this route routes (GAMMA); at least one.", required = true)
          List<ParentReference> parentRefs,
      @Field(doc = "Rules; a call takes the most specific match over every route of its Service.", defaultValue = "[{}]")
          List<Rule> rules) {}

  /** A parent of a route: for the mesh, a Service. */
  public record ParentReference(
      @Field(doc = "API group of the parent; the core group, `\"\"`, for a Service.", defaultValue = "''")
          String group,
      @Field(doc = "Kind of the parent; `Service`.", defaultValue = "Service") String kind,
      @Field(doc = "Name of the Service.", required = true) String name,
      @Field(doc = "Namespace of the Service; absent means the route's own namespace.")
          @Nullable String namespace,
      @Field(doc = "The Service port the route applies to: HTTP calls to another port skip it (gRPC calls carry no port"
              + " and always take it); absent means every port.", min = 1, max = 65535)
          @Nullable Integer port) {}

  /** One rule: which calls, and where they go. */
  public record Rule(
      @Field(doc = "Optional name (GEP-995), used in metrics and messages.") @Nullable String name,
      @Field(doc = "Alternatives (any may match); absent matches every call, as `path: {type: PathPrefix, value: /}`.")
          @Nullable List<Match> matches,
      @Field(doc = "Filters applied to every call the rule matches.") @Nullable List<Filter> filters,
      @Field(doc = "Backend Services with weights; absent or all zero answers 503 (the spec's 500).")
          @Nullable List<BackendRef> backendRefs,
      @Field(doc = "Timeouts of calls matching this rule.") @Nullable Timeouts timeouts,
      @Field(doc = "Retries of calls matching this rule (GEP-1731), within the destination's retry budget.")
          @Nullable Retry retry) {}

  /** Conditions on one HTTP call; every one that is set must hold. */
  public record Match(
      @Field(doc = "The path.") @Nullable PathMatch path,
      @Field(doc = "Request headers; all must hold.") @Nullable List<HeaderMatch> headers,
      @Field(doc = "Query parameters (first value, case-sensitive names); all must hold.")
          @Nullable List<HeaderMatch> queryParams,
      @Field(doc = "HTTP method, e.g. `GET`.") @Nullable String method) {}

  /** How a path is compared. */
  public enum PathMatchType {
    /** The whole path. */
    Exact,
    /** Whole path elements: `/foo` matches `/foo` and `/foo/bar`, not `/foobar`. */
    PathPrefix,
    /** An RE2 expression the whole path must match. */
    RegularExpression
  }

  /** A path condition. */
  public record PathMatch(
      @Field(doc = "`Exact`, `PathPrefix` or `RegularExpression`.", defaultValue = "PathPrefix") PathMatchType type,
      @Field(doc = "The path, starting with `/`, or the expression.", defaultValue = "/") String value) {}

  /** How a header value is compared. */
  public enum HeaderMatchType {
    /** The whole value. */
    Exact,
    /** An RE2 expression the whole value must match. */
    RegularExpression
  }

  /** A header condition. */
  public record HeaderMatch(
      @Field(doc = "`Exact` or `RegularExpression`.", defaultValue = "Exact") HeaderMatchType type,
      @Field(doc = "Header name, case-insensitive.", required = true) String name,
      @Field(doc = "The value or the expression.", required = true) String value) {}

  /**
   * A filter. mesh4j implements {@code RequestHeaderModifier} and {@code ResponseHeaderModifier};
   * any other type is refused with its path.
   */
  public record Filter(
      @Field(doc = "`RequestHeaderModifier`, `ResponseHeaderModifier`, `URLRewrite`, `RequestRedirect` or `RequestMirror`.", required = true)
          String type,
      @Field(doc = "With `RequestHeaderModifier`: headers to set, add and remove on the request.")
          TrafficRoute.@Nullable HeaderEdits requestHeaderModifier,
      @Field(doc = "With `ResponseHeaderModifier`: headers to set, add and remove on the response.")
          TrafficRoute.@Nullable HeaderEdits responseHeaderModifier,
      @Field(doc = "With `URLRewrite`: the host and path the request is sent with.") @Nullable URLRewrite urlRewrite,
      @Field(doc = "With `RequestRedirect`: the redirect answered instead of sending the request.")
          @Nullable RequestRedirect requestRedirect,
      @Field(doc = "With `RequestMirror`: the Service a share of the calls is copied to; responses are discarded.")
          @Nullable RequestMirror requestMirror) {}

  /** Copies of calls sent to another Service (at most one mirror per rule). */
  public record RequestMirror(
      @Field(doc = "The Service the copies go to.", required = true) BackendObjectReference backendRef,
      @Field(doc = "Share of calls to copy, 0-100; absent (and no `fraction`) copies every call.", min = 0, max = 100)
          @Nullable Integer percent,
      @Field(doc = "Share of calls to copy as numerator/denominator, instead of `percent`.") @Nullable Fraction fraction) {}

  /** A Service a mirror copies to: a backend without weight or filters. */
  public record BackendObjectReference(
      @Field(doc = "API group; the core group, `\"\"`, for a Service.", defaultValue = "''") String group,
      @Field(doc = "Kind; `Service`.", defaultValue = "Service") String kind,
      @Field(doc = "Name of the Service.", required = true) String name,
      @Field(doc = "Namespace of the Service; absent means the route's own namespace.") @Nullable String namespace,
      @Field(doc = "Port of the Service.", min = 1, max = 65535) @Nullable Integer port) {

    /** The Service, {@code name.namespace}. */
    public String service(String routeNamespace) {
      return name + "." + (namespace == null ? routeNamespace : namespace);
    }
  }

  /** A share as a fraction. */
  public record Fraction(
      @Field(doc = "Numerator.", required = true, min = 0) Integer numerator,
      @Field(doc = "Denominator; at least 1.", defaultValue = "100", min = 1) Integer denominator) {}

  /** A change of host and path. */
  public record URLRewrite(
      @Field(doc = "Host the request is sent with (its `Host` header).") @Nullable String hostname,
      @Field(doc = "How the path changes.") @Nullable PathModifier path) {}

  /** How a path changes. */
  public record PathModifier(
      @Field(doc = "`ReplaceFullPath` or `ReplacePrefixMatch` (with a `PathPrefix` match).", required = true)
          PathModifierType type,
      @Field(doc = "With `ReplaceFullPath`: the new path.") @Nullable String replaceFullPath,
      @Field(doc = "With `ReplacePrefixMatch`: what replaces the matched prefix.") @Nullable String replacePrefixMatch) {}

  /** Kinds of path change. */
  public enum PathModifierType {
    /** The whole path. */
    ReplaceFullPath,
    /** The prefix the rule's {@code PathPrefix} match matched. */
    ReplacePrefixMatch
  }

  /** A redirect answered to the application. */
  public record RequestRedirect(
      @Field(doc = "`http` or `https`; absent keeps the request's.") @Nullable String scheme,
      @Field(doc = "Host; absent keeps the request's.") @Nullable String hostname,
      @Field(doc = "How the path changes; absent keeps it.") @Nullable PathModifier path,
      @Field(doc = "Port; absent means the scheme's default when the scheme changes, else the request's.", min = 1, max = 65535)
          @Nullable Integer port,
      @Field(doc = "301, 302, 303, 307 or 308.", defaultValue = "302") Integer statusCode) {}

  /** Where matching calls go. */
  public record BackendRef(
      @Field(doc = "API group of the backend; the core group, `\"\"`, for a Service.", defaultValue = "''")
          String group,
      @Field(doc = "Kind of the backend; `Service`.", defaultValue = "Service") String kind,
      @Field(doc = "Name of the Service.", required = true) String name,
      @Field(doc = "Namespace of the Service; absent means the route's own namespace.")
          @Nullable String namespace,
      @Field(doc = "Port of the Service; calls go to the endpoints of its ServiceEndpoints or EndpointSlices, on their own ports.",
              min = 1, max = 65535)
          @Nullable Integer port,
      @Field(doc = "Relative weight; 0 sends nothing.", defaultValue = "1", min = 0, max = 1_000_000)
          Integer weight,
      @Field(doc = "Filters applied when this backend is chosen: `RequestHeaderModifier`.")
          @Nullable List<Filter> filters) {}

  /**
   * Retries (GEP-1731). Only calls safe to replay are retried (not a {@code POST}, as a {@code
   * TrafficRoute}'s retries), and each retry takes room in the destination's retry budget.
   */
  public record Retry(
      @Field(doc = "HTTP statuses that are retried, each 400 to 599; absent: only failures to connect.")
          @Nullable List<Integer> codes,
      @Field(doc = "Retries after the first attempt.", defaultValue = "1", min = 0, max = 9) Integer attempts,
      @Field(doc = "Backoff before the first retry, doubling up to ten times it, with full jitter.", defaultValue = "25ms")
          Duration backoff) {}

  /** Deadlines of a rule's calls. */
  public record Timeouts(
      @Field(doc = "Deadline of the whole call, retries included; leave it out for none (`0s` is refused).")
          @Nullable Duration request,
      @Field(doc = "Deadline of each attempt; leave it out for none (`0s` is refused).") @Nullable Duration backendRequest) {}
}
