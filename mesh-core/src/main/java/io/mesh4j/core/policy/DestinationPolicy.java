package io.mesh4j.core.policy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How calls to one destination service are protected and balanced: load balancing, circuit
 * breaking, outlier ejection, rate limits and the retry budget. Breakers and outlier detection
 * apply per subset and per endpoint respectively.
 */
public record DestinationPolicy(
    @Field(doc = "Name and namespace of this policy.", required = true) Metadata metadata,
    @Field(doc = "The policy.", required = true) Spec spec)
    implements MeshResource {

  /** The policy for one destination, named by {@code destination} or by {@code targetRef}. */
  public record Spec(
      @Field(
              doc = "Destination service, `name.namespace` (a bare `name` means the policy's namespace);"
                  + " set this or `targetRef`.")
          @ServiceName @Nullable String destination,
      @Field(doc = "The Service this policy attaches to, as Gateway API's policy attachment (GEP-713) names it;"
              + " set this or `destination`.")
          @Nullable TargetRef targetRef,
      @Field(doc = "How an endpoint is picked inside a subset.", defaultValue = "{}")
          LoadBalancer loadBalancer,
      @Field(doc = "Circuit breaking per subset; off unless set.") @Nullable CircuitBreaker circuitBreaker,
      @Field(doc = "Ejection of failing endpoints; on by default (`enabled: false` turns it off).",
              defaultValue = "{}")
          OutlierDetection outlierDetection,
      @Field(doc = "Client-side token bucket for calls to this destination; off unless set.")
          @Nullable RateLimit rateLimit,
      @Field(doc = "An adaptive limit of concurrent requests per subset, found from latency (TCP Vegas); off unless set.")
          @Nullable AdaptiveConcurrency adaptiveConcurrency,
      @Field(doc = "Server-side token bucket for calls this service receives; off unless set.")
          @Nullable RateLimit serverRateLimit,
      @Field(doc = "Caps retries to a share of the request rate.", defaultValue = "{}")
          RetryBudget retryBudget) {

    /** The service this policy is for, {@code name.namespace}: its destination or its target. */
    public String service() {
      if (destination != null) {
        return destination;
      }
      // The validator refuses a policy without either.
      return java.util.Objects.requireNonNull(targetRef, "destination or targetRef").name();
    }
  }

  /**
   * What a destination without a {@code DestinationPolicy} gets: the model's own defaults (its
   * load balancer, outlier detection and retry budget; guards that are "off unless set" stay off),
   * obtained from the policy binder so that the defaults live in one place.
   */
  public static Spec defaults() {
    return Defaults.SPEC;
  }

  private static final class Defaults {
    static final Spec SPEC = bindDefaults();

    // Bound like a document naming only its destination, so the defaults are the fields' own.
    private static Spec bindDefaults() {
      List<Problem> problems = new ArrayList<>();
      DestinationPolicy policy =
          new Binder("DestinationPolicy mesh4j-defaults/defaults", "", problems)
              .bindResource(
                  Map.of(
                      "metadata", Map.of("name", YamlTree.Scalar.string("defaults")),
                      "spec", Map.of("destination", YamlTree.Scalar.string("defaults"))),
                  DestinationPolicy.class);
      if (policy == null || !problems.isEmpty()) {
        throw new IllegalStateException("DestinationPolicy defaults do not bind: " + problems);
      }
      return policy.spec();
    }
  }

  /** A local reference to the Service a policy attaches to (GEP-713: same namespace as the policy). */
  public record TargetRef(
      @Field(doc = "API group; the core group, `\"\"`, for a Service.", defaultValue = "''") String group,
      @Field(doc = "Kind; `Service`.", defaultValue = "Service") String kind,
      @Field(doc = "Name of the Service in the policy's namespace.", required = true) @ServiceName String name) {}

  /** Load-balancing algorithms. */
  public enum LbPolicy {
    /**
     * Power of two random choices, the one with the lower peak-EWMA latency times requests in
     * flight wins (Finagle's and Linkerd's balancer): slow endpoints lose traffic within a few
     * calls.
     */
    PEAK_EWMA,
    /** Power of two random choices, the one with fewer requests in flight wins. */
    LEAST_REQUEST,
    /** Each endpoint in turn. */
    ROUND_ROBIN,
    /** Consistent hashing of a header onto a ring. */
    RING_HASH,
    /** Consistent hashing of a header with Maglev's lookup table. */
    MAGLEV
  }

  /** Endpoint choice inside a subset. */
  public record LoadBalancer(
      @Field(doc = "Algorithm.", defaultValue = "PEAK_EWMA") LbPolicy policy,
      @Field(doc = "Header hashed by `RING_HASH` and `MAGLEV`; required by them.")
          @Nullable String hashHeader,
      @Field(doc = "Prefer endpoints in the caller's zone while enough of them are healthy.",
              defaultValue = "true")
          Boolean zoneAware,
      @Field(doc = "How fast `PEAK_EWMA`'s latency estimate and the failure penalty of `PEAK_EWMA` and `LEAST_REQUEST` fade: each falls to 1/e of its value in this time.",
              defaultValue = "10s")
          Duration decayTime,
      @Field(doc = "When fewer than this share (%) of a subset's endpoints are available, picks ignore ejections and spread over all of them (Envoy's panic mode); 0 turns it off.",
              defaultValue = "50", min = 0, max = 100)
          Double panicThreshold) {}

  /** Sliding window kinds of the circuit breaker. */
  public enum SlidingWindowType {
    /** The last N calls. */
    COUNT,
    /** The calls of the last N seconds. */
    TIME
  }

  /** Circuit breaker per subset (Resilience4j semantics). */
  public record CircuitBreaker(
      @Field(doc = "Failure rate (%) at or above which the breaker opens.", defaultValue = "50",
              min = 1, max = 100)
          Double failureRateThreshold,
      @Field(doc = "Slow-call rate (%) at or above which the breaker opens.", defaultValue = "100",
              min = 1, max = 100)
          Double slowCallRateThreshold,
      @Field(doc = "Calls slower than this count as slow.", defaultValue = "60s")
          Duration slowCallDuration,
      @Field(doc = "Calls needed in the window before rates are evaluated.", defaultValue = "20",
              min = 1)
          Integer minimumCalls,
      @Field(doc = "`COUNT` (last N calls) or `TIME` (last N seconds).", defaultValue = "COUNT")
          SlidingWindowType slidingWindowType,
      @Field(doc = "N of the sliding window.", defaultValue = "100", min = 1)
          Integer slidingWindowSize,
      @Field(doc = "How long the breaker stays open before letting trial calls through.",
              defaultValue = "30s")
          Duration waitInOpenState,
      @Field(doc = "Trial calls allowed while half-open.", defaultValue = "5", min = 1)
          Integer permittedCallsInHalfOpen,
      @Field(doc = "Limit of concurrent calls per subset; absent means no limit.", min = 1)
          @Nullable Integer maxConcurrentRequests) {}

  /** Ejection of misbehaving endpoints. */
  public record OutlierDetection(
      @Field(doc = "Consecutive failures that eject an endpoint.",
              defaultValue = "5", min = 1)
          Integer consecutiveFailures,
      @Field(doc = "Failure rate (%) over an interval that ejects an endpoint; absent turns this check off.",
              min = 1, max = 100)
          @Nullable Double failurePercentageThreshold,
      @Field(doc = "Calls an endpoint needs in an interval for its failure rate to count.",
              defaultValue = "20", min = 1)
          Integer failurePercentageMinimumCalls,
      @Field(doc = "Length of the failure-rate interval.", defaultValue = "10s") Duration interval,
      @Field(doc = "Ejection time is this times the number of times the endpoint was ejected.",
              defaultValue = "30s")
          Duration baseEjectionTime,
      @Field(doc = "Upper bound of one ejection.", defaultValue = "300s") Duration maxEjectionTime,
      @Field(doc = "At most this share (%) of a subset's endpoints is ejected at once.",
              defaultValue = "10", min = 0, max = 100)
          Double maxEjectionPercent,
      @Field(doc = "Whether outlier detection runs.", defaultValue = "true") Boolean enabled) {}

  /**
   * An adaptive concurrency limit (Netflix's concurrency-limits, Vegas algorithm): the limit grows
   * while latency stays near the lowest seen and shrinks when it rises (queueing) or attempts fail.
   */
  public record AdaptiveConcurrency(
      @Field(doc = "The limit before the first window is measured.", defaultValue = "20", min = 1)
          Integer initialLimit,
      @Field(doc = "The limit never exceeds this.", defaultValue = "1000", min = 1)
          Integer maxLimit,
      @Field(doc = "How often the limit is recomputed from the attempts that ended meanwhile.",
              defaultValue = "1s")
          Duration window,
      @Field(doc = "Attempts a window needs before it counts.", defaultValue = "10", min = 1)
          Integer minSamples) {}

  /** A token bucket. */
  public record RateLimit(
      @Field(doc = "Sustained rate.", required = true, min = 0) Double requestsPerSecond,
      @Field(doc = "Bucket size (calls admitted at once); absent means one second's worth, at least 1.",
              min = 1)
          @Nullable Integer burst) {}

  /** Linkerd-style retry budget. */
  public record RetryBudget(
      @Field(doc = "Retries may add at most this share (%) of the request rate.", defaultValue = "20",
              min = 0, max = 1000)
          Double retryPercent,
      @Field(doc = "Retries always allowed per second, whatever the request rate.",
              defaultValue = "10", min = 0)
          Integer minRetriesPerSecond,
      @Field(doc = "Window over which requests and retries are counted.", defaultValue = "10s")
          Duration window) {}
}
