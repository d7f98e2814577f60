package io.mesh4j.core.policy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How calls to one destination service are routed: ordered rules (first match wins), each
 * splitting traffic between labelled subsets by weight, with its timeout, retries, faults and
 * mirroring.
 */
public record TrafficRoute(
    @Field(doc = "Name and namespace of this route.", required = true) Metadata metadata,
    @Field(doc = "The routing rules.", required = true) Spec spec)
    implements MeshResource {

  /** The routing rules for one destination. */
  public record Spec(
      @Field(
              doc = "Destination service, `name.namespace` (a bare `name` means the route's namespace).",
              required = true)
          @ServiceName String destination,
      @Field(doc = "Named groups of the destination's endpoints, selected by endpoint labels.")
          @Nullable List<Subset> subsets,
      @Field(doc = "Ordered rules; the first whose match fits a call routes it.", required = true)
          List<Rule> rules) {}

  /** A named group of endpoints: every endpoint whose labels include all of {@code labels}. */
  public record Subset(
      @Field(doc = "Name the rules' backends refer to, e.g. `v2`.", required = true) String name,
      @Field(doc = "Labels an endpoint must carry to belong to the subset.", required = true)
          Map<String, String> labels) {}

  /** One routing rule. */
  public record Rule(
      @Field(doc = "Optional name, used in metrics and messages.") @Nullable String name,
      @Field(doc = "Alternatives (any may match); absent or empty matches every call.")
          @Nullable List<Match> matches,
      @Field(
              doc = "Where matching calls go, split by weight; absent means all the destination's"
                  + " endpoints.",
              defaultValue = "[{weight: 1}]")
          List<Backend> backends,
      @Field(
              doc =
                  "Overall deadline of a call, retries included, from its first attempt (an"
                      + " injected delay counts too); a caller's shorter deadline wins.")
          @Nullable Duration timeout,
      @Field(doc = "Retries; unless set, only a request that never left (a failed connection) is sent again, once.") @Nullable Retry retries,
      @Field(
              doc = "Hedging of idempotent unary gRPC calls: more attempts sent while the first is"
                  + " still out, the first answer wins; not together with `retries`.")
          @Nullable Hedging hedging,
      @Field(doc = "Fault injection for testing resilience.") @Nullable Fault fault,
      @Field(doc = "Copies of calls sent to a shadow backend; responses are discarded.")
          @Nullable Mirror mirror,
      @Field(doc = "Changes to the request's headers (gRPC metadata), made after matching.")
          @Nullable HeaderEdits requestHeaders,
      @Field(doc = "Changes to the response's headers (gRPC metadata) before the application sees them.")
          @Nullable HeaderEdits responseHeaders,
      @Field(doc = "HTTP only: changes to the request's host and path before it is sent; every match must test the path or the method.")
          @Nullable Rewrite rewrite,
      @Field(doc = "HTTP only: answer with a redirect instead of sending the call; every match must test the path or the method.")
          @Nullable Redirect redirect) {}

  /** Changes to an HTTP request's URL before it is sent. */
  public record Rewrite(
      @Field(doc = "Host the request is sent with (its `Host` header).") @Nullable String hostname,
      @Field(doc = "Replaces the whole path.") @Nullable String fullPath,
      @Field(doc = "Replaces the path's leading elements.") @Nullable PrefixRewrite prefix) {}

  /** Replaces a path's leading elements. */
  public record PrefixRewrite(
      @Field(doc = "Leading path elements to replace, e.g. `/v1`; a path not starting with them is kept.", required = true)
          String match,
      @Field(doc = "What replaces them, e.g. `/v2`.", required = true) String replacement) {}

  /** A redirect answered to the application; the mesh never follows it. */
  public record Redirect(
      @Field(doc = "`http` or `https`; absent keeps the request's.") @Nullable String scheme,
      @Field(doc = "Host; absent keeps the request's.") @Nullable String hostname,
      @Field(doc = "Port; absent means the scheme's default when the scheme changes, else the request's.", min = 1, max = 65535)
          @Nullable Integer port,
      @Field(doc = "Replaces the whole path.") @Nullable String fullPath,
      @Field(doc = "Replaces the path's leading elements.") @Nullable PrefixRewrite prefix,
      @Field(doc = "301, 302, 303, 307 or 308.", defaultValue = "302") Integer statusCode) {}

  /** Changes to headers, applied in the order set, add, remove. */
  public record HeaderEdits(
      @Field(doc = "Headers to set, replacing every value they had.") @Nullable List<Header> set,
      @Field(doc = "Headers to add, keeping the values they had.") @Nullable List<Header> add,
      @Field(doc = "Names of headers to remove.") @Nullable List<String> remove) {}

  /** One header. */
  public record Header(
      @Field(doc = "Name, case-insensitive.", required = true) String name,
      @Field(doc = "Value.", required = true) String value) {}

  /** Conditions a call must all meet; absent conditions always hold. */
  public record Match(
      @Field(doc = "gRPC service and method.") @Nullable GrpcMatch grpc,
      @Field(doc = "HTTP method, e.g. `GET`.") @Nullable String method,
      @Field(doc = "HTTP path.") @Nullable StringMatch path,
      @Field(doc = "Request headers (gRPC metadata); all must hold.") @Nullable List<HeaderMatch> headers,
      @Field(doc = "HTTP query parameters; all must hold.") @Nullable List<QueryMatch> queryParams,
      @Field(doc = "The port the application called (an HTTP URL's port); calls whose port is not known (gRPC) match any.",
              min = 1, max = 65535)
          @Nullable Integer port) {}

  /** A condition on one query parameter's first value; exactly one of exact and regex. */
  public record QueryMatch(
      @Field(doc = "Parameter name, case-sensitive.", required = true) String name,
      @Field(doc = "The whole value.") @Nullable String exact,
      @Field(doc = "An RE2 regular expression the whole value must match.") @Nullable String regex) {}

  /** Matches a gRPC call by its fully qualified service and its method name. */
  public record GrpcMatch(
      @Field(doc = "Fully qualified service, e.g. `shop.Catalog`; absent matches any.")
          @Nullable String service,
      @Field(doc = "Method name, e.g. `GetItem`; absent matches any.") @Nullable String method,
      @Field(doc = "An RE2 expression the whole service name must match, instead of `service`.")
          @Nullable String serviceRegex,
      @Field(doc = "An RE2 expression the whole method name must match, instead of `method`.")
          @Nullable String methodRegex) {}

  /** Exactly one of exact, prefix or regex. */
  public record StringMatch(
      @Field(doc = "The whole value.") @Nullable String exact,
      @Field(doc = "The value's start.") @Nullable String prefix,
      @Field(doc = "An RE2 regular expression the whole value must match (no backreferences or lookaround); values longer than the MeshConfig's `maxRegexInputBytes` never match.") @Nullable String regex) {}

  /** Matches one header: exactly one of exact, prefix, regex or present. */
  public record HeaderMatch(
      @Field(doc = "Header name, case-insensitive.", required = true) String name,
      @Field(doc = "The whole value.") @Nullable String exact,
      @Field(doc = "The value's start.") @Nullable String prefix,
      @Field(doc = "An RE2 regular expression the whole value must match (no backreferences or lookaround); values longer than the MeshConfig's `maxRegexInputBytes` never match.") @Nullable String regex,
      @Field(doc = "`true`: the header must be present; `false`: it must be absent.")
          @Nullable Boolean present) {}

  /** A weighted share of a rule's traffic. */
  public record Backend(
      @Field(doc = "Another service to send the share to, `name.namespace` (e.g. a canary's `catalog-v2`); absent means the route's destination.")
          @ServiceName @Nullable String destination,
      @Field(doc = "Subset name; absent means every endpoint of the destination.")
          @Nullable String subset,
      @Field(doc = "Relative weight; any size, 0 sends nothing.", defaultValue = "1", min = 0)
          Integer weight,
      @Field(doc = "Changes to the request's headers when this backend is chosen, after the rule's.")
          @Nullable HeaderEdits requestHeaders) {}

  /**
   * Retry policy of a rule. A retry waits the backoff, or longer when the server pushed back
   * (HTTP {@code Retry-After} on a 429 or 503, gRPC {@code grpc-retry-pushback-ms}), and is not
   * made when that wait would end after the call's deadline.
   */
  public record Retry(
      @Field(doc = "Total attempts including the first.", required = true, min = 1, max = 10)
          Integer attempts,
      @Field(doc = "Deadline of each attempt; absent means only the rule's timeout applies.")
          @Nullable Duration perTryTimeout,
      @Field(
              doc = "Retryable outcomes: gRPC code names (`UNAVAILABLE`), HTTP statuses (`503`,"
                  + " `429`) and classes (`5xx`, `4xx`), `connect-failure`, `per-try-timeout`."
                  + " Absent means `[connect-failure, UNAVAILABLE, '503']`, plus `per-try-timeout`"
                  + " when `perTryTimeout` is set.")
          @Nullable List<String> retryOn,
      @Field(doc = "Exponential backoff with full jitter between attempts.", defaultValue = "{}")
          Backoff backoff,
      @Field(doc = "Also retry non-idempotent calls (e.g. HTTP POST); only if replaying is safe.",
              defaultValue = "false")
          Boolean retryNonIdempotent,
      @Field(
              doc = "gRPC methods safe to replay although their descriptor does not say so (no"
                  + " `idempotency_level` in the proto), as `package.Service/Method` or"
                  + " `package.Service/*`; they are retried like idempotent calls.")
          @Nullable List<String> idempotentMethods) {

    /** What an absent {@code retryOn} means, before {@code per-try-timeout} is added. */
    public static final List<String> DEFAULT_RETRY_ON =
        List.of("connect-failure", "UNAVAILABLE", "503");

    private static final List<String> DEFAULT_RETRY_ON_WITH_PER_TRY =
        List.of("connect-failure", "UNAVAILABLE", "503", "per-try-timeout");

    /**
     * The retryable outcomes in effect: {@link #retryOn()} as written, or when absent {@link
     * #DEFAULT_RETRY_ON} plus {@code per-try-timeout} when a {@link #perTryTimeout()} is set (a
     * per-try timeout is set to have slow attempts retried).
     */
    public List<String> effectiveRetryOn() {
      List<String> written = retryOn;
      if (written != null) {
        return written;
      }
      if (perTryTimeout == null) {
        return DEFAULT_RETRY_ON;
      }
      return DEFAULT_RETRY_ON_WITH_PER_TRY;
    }
  }

  /**
   * Hedging, as gRPC's service config defines it (gRFC A6): the first attempt goes out, and while
   * no attempt has answered, another goes out every {@code delay}, each to an endpoint not tried
   * yet where possible, up to {@code maxAttempts}. The first response wins and the other attempts
   * are cancelled. An attempt failing with a non-fatal outcome sends the next one at once; any
   * other answer ends the call. Every attempt after the first takes room from the destination's
   * retry budget. Only calls safe to replay are hedged.
   */
  public record Hedging(
      @Field(doc = "How long to wait for an answer before sending the next attempt.", required = true)
          Duration delay,
      @Field(doc = "Total attempts including the first.", defaultValue = "2", min = 2, max = 5)
          Integer maxAttempts,
      @Field(
              doc = "Outcomes after which the next attempt goes out at once rather than ending the"
                  + " call, in `retryOn`'s terms; absent means `[connect-failure, UNAVAILABLE,"
                  + " '503']`.")
          @Nullable List<String> nonFatalCodes,
      @Field(
              doc = "gRPC methods safe to replay although their descriptor does not say so, as"
                  + " `package.Service/Method` or `package.Service/*`.")
          @Nullable List<String> idempotentMethods) {

    /** The non-fatal outcomes in effect: {@link #nonFatalCodes()}, or the retries' default. */
    public List<String> effectiveNonFatalCodes() {
      List<String> written = nonFatalCodes;
      return written != null ? written : Retry.DEFAULT_RETRY_ON;
    }
  }

  /** Exponential backoff bounds. */
  public record Backoff(
      @Field(doc = "Backoff before the first retry.", defaultValue = "25ms") Duration base,
      @Field(doc = "Upper bound of any backoff.", defaultValue = "250ms") Duration max) {}

  /** Injected faults. */
  public record Fault(
      @Field(doc = "Delay a share of calls.") @Nullable Delay delay,
      @Field(doc = "Fail a share of calls without sending them.") @Nullable Abort abort) {}

  /** Delays a share of matching calls. */
  public record Delay(
      @Field(doc = "Share of calls to delay, 0-100.", required = true, min = 0, max = 100)
          Double percent,
      @Field(doc = "How long to delay them.", required = true) Duration duration) {}

  /** Fails a share of matching calls with a status. */
  public record Abort(
      @Field(doc = "Share of calls to fail, 0-100.", required = true, min = 0, max = 100)
          Double percent,
      @Field(doc = "gRPC status code name for gRPC calls.", defaultValue = "UNAVAILABLE")
          String grpcStatus,
      @Field(doc = "HTTP status for HTTP calls.", defaultValue = "503", min = 100, max = 599)
          Integer httpStatus) {}

  /** Copies a share of calls to a shadow backend. */
  public record Mirror(
      @Field(doc = "Shadow service, `name.namespace`; absent means the route's destination.")
          @ServiceName @Nullable String destination,
      @Field(doc = "Subset of the shadow service; absent means all its endpoints.")
          @Nullable String subset,
      @Field(doc = "Share of calls to copy, 0-100.", defaultValue = "100", min = 0, max = 100)
          Double percent) {}
}
