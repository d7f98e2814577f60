package io.mesh4j.samples.shop;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.TreeMap;

/**
 * The frontend's {@code mesh4j.*} meters at one moment (see docs/metrics.md): retries and
 * ejections per destination, refusals per reason, breaker states and transitions per subset.
 * Counters are cumulative; {@link #minus} gives what happened in between two readings.
 *
 * @param retries retries scheduled, per destination
 * @param ejections endpoints ejected, per destination
 * @param refusals calls or attempts the mesh refused itself, per {@code destination reason}
 * @param breakerTransitions breaker transitions, per {@code destination/subset -> state}
 * @param breakers breaker state now, per {@code destination/subset}: closed, half_open or open
 */
public record MeshReadings(
    Map<String, Long> retries,
    Map<String, Long> ejections,
    Map<String, Long> refusals,
    Map<String, Long> breakerTransitions,
    Map<String, String> breakers) {

  private static final String[] STATES = {"closed", "half_open", "open"};

  /** Reads the meters {@code MeshMetrics} keeps in {@code registry}. */
  public static MeshReadings read(MeterRegistry registry) {
    Map<String, Long> retries = new TreeMap<>();
    for (Counter c : registry.find("mesh4j.retries").counters()) {
      retries.merge(c.getId().getTag("destination"), (long) c.count(), Long::sum);
    }
    Map<String, Long> ejections = new TreeMap<>();
    for (Counter c : registry.find("mesh4j.ejections").counters()) {
      ejections.merge(c.getId().getTag("destination"), (long) c.count(), Long::sum);
    }
    Map<String, Long> refusals = new TreeMap<>();
    for (Counter c : registry.find("mesh4j.refusals").counters()) {
      refusals.merge(c.getId().getTag("destination") + " " + c.getId().getTag("reason"), (long) c.count(), Long::sum);
    }
    Map<String, Long> transitions = new TreeMap<>();
    for (Counter c : registry.find("mesh4j.breaker.transitions").counters()) {
      transitions.merge(
          subset(c.getId().getTag("destination"), c.getId().getTag("subset")) + " -> " + c.getId().getTag("to"),
          (long) c.count(), Long::sum);
    }
    Map<String, String> breakers = new TreeMap<>();
    for (Gauge g : registry.find("mesh4j.breaker.state").gauges()) {
      int state = (int) g.value();
      breakers.put(
          subset(g.getId().getTag("destination"), g.getId().getTag("subset")),
          state >= 0 && state < STATES.length ? STATES[state] : "unknown(" + g.value() + ")");
    }
    return new MeshReadings(retries, ejections, refusals, transitions, breakers);
  }

  private static String subset(String destination, String subset) {
    return "none".equals(subset) ? destination : destination + "/" + subset;
  }

  /** What the counters gained since {@code earlier}; breaker states are this reading's. */
  public MeshReadings minus(MeshReadings earlier) {
    return new MeshReadings(
        diff(retries, earlier.retries),
        diff(ejections, earlier.ejections),
        diff(refusals, earlier.refusals),
        diff(breakerTransitions, earlier.breakerTransitions),
        breakers);
  }

  private static Map<String, Long> diff(Map<String, Long> now, Map<String, Long> before) {
    Map<String, Long> out = new TreeMap<>();
    now.forEach((k, v) -> {
      long d = v - before.getOrDefault(k, 0L);
      if (d != 0) {
        out.put(k, d);
      }
    });
    return out;
  }

  /** Retries to {@code destination}. */
  public long retriesTo(String destination) {
    return retries.getOrDefault(destination, 0L);
  }

  /** Ejections in {@code destination}. */
  public long ejectionsIn(String destination) {
    return ejections.getOrDefault(destination, 0L);
  }

  /** Transitions of the breaker {@code key} ({@code destination} or {@code destination/subset}) to {@code state}. */
  public long transitions(String key, String state) {
    return breakerTransitions.getOrDefault(key + " -> " + state, 0L);
  }

  /** The state of breaker {@code key}, {@code closed} when it never moved. */
  public String breaker(String key) {
    return breakers.getOrDefault(key, "closed");
  }

  /** Sum of all retries. */
  public long totalRetries() {
    return retries.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Sum of all ejections. */
  public long totalEjections() {
    return ejections.values().stream().mapToLong(Long::longValue).sum();
  }
}
