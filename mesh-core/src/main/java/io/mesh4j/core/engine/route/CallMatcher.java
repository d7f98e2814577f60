package io.mesh4j.core.engine.route;

import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.policy.TrafficRoute;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One compiled {@link TrafficRoute.Match}: every condition that is set must hold. Immutable. The
 * constructor throws {@link com.google.re2j.PatternSyntaxException} for an invalid expression
 */
final class CallMatcher {

  private final @Nullable String grpcService;
  private final @Nullable String grpcMethod;
  /** {@code service/method} when both are exact: one comparison with the call's full method. */
  private final @Nullable String grpcFullMethod;
  /** The exact method has no {@code /}, so it can be found at the end of the call's full method. */
  private final boolean methodIsTail;
  private final @Nullable StringMatcher grpcServiceRegex;
  private final @Nullable StringMatcher grpcMethodRegex;
  private final boolean grpc;
  private final @Nullable String httpMethod;
  private final @Nullable StringMatcher path;
  private final HeaderMatcher[] headers;
  private final QueryMatcher[] query;
  private final int port;

  /** @param maxRegexInput the longest value, in characters, an expression is tested against */
  CallMatcher(TrafficRoute.Match m, int maxRegexInput) {
    TrafficRoute.GrpcMatch g = m.grpc();
    this.grpc = g != null;
    this.grpcService = g == null ? null : g.service();
    this.grpcMethod = g == null ? null : g.method();
    this.grpcFullMethod =
        grpcService == null || grpcMethod == null ? null : grpcService + "/" + grpcMethod;
    this.methodIsTail = grpcMethod != null && grpcMethod.indexOf('/') < 0;
    this.grpcServiceRegex = g == null ? null : StringMatcher.of(null, null, g.serviceRegex(), maxRegexInput);
    this.grpcMethodRegex = g == null ? null : StringMatcher.of(null, null, g.methodRegex(), maxRegexInput);
    String method = m.method();
    this.httpMethod = method == null ? null : method.toUpperCase(Locale.ROOT);
    TrafficRoute.StringMatch p = m.path();
    this.path = p == null ? null : StringMatcher.of(p.exact(), p.prefix(), p.regex(), maxRegexInput);
    List<TrafficRoute.HeaderMatch> hs = Objects.requireNonNullElse(m.headers(), List.of());
    this.headers = new HeaderMatcher[hs.size()];
    for (int i = 0; i < headers.length; i++) {
      headers[i] = new HeaderMatcher(hs.get(i), maxRegexInput);
    }
    Integer calledPort = m.port();
    this.port = calledPort == null ? 0 : calledPort;
    List<TrafficRoute.QueryMatch> qs = Objects.requireNonNullElse(m.queryParams(), List.of());
    this.query = new QueryMatcher[qs.size()];
    for (int i = 0; i < query.length; i++) {
      TrafficRoute.QueryMatch q = qs.get(i);
      query[i] = new QueryMatcher(q.name(), StringMatcher.of(q.exact(), null, q.regex(), maxRegexInput));
    }
  }

  /**
   * Why {@code call} fails this match, naming the first condition that does not hold, e.g. {@code
   * header x-canary: wanted exact 'true', got none}; null when it matches. Agrees with {@link
   * #matches}; for explanations off the call path, so it allocates freely.
   */
  @Nullable String whyNot(OutboundCall call) {
    if (port != 0) {
      int called = call.port();
      if (called != 0 && called != port) {
        return "port: wanted " + port + ", got " + called;
      }
    }
    if (grpc) {
      String service = call.grpcService();
      if (service == null) {
        return "grpc: wanted a gRPC call, got " + describeHttp(call);
      }
      if (grpcService != null && !grpcService.equals(service)) {
        return "grpc service: wanted '" + grpcService + "', got '" + service + "'";
      }
      if (grpcMethod != null && !grpcMethod.equals(call.grpcMethod())) {
        return "grpc method: wanted '" + grpcMethod + "', got " + quoted(call.grpcMethod());
      }
      StringMatcher s = grpcServiceRegex;
      if (s != null && !s.matches(service)) {
        return "grpc service: wanted " + s.describe() + ", got '" + service + "'";
      }
      StringMatcher m = grpcMethodRegex;
      if (m != null && !m.matches(call.grpcMethod())) {
        return "grpc method: wanted " + m.describe() + ", got " + quoted(call.grpcMethod());
      }
    }
    if (httpMethod != null && !httpMethod.equals(call.httpMethod())) {
      return "method: wanted " + httpMethod + ", got "
          + (call.httpMethod() == null ? "a gRPC call" : call.httpMethod());
    }
    StringMatcher p = path;
    if (p != null && !p.matches(call.path())) {
      return "path: wanted " + p.describe() + ", got "
          + (call.path() == null ? "a gRPC call" : call.path());
    }
    for (HeaderMatcher h : headers) {
      if (!h.matches(call)) {
        return h.whyNot(call);
      }
    }
    for (QueryMatcher q : query) {
      if (!q.matches(call)) {
        StringMatcher v = q.value();
        return "query parameter " + q.name() + ": wanted "
            + (v == null ? "present" : v.describe()) + ", got " + quoted(call.queryParameter(q.name()));
      }
    }
    return null;
  }

