package io.mesh4j.core.testing;

import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.Metadata;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.policy.TrafficRoute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Short builders for the policy records tests need. Every value a test does not mention is
 * written out here explicitly (the validator, not this fixture, owns the real defaults).
 */
public final class Policies {

  private Policies() {}

  private static Metadata md(String name) {
    return Metadata.of("shop", name);
  }

  public static ServiceEndpoints endpoints(String service, ServiceEndpoints.Endpoint... eps) {
    return new ServiceEndpoints(
        md(service.replace('.', '-')), new ServiceEndpoints.Spec(service, List.of(eps)));
  }

  public static ServiceEndpoints endpoints(String service, List<ServiceEndpoints.Endpoint> eps) {
    return new ServiceEndpoints(
        md(service.replace('.', '-')), new ServiceEndpoints.Spec(service, List.copyOf(eps)));
  }

  public static ServiceEndpoints.Endpoint ep(String address, Map<String, String> labels) {
    return new ServiceEndpoints.Endpoint(address, 8080, labels, null, 1, null);
  }

  public static ServiceEndpoints.Endpoint ep(String address) {
    return ep(address, Map.of());
  }

  public static ServiceEndpoints.Endpoint ep(
      String address, Map<String, String> labels, String zone, int weight) {
    return new ServiceEndpoints.Endpoint(address, 8080, labels, zone, weight, null);
  }

  public static TrafficRoute.Subset subset(String name, String key, String value) {
    return new TrafficRoute.Subset(name, Map.of(key, value));
  }

  public static TrafficRoute route(
      String destination, List<TrafficRoute.Subset> subsets, TrafficRoute.Rule... rules) {
    return new TrafficRoute(
        md(destination.replace('.', '-')),
        new TrafficRoute.Spec(destination, subsets, List.of(rules)));
  }

  public static RuleBuilder rule() {
    return new RuleBuilder();
  }

  public static TrafficRoute.Retry retries(int attempts, String... retryOn) {
    return new TrafficRoute.Retry(
        attempts,
        null,
        List.of(retryOn),
        new TrafficRoute.Backoff(Duration.ofMillis(25), Duration.ofMillis(250)),
        false,
        null);
  }

  public static TrafficRoute.Match grpc(String service, String method) {
    return new TrafficRoute.Match(new TrafficRoute.GrpcMatch(service, method, null, null), null, null, null, null, null);
  }

  public static TrafficRoute.Match http(String method, TrafficRoute.StringMatch path) {
    return new TrafficRoute.Match(null, method, path, null, null, null);
  }

  public static TrafficRoute.Match headers(TrafficRoute.HeaderMatch... hs) {
    return new TrafficRoute.Match(null, null, null, List.of(hs), null, null);
  }

  public static TrafficRoute.StringMatch exact(String v) {
    return new TrafficRoute.StringMatch(v, null, null);
  }

  public static TrafficRoute.StringMatch prefix(String v) {
    return new TrafficRoute.StringMatch(null, v, null);
  }

  public static TrafficRoute.StringMatch regex(String v) {
    return new TrafficRoute.StringMatch(null, null, v);
  }

  /** Builds one {@link TrafficRoute.Rule}. */
  public static final class RuleBuilder {
    private String name;
    private final List<TrafficRoute.Match> matches = new ArrayList<>();
    private final List<TrafficRoute.Backend> backends = new ArrayList<>();
    private Duration timeout;
    private TrafficRoute.Retry retries;
    private TrafficRoute.Hedging hedging;
    private TrafficRoute.Fault fault;
    private TrafficRoute.Mirror mirror;

    public RuleBuilder name(String n) {
      this.name = n;
      return this;
    }

    public RuleBuilder match(TrafficRoute.Match m) {
      matches.add(m);
      return this;
    }

    public RuleBuilder backend(String subset, int weight) {
      backends.add(new TrafficRoute.Backend(null, subset, weight, null));
      return this;
    }

    /** A backend on another service ({@code subset} of it, or all its endpoints when null). */
    public RuleBuilder serviceBackend(String destination, String subset, int weight) {
      backends.add(new TrafficRoute.Backend(destination, subset, weight, null));
      return this;
    }

    public RuleBuilder timeout(Duration t) {
      this.timeout = t;
      return this;
    }

    public RuleBuilder retries(TrafficRoute.Retry r) {
      this.retries = r;
      return this;
    }

    public RuleBuilder hedging(Duration delay, int maxAttempts, String... nonFatalCodes) {
      this.hedging =
          new TrafficRoute.Hedging(
              delay, maxAttempts, nonFatalCodes.length == 0 ? null : List.of(nonFatalCodes), null);
      return this;
    }

    public RuleBuilder abort(double percent) {
      this.fault =
          new TrafficRoute.Fault(
              fault == null ? null : fault.delay(),
              new TrafficRoute.Abort(percent, "UNAVAILABLE", 503));
      return this;
    }

