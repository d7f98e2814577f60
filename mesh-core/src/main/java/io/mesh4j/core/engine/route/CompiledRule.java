package io.mesh4j.core.engine.route;

import io.mesh4j.core.base.MeshRandom;
import io.mesh4j.core.call.HeaderEdits;
import io.mesh4j.core.call.HttpRedirect;
import io.mesh4j.core.call.HttpRewrite;
import io.mesh4j.core.call.MirrorTarget;
import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.engine.fault.FaultPolicy;
import io.mesh4j.core.engine.resilience.RetryPolicy;
import io.mesh4j.core.policy.TrafficRoute;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One route rule compiled for the call path: its matchers, the backends with cumulative weights,
 * and its per-call settings. Immutable once its snapshot is published (backends on other services
 * and the mirror's backend are bound just before); thread-safe.
 */
public final class CompiledRule {

  public final String name;
  /**
   * Where the rule was written, e.g. {@code TrafficRoute shop/catalog spec.rules[0]}, or, for the
   * rules the compiler adds (the default rule, the Gateway API's "no matching rule"), {@code built
   * in: } and why it is there; null only in tests.
   */
  public final @Nullable String source;
  private final CallMatcher[] matchers;
  private final Backend[] backends;
  private final long[] cumulative;
  private final long totalWeight;
  /** The rule's timeout in nanoseconds; {@link Long#MAX_VALUE} for none. */
  public final long timeoutNanos;

  public final @Nullable RetryPolicy retry;
  public final @Nullable FaultPolicy fault;
  public final @Nullable MirrorTarget mirror;
  public final long mirrorPpm;
  /** Response header changes. */
  public final HeaderEdits responseEdits;
  /** HTTP only: the host and path requests are sent with, or null. */
  public final @Nullable HttpRewrite rewrite;
  /** HTTP only: the redirect answered instead of sending, or null. */
  public final @Nullable HttpRedirect redirect;
  /** Stands for "no rule matched" on a destination Gateway API routes attach to; never has backends. */
  public final boolean noRoute;
  private final HeaderEdits requestEdits;
  // Parallel to backends, each the rule's request edits then the backend's; null when no backend has any.
  private final HeaderEdits @Nullable [] backendRequestEdits;
  // Written once by the compiler after every destination is compiled and before the snapshot is
  // published; the snapshot's volatile publication makes it visible to calls.
  private @Nullable Backend mirrorBackend;

  /**
   * The rule a call takes when Gateway API routes attach to its destination on its port and none
   * of their rules matches; the call fails as {@link io.mesh4j.core.call.MeshFailure.Reason#NO_ROUTE}.
   *
   * @param attached one match per port the routes attach to (a match without port: every port)
   */
  public static CompiledRule noRoute(List<TrafficRoute.Match> attached) {
    return new CompiledRule("no matching rule", "built in: Gateway API routes attach to these ports", attached, 0, new Backend[0], new int[0], Long.MAX_VALUE, null, null,
        null, 0, HeaderEdits.NONE, HeaderEdits.NONE, null, null, null, true);
  }

  /**
   * @param source see {@link #source}
   * @param matches the rule's alternatives; null or empty matches every call
   * @param backends the backends, parallel to {@code weights}
   * @param maxRegexInput the longest header value or path, in characters, a regular expression is
   *     tested against; longer ones never match an expression
   * @param noRoute see {@link #noRoute}
   * @throws com.google.re2j.PatternSyntaxException for an invalid expression
   */
  public CompiledRule(
      String name,
      @Nullable String source,
      @Nullable List<TrafficRoute.Match> matches,
      int maxRegexInput,
      Backend[] backends,
      int[] weights,
      long timeoutNanos,
      @Nullable RetryPolicy retry,
      @Nullable FaultPolicy fault,
      @Nullable MirrorTarget mirror,
      long mirrorPpm,
      HeaderEdits requestEdits,
      HeaderEdits responseEdits,
      HeaderEdits @Nullable [] backendRequestEdits,
      @Nullable HttpRewrite rewrite,
      @Nullable HttpRedirect redirect,
      boolean noRoute) {
    this.noRoute = noRoute;
    this.name = name;
    this.source = source;
    List<TrafficRoute.Match> all = Objects.requireNonNullElse(matches, List.of());
    this.matchers = new CallMatcher[all.size()];
    for (int i = 0; i < matchers.length; i++) {
      matchers[i] = new CallMatcher(all.get(i), maxRegexInput);
    }
    this.backends = backends;
    this.cumulative = new long[weights.length];
    long sum = 0;
    for (int i = 0; i < weights.length; i++) {
      sum += Math.max(0, weights[i]);
      cumulative[i] = sum;
    }
    this.totalWeight = sum;
    this.timeoutNanos = timeoutNanos;
    this.retry = retry;
    this.fault = fault;
    this.mirror = mirror;
    this.mirrorPpm = mirrorPpm;
    this.requestEdits = requestEdits;
    this.responseEdits = responseEdits;
    this.backendRequestEdits = backendRequestEdits;
    this.rewrite = rewrite;
    this.redirect = redirect;
  }

  /** The request header changes of a call sent to {@code chosen}: the rule's, then the backend's. */
  @SuppressWarnings("ReferenceEquality") // the backend this rule picked, not an equal one
  public HeaderEdits requestEdits(@Nullable Backend chosen) {
    HeaderEdits[] perBackend = backendRequestEdits;
    if (perBackend != null && chosen != null) {
      for (int i = 0; i < backends.length; i++) {
        if (backends[i] == chosen) {
          return perBackend[i];
        }
      }
    }
    return requestEdits;
  }

  /**
   * Replaces backend {@code index} with another service's; called by the compiler before
   * publication only.
   */
  public void bindBackend(int index, Backend backend) {
    backends[index] = backend;
  }

  /** Names the backend mirror copies go to; called by the compiler before publication only. */
  public void bindMirror(Backend backend) {
    this.mirrorBackend = backend;
  }

  /** The backend mirror copies go to, or null when the shadow is not in the snapshot. */
  public @Nullable Backend mirrorBackend() {
    return mirrorBackend;
  }

  public boolean matches(OutboundCall call) {
    if (matchers.length == 0) {
      return true;
    }
    for (CallMatcher m : matchers) {
      if (m.matches(call)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a gRPC call to {@code fullMethod} may match this rule: false only when no alternative
   * can ({@link CallMatcher#mayMatchGrpc}). Null stands for a method that no alternative of the
   * destination names.
   */
  boolean mayMatchGrpc(@Nullable String fullMethod) {
    if (matchers.length == 0) {
      return true;
    }
    for (CallMatcher m : matchers) {
      if (m.mayMatchGrpc(fullMethod)) {
        return true;
      }
    }
    return false;
  }

  /** Adds every exact {@code service/method} an alternative requires to {@code out}. */
  void addNamedGrpcMethods(Set<String> out) {
    for (CallMatcher m : matchers) {
      String required = m.exactGrpcFullMethod();
      if (required != null) {
        out.add(required);
      }
    }
  }

  /**
   * Why {@code call} fails this rule: the first condition that does not hold in each alternative,
   * e.g. {@code header x-canary: wanted exact 'true', got none}, alternatives joined by {@code ;
   * }; null when the rule matches. Agrees with {@link #matches}; for explanations off the call
   * path.
   */
  public @Nullable String whyNot(OutboundCall call) {
    if (matchers.length == 0) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < matchers.length; i++) {
      String why = matchers[i].whyNot(call);
      if (why == null) {
        return null;
      }
      if (matchers.length > 1) {
        sb.append(i == 0 ? "" : "; ").append("matches[").append(i).append("]: ");
      }
      sb.append(why);
    }
    return sb.toString();
  }

  /** How many backends the rule splits between. */
  public int backendCount() {
    return backends.length;
  }

  /** Backend {@code i}, in the order the rule lists them. */
  public Backend backend(int i) {
    return backends[i];
  }

  /** Backend {@code i}'s weight (0 sends it nothing). */
  public long weight(int i) {
    return cumulative[i] - (i == 0 ? 0 : cumulative[i - 1]);
  }

  /** The sum of the weights; 0 when the rule sends nowhere. */
  public long totalWeight() {
    return totalWeight;
  }

  /**
   * The backend for one call: one random draw against the cumulative weights.
   *
   * @return the backend, or null when every weight is zero
   */
  public @Nullable Backend pickBackend(MeshRandom random) {
    int n = backends.length;
    if (n == 1) {
      return totalWeight > 0 ? backends[0] : null;
    }
    if (totalWeight <= 0) {
      return null;
    }
    long r = random.nextLong(MeshRandom.Purpose.WEIGHTED_SPLIT, totalWeight);
    for (int i = 0; i < n; i++) {
      if (r < cumulative[i]) {
        return backends[i];
      }
    }
    return backends[n - 1];
  }
}
