package io.mesh4j.core.engine.resilience;

import io.mesh4j.core.call.OutboundCall;
import io.mesh4j.core.call.Outcome;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.policy.TrafficRoute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A rule's retry or hedging policy compiled for the call path: attempts, per-try timeout, the
 * {@code retryOn} (or {@code nonFatalCodes}) list turned into flags and a short array of codes,
 * the backoff bounds or the hedging delay, and the gRPC methods the rule marks safe to replay.
 *
 * <p>Immutable.
 */
public final class RetryPolicy {

  private static final Set<String> GRPC_CODES =
      Set.of(
          "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
          "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
          "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
          "UNAUTHENTICATED");

  public final int maxAttempts;
  public final long perTryTimeoutNanos;
  public final long baseBackoffNanos;
  public final long maxBackoffNanos;
  public final boolean retryNonIdempotent;
  /**
   * For a hedging policy, how long to wait for an answer before the next attempt goes out; {@link
   * Long#MAX_VALUE} for a retry policy.
   */
  public final long hedgeDelayNanos;
  private final boolean connectFailure;
  private final boolean perTryTimeout;
  private final boolean reset;
  private final boolean any5xx;
  private final boolean any4xx;
  private final String[] codes;
  // idempotentMethods: whole method names, and the services of the Service/* entries
  private final Set<String> idempotentMethods;
  private final Set<String> idempotentServices;

  private RetryPolicy(
      int maxAttempts,
      @Nullable Duration perTry,
      TrafficRoute.Backoff backoff,
      boolean retryNonIdempotent,
      long hedgeDelayNanos,
      @Nullable List<String> marked,
      List<String> codes,
      boolean[] flags) {
    this.maxAttempts = maxAttempts;
    this.perTryTimeoutNanos = perTry == null ? Long.MAX_VALUE : perTry.toNanos();
    this.baseBackoffNanos = Math.max(0, backoff.base().toNanos());
    this.maxBackoffNanos = Math.max(baseBackoffNanos, backoff.max().toNanos());
    this.retryNonIdempotent = retryNonIdempotent;
    this.hedgeDelayNanos = hedgeDelayNanos;
    this.connectFailure = flags[0];
    this.perTryTimeout = flags[1];
    this.reset = flags[2];
    this.any5xx = flags[3];
    this.any4xx = flags[4];
    this.codes = codes.toArray(new String[0]);
    Set<String> methods = new HashSet<>();
    Set<String> services = new HashSet<>();
    for (String m : marked == null ? List.<String>of() : marked) {
      if (m.endsWith("/*")) {
        services.add(m.substring(0, m.length() - 2));
      } else {
        methods.add(m);
      }
    }
    this.idempotentMethods = Set.copyOf(methods);
    this.idempotentServices = Set.copyOf(services);
  }

  /**
   * Compiles {@code retry}, adding a problem for every {@code retryOn} entry it cannot honour.
   *
   * @return the policy, or null when it had problems
   */
  public static @Nullable RetryPolicy compile(
      TrafficRoute.Retry retry, String resource, String path, List<Problem> problems) {
    boolean[] flags = new boolean[5];
    List<String> codes = new ArrayList<>();
    if (!parse(retry.effectiveRetryOn(), resource, path + ".retryOn", problems, codes, flags)) {
      return null;
    }
    return new RetryPolicy(
        retry.attempts(),
        retry.perTryTimeout(),
        retry.backoff(),
        retry.retryNonIdempotent(),
        Long.MAX_VALUE,
        retry.idempotentMethods(),
        codes,
        flags);
  }

  /**
   * Compiles {@code hedging} into the policy its attempts follow: no backoff (a non-fatal failure
   * sends the next attempt at once), no per-try timeout, only calls safe to replay.
   *
   * @return the policy, or null when it had problems
   */
  public static @Nullable RetryPolicy compileHedging(
      TrafficRoute.Hedging hedging, String resource, String path, List<Problem> problems) {
    boolean[] flags = new boolean[5];
    List<String> codes = new ArrayList<>();
    if (!parse(
        hedging.effectiveNonFatalCodes(), resource, path + ".nonFatalCodes", problems, codes, flags)) {
      return null;
    }
    return new RetryPolicy(
        hedging.maxAttempts(),
        null,
        new TrafficRoute.Backoff(Duration.ZERO, Duration.ZERO),
        false,
        hedging.delay().toNanos(),
        hedging.idempotentMethods(),
        codes,
        flags);
  }