  private static String describeHttp(OutboundCall call) {
    String method = call.httpMethod();
    return method == null ? "a call of no protocol" : "HTTP " + method + " " + call.path();
  }

  static String quoted(@Nullable String value) {
    return value == null ? "none" : "'" + value + "'";
  }

  boolean matches(OutboundCall call) {
    if (port != 0) {
      int called = call.port();
      if (called != 0 && called != port) {
        return false;
      }
    }
    if (grpc) {
      // Compared on the full method where possible: adapters hold it, while the bare method
      // name may be cut out of it on every read (grpc-java's getBareMethodName does).
      String full = grpcFullMethod;
      if (full != null) {
        if (!full.equals(call.grpcFullMethod())) {
          return false;
        }
      } else {
        String service = call.grpcService();
        if (service == null) {
          return false;
        }
        if (grpcService != null && !grpcService.equals(service)) {
          return false;
        }
        String method = grpcMethod;
        if (method != null && !(methodIsTail ? hasBareMethod(call, method) : method.equals(call.grpcMethod()))) {
          return false;
        }
      }
      StringMatcher s = grpcServiceRegex;
      if (s != null && !s.matches(call.grpcService())) {
        return false;
      }
      StringMatcher m = grpcMethodRegex;
      if (m != null && !m.matches(call.grpcMethod())) {
        return false;
      }
    }
    if (httpMethod != null && !httpMethod.equals(call.httpMethod())) {
      return false;
    }
    if (path != null && !path.matches(call.path())) {
      return false;
    }
    for (HeaderMatcher h : headers) {
      if (!h.matches(call)) {
        return false;
      }
    }
    for (QueryMatcher q : query) {
      if (!q.matches(call)) {
        return false;
      }
    }
    return true;
  }

  /** Whether the call's full method is {@code service/method}: its bare method, without a copy. */
  private static boolean hasBareMethod(OutboundCall call, String method) {
    String full = call.grpcFullMethod();
    if (full == null) {
      return false;
    }
    int start = full.length() - method.length();
    return start > 0 && full.charAt(start - 1) == '/' && full.startsWith(method, start);
  }

  /**
   * Whether a gRPC call to {@code fullMethod} may match this alternative; null stands for a method
   * that no alternative of the destination names exactly. False when the alternative needs what a
   * gRPC call never has (an HTTP method, a path or a query parameter: {@link OutboundCall}), another
   * exact method, or, for a known method, another exact service or bare method name.
   */
  boolean mayMatchGrpc(@Nullable String fullMethod) {
    if (httpMethod != null || path != null || query.length > 0) {
      return false;
    }
    String required = grpcFullMethod;
    if (required != null || fullMethod == null) {
      return required == null || required.equals(fullMethod);
    }
    // The call's full method is its service, '/' and its method.
    String service = grpcService;
    if (service != null
        && !(fullMethod.length() > service.length()
            && fullMethod.startsWith(service)
            && fullMethod.charAt(service.length()) == '/')) {
      return false;
    }
    String method = grpcMethod;
    return method == null || !methodIsTail || fullMethod.endsWith("/" + method);
  }

  /**
   * The full method {@code service/method} this alternative requires, or null when it can match
   * calls to more than one method.
   */
  @Nullable String exactGrpcFullMethod() {
    return grpcFullMethod;
  }

  /** One compiled query parameter condition; without a value condition, the parameter must be present. */
  private record QueryMatcher(String name, @Nullable StringMatcher value) {
    boolean matches(OutboundCall call) {
      String v = call.queryParameter(name);
      StringMatcher m = value;
      return m == null ? v != null : m.matches(v);
    }
  }

  /** One compiled header condition. */
  private static final class HeaderMatcher {
    private final String name;
    private final @Nullable StringMatcher value;
    private final @Nullable Boolean present;

    HeaderMatcher(TrafficRoute.HeaderMatch h, int maxRegexInput) {
      this.name = h.name().toLowerCase(Locale.ROOT);
      this.value = StringMatcher.of(h.exact(), h.prefix(), h.regex(), maxRegexInput);
      this.present = h.present();
    }

    boolean matches(OutboundCall call) {
      String v = call.header(name);
      Boolean p = present;
      if (p != null && p != (v != null)) {
        return false;
      }
      StringMatcher m = value;
      return m == null || m.matches(v);
    }

    String whyNot(OutboundCall call) {
      String v = call.header(name);
      Boolean p = present;
      StringMatcher m = value;
      String wanted =
          p != null && m == null ? (p ? "present" : "absent") : m == null ? "anything" : m.describe();
      return "header " + name + ": wanted " + wanted + ", got " + quoted(v);
    }
  }
}