    public RuleBuilder delay(double percent, Duration d) {
      this.fault =
          new TrafficRoute.Fault(
              new TrafficRoute.Delay(percent, d), fault == null ? null : fault.abort());
      return this;
    }

    public RuleBuilder mirror(String destination, String subset, double percent) {
      this.mirror = new TrafficRoute.Mirror(destination, subset, percent);
      return this;
    }

    public TrafficRoute.Rule build() {
      List<TrafficRoute.Backend> bs =
          backends.isEmpty() ? List.of(new TrafficRoute.Backend(null, null, 1, null)) : backends;
      return new TrafficRoute.Rule(
          name, matches.isEmpty() ? null : matches, bs, timeout, retries, hedging, fault, mirror, null, null, null, null);
    }
  }

  public static PolicyBuilder policy(String destination) {
    return new PolicyBuilder(destination);
  }

  public static DestinationPolicy.CircuitBreaker breaker(
      double failureRate, int minimumCalls, int windowSize, Duration wait, int halfOpenCalls) {
    return new DestinationPolicy.CircuitBreaker(
        failureRate,
        100.0,
        Duration.ofSeconds(60),
        minimumCalls,
        DestinationPolicy.SlidingWindowType.COUNT,
        windowSize,
        wait,
        halfOpenCalls,
        null);
  }

  public static DestinationPolicy.OutlierDetection outliers(
      int consecutiveFailures, Duration base, Duration max, double maxEjectionPercent) {
    return new DestinationPolicy.OutlierDetection(
        consecutiveFailures, null, 20, Duration.ofSeconds(10), base, max, maxEjectionPercent, true);
  }

  /** Outlier detection turned off. */
  public static DestinationPolicy.OutlierDetection noOutliers() {
    return new DestinationPolicy.OutlierDetection(
        5, null, 20, Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(300), 10.0,
        false);
  }

  public static DestinationPolicy.RetryBudget budget(
      double retryPercent, int minRetriesPerSecond, Duration window) {
    return new DestinationPolicy.RetryBudget(retryPercent, minRetriesPerSecond, window);
  }

  /** Builds one {@link DestinationPolicy}. */
  public static final class PolicyBuilder {
    private final String destination;
    private DestinationPolicy.LoadBalancer lb =
        new DestinationPolicy.LoadBalancer(
            DestinationPolicy.LbPolicy.LEAST_REQUEST, null, true, Duration.ofSeconds(10), 50.0);
    private DestinationPolicy.CircuitBreaker breaker;
    private DestinationPolicy.OutlierDetection outliers =
        new DestinationPolicy.OutlierDetection(
            5, null, 20, Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(300),
            10.0, true);
    private DestinationPolicy.RateLimit rateLimit;
    private DestinationPolicy.RateLimit serverRateLimit;
    private DestinationPolicy.AdaptiveConcurrency adaptive;
    private DestinationPolicy.RetryBudget budget =
        new DestinationPolicy.RetryBudget(20.0, 10, Duration.ofSeconds(10));

    PolicyBuilder(String destination) {
      this.destination = destination;
    }

    public PolicyBuilder lb(DestinationPolicy.LbPolicy policy, String hashHeader, boolean zoneAware) {
      this.lb =
          new DestinationPolicy.LoadBalancer(
              policy, hashHeader, zoneAware, lb.decayTime(), lb.panicThreshold());
      return this;
    }

    /** Sets the panic threshold (%); 0 turns panic mode off. */
    public PolicyBuilder panic(double threshold) {
      this.lb =
          new DestinationPolicy.LoadBalancer(
              lb.policy(), lb.hashHeader(), lb.zoneAware(), lb.decayTime(), threshold);
      return this;
    }

    public PolicyBuilder breaker(DestinationPolicy.CircuitBreaker b) {
      this.breaker = b;
      return this;
    }

    public PolicyBuilder outliers(DestinationPolicy.OutlierDetection o) {
      this.outliers = o;
      return this;
    }

    public PolicyBuilder rateLimit(double rps, Integer burst) {
      this.rateLimit = new DestinationPolicy.RateLimit(rps, burst);
      return this;
    }

    public PolicyBuilder serverRateLimit(double rps, Integer burst) {
      this.serverRateLimit = new DestinationPolicy.RateLimit(rps, burst);
      return this;
    }

    public PolicyBuilder adaptiveConcurrency(
        int initialLimit, int maxLimit, Duration window, int minSamples) {
      this.adaptive =
          new DestinationPolicy.AdaptiveConcurrency(initialLimit, maxLimit, window, minSamples);
      return this;
    }

    public PolicyBuilder budget(DestinationPolicy.RetryBudget b) {
      this.budget = b;
      return this;
    }

    public DestinationPolicy build() {
      return new DestinationPolicy(
          md(destination.replace('.', '-')),
          new DestinationPolicy.Spec(
              destination, null, lb, breaker, outliers, rateLimit, adaptive, serverRateLimit, budget));
    }
  }
}