  /** Parses a {@code retryOn}-like list into {@code codes} and {@code flags}; false on a problem. */
  private static boolean parse(
      List<String> outcomes,
      String resource,
      String path,
      List<Problem> problems,
      List<String> codes,
      boolean[] flags) {
    boolean ok = true;
    for (int i = 0; i < outcomes.size(); i++) {
      String token = outcomes.get(i).trim();
      String lower = token.toLowerCase(Locale.ROOT);
      switch (lower) {
        case "connect-failure" -> flags[0] = true;
        case "per-try-timeout" -> flags[1] = true;
        case "reset" -> flags[2] = true;
        case "5xx" -> flags[3] = true;
        case "4xx" -> flags[4] = true;
        default -> {
          if (GRPC_CODES.contains(token) || isHttpStatus(token)) {
            codes.add(token);
          } else {
            ok = false;
            problems.add(
                new Problem(
                    resource,
                    path + "[" + i + "]",
                    "must be a gRPC code name (UNAVAILABLE), an HTTP status (503), 5xx, 4xx,"
                        + " connect-failure, per-try-timeout or reset",
                    token));
          }
        }
      }
    }
    return ok;
  }

  /** Whether this policy hedges (sends attempts while others are out) rather than retries. */
  public boolean hedged() {
    return hedgeDelayNanos != Long.MAX_VALUE;
  }

  private static boolean isHttpStatus(String s) {
    if (s.length() != 3) {
      return false;
    }
    for (int i = 0; i < 3; i++) {
      if (!Character.isDigit(s.charAt(i))) {
        return false;
      }
    }
    int v = Integer.parseInt(s);
    return v >= 100 && v <= 599;
  }

  /** Whether {@code outcome} is listed in {@code retryOn}. */
  public boolean retryable(Outcome outcome) {
    return switch (outcome.kind()) {
      // a connection wait ran out of the per-try time: either token asks for its retry
      case CONNECT_FAILURE -> connectFailure || (perTryTimeout && !outcome.charged());
      case TIMEOUT -> perTryTimeout;
      case RESET -> reset;
      case STATUS -> {
        int http = outcome.httpStatus();
        if ((any5xx && http >= 500 && http <= 599) || (any4xx && http >= 400 && http <= 499)) {
          yield true;
        }
        String code = outcome.code();
        for (String c : codes) {
          if (c.equals(code)) {
            yield true;
          }
        }
        yield false;
      }
      case SUCCESS, CANCELLED -> false;
    };
  }

  /**
   * Whether {@code call} may be replayed: it is idempotent, or the rule allows replaying any call
   * ({@code retryNonIdempotent}) or lists its gRPC method in {@code idempotentMethods}. Asked only
   * after a failure.
   */
  public boolean mayReplay(OutboundCall call) {
    if (call.idempotent() || retryNonIdempotent) {
      return true;
    }
    if (idempotentMethods.isEmpty() && idempotentServices.isEmpty()) {
      return false;
    }
    String service = call.grpcService();
    if (service != null && idempotentServices.contains(service)) {
      return true;
    }
    String method = call.grpcFullMethod();
    return method != null && idempotentMethods.contains(method);
  }

  /**
   * The backoff before retry number {@code retryNumber} (1 for the first retry): full jitter,
   * uniform in {@code [0, min(max, base x 2^(retryNumber-1))]}.
   */
  public long backoffCap(int retryNumber) {
    int shift = Math.min(retryNumber - 1, 62);
    long cap = baseBackoffNanos;
    if (cap > 0 && shift > 0) {
      cap = cap > (maxBackoffNanos >> shift) ? maxBackoffNanos : cap << shift;
    }
    return Math.min(cap, maxBackoffNanos);
  }
}
