package io.mesh4j.core.engine.authz;

import io.mesh4j.core.call.InboundCall;
import io.mesh4j.core.policy.AuthorizationPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The compiled authorization policies of one service. A call is denied when any DENY rule
 * matches it, or when the service has ALLOW policies and none of their rules matches it.
 *
 * <p>Immutable; thread-safe.
 */
public final class ServiceAuthorization {

  private final Rule[] denyRules;
  private final Rule[] allowRules;
  private final boolean hasAllowPolicies;
  private final String allowPolicies;

  private ServiceAuthorization(
      Rule[] denyRules, Rule[] allowRules, boolean hasAllowPolicies, String allowPolicies) {
    this.denyRules = denyRules;
    this.allowRules = allowRules;
    this.hasAllowPolicies = hasAllowPolicies;
    this.allowPolicies = allowPolicies;
  }

  /** Compiles the policies of every service, keyed by service ({@code name.namespace}). */
  public static Map<String, ServiceAuthorization> compile(List<AuthorizationPolicy> policies) {
    Map<String, List<AuthorizationPolicy>> byService = new LinkedHashMap<>();
    for (AuthorizationPolicy p : policies) {
      byService.computeIfAbsent(p.spec().service(), k -> new ArrayList<>()).add(p);
    }
    Map<String, ServiceAuthorization> out = new LinkedHashMap<>();
    byService.forEach((service, list) -> out.put(service, compileService(list)));
    return out;
  }

  private static ServiceAuthorization compileService(List<AuthorizationPolicy> policies) {
    List<Rule> deny = new ArrayList<>();
    List<Rule> allow = new ArrayList<>();
    List<String> allowRefs = new ArrayList<>();
    for (AuthorizationPolicy p : policies) {
      boolean isDeny = p.spec().action() == AuthorizationPolicy.Action.DENY;
      if (!isDeny) {
        allowRefs.add(p.ref());
      }
      List<AuthorizationPolicy.Rule> rules = p.spec().rules();
      if (rules == null) {
        continue;
      }
      for (AuthorizationPolicy.Rule r : rules) {
        (isDeny ? deny : allow).add(Rule.of(p.ref(), r));
      }
    }
    // Sorted, so the refusal names the same policies whatever order they were loaded in.
    allowRefs.sort(null);
    return new ServiceAuthorization(
        deny.toArray(new Rule[0]),
        allow.toArray(new Rule[0]),
        !allowRefs.isEmpty(),
        String.join(", ", allowRefs));
  }

  /**
   * Why {@code call} is denied, as the detail of the refusal naming the policy responsible, or
   * null when it is allowed.
   */
  public @Nullable String deny(InboundCall call) {
    String namespace = namespaceOf(call.peer());
    // Rules see the path the container routes on, not the spelling the client chose.
    String raw = call.path();
    String path = RequestPaths.normalize(raw);
    if (path != null && path.isEmpty()) {
      // No rule can judge a path whose meaning depends on who decodes it, so none may admit it.
      return "request path " + RequestPaths.quote(raw) + " is refused (an encoded / or \\, or .."
          + " above the root) for " + who(call);
    }
    for (Rule r : denyRules) {
      if (r.matches(call, namespace, path)) {
        return r.policy + " denies " + who(call);
      }
    }
    if (!hasAllowPolicies) {
      return null;
    }
    for (Rule r : allowRules) {
      if (r.matches(call, namespace, path)) {
        return null;
      }
    }
    return "no rule of " + allowPolicies + " allows " + who(call);
  }

  private static String who(InboundCall call) {
    String peer = call.peer();
    return peer == null ? "an unauthenticated caller" : peer;
  }

  /** The namespace of a SPIFFE ID of the form {@code spiffe://domain/ns/NAME/...}, or null. */
  static @Nullable String namespaceOf(@Nullable String spiffeId) {
    if (spiffeId == null || !spiffeId.startsWith("spiffe://")) {
      return null;
    }
    int slash = spiffeId.indexOf('/', "spiffe://".length());
    if (slash < 0 || !spiffeId.startsWith("/ns/", slash)) {
      return null;
    }
    int start = slash + 4;
    int end = spiffeId.indexOf('/', start);
    return end < 0 ? spiffeId.substring(start) : spiffeId.substring(start, end);
  }

  /** One rule: every condition that is set must hold; within a condition, any entry may match. */
  private static final class Rule {
    final String policy;
    final String @Nullable [] principals;
    final String @Nullable [] namespaces;
    final String @Nullable [] grpcMethods;
    final String @Nullable [] httpMethods;
    final String @Nullable [] paths;
    final String @Nullable [] pathPrefixes;

    private Rule(
        String policy,
        String @Nullable [] principals,
        String @Nullable [] namespaces,
        String @Nullable [] grpcMethods,
        String @Nullable [] httpMethods,
        String @Nullable [] paths,
        String @Nullable [] pathPrefixes) {
      this.policy = policy;
      this.principals = principals;
      this.namespaces = namespaces;
      this.grpcMethods = grpcMethods;
      this.httpMethods = httpMethods;
      this.paths = paths;
      this.pathPrefixes = pathPrefixes;
    }

    static Rule of(String policy, AuthorizationPolicy.Rule r) {
      List<String> methods = r.httpMethods();
      return new Rule(
          policy,
          array(r.principals()),
          array(r.namespaces()),
          array(r.grpcMethods()),
          methods == null
              ? null
              : methods.stream().map(m -> m.toUpperCase(Locale.ROOT)).toArray(String[]::new),
          array(r.paths()),
          array(r.pathPrefixes()));
    }

    private static String @Nullable [] array(@Nullable List<String> values) {
      return values == null || values.isEmpty() ? null : values.toArray(new String[0]);
    }

    boolean matches(InboundCall call, @Nullable String namespace, @Nullable String path) {
      return matches(principals, call.peer(), true)
          && matches(namespaces, namespace, false)
          && matches(grpcMethods, call.grpcMethod(), true)
          && matches(httpMethods, call.httpMethod(), false)
          && pathMatches(path);
    }

    /** The rule's paths and path prefixes form one condition: any entry of either may match. */
    private boolean pathMatches(@Nullable String path) {
      if (paths == null && pathPrefixes == null) {
        return true;
      }
      if (path == null) {
        return false;
      }
      if (paths != null && matches(paths, path, true)) {
        return true;
      }
      if (pathPrefixes != null) {
        for (String p : pathPrefixes) {
          if (coversSegments(p, path)) {
            return true;
          }
        }
      }
      return false;
    }

    /** Whether {@code path} is {@code prefix} or lies under it, by whole segments. */
    static boolean coversSegments(String prefix, String path) {
      if (!path.startsWith(prefix)) {
        return false;
      }
      return path.length() == prefix.length()
          || prefix.endsWith("/")
          || path.charAt(prefix.length()) == '/';
    }

    /** Whether any pattern matches; an unset condition always holds, an absent value never. */
    private static boolean matches(
        String @Nullable [] patterns, @Nullable String value, boolean starSuffix) {
      if (patterns == null) {
        return true;
      }
      if (value == null) {
        return false;
      }
      for (String p : patterns) {
        if ((starSuffix && p.endsWith("*"))
            ? value.regionMatches(0, p, 0, p.length() - 1)
            : value.equals(p)) {
          return true;
        }
      }
      return false;
    }
  }
}
