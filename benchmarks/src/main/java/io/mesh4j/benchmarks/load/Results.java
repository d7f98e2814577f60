package io.mesh4j.benchmarks.load;

import java.util.List;
import java.util.Optional;
import org.HdrHistogram.Histogram;

/** What a harness run measured: the machine, and per mode and row the rounds' samples. */
public final class Results {

  private Results() {}

  /**
   * The machine and its load, for the report.
   *
   * @param processors processors the JVM sees
   * @param cpu the CPU model
   * @param memory total memory
   * @param java the JVM's name and version
   * @param haproxy HAProxy's version, or "not installed"
   * @param loadBefore load averages (1, 5, 15 min) before the run
   * @param loadAfter load averages after the run
   * @param time when the run ended
   */
  public record Machine(int processors, String cpu, String memory, String java, String haproxy,
      String loadBefore, String loadAfter, String time) {}

  /**
   * One measured round of one row.
   *
   * @param histogram latencies (ns) of the calls that succeeded in the window
   * @param errors failed (or dropped) calls
   * @param firstError the first failure, or null
   * @param seconds the window's length
   * @param clientCpuNanos the client JVM's CPU time during the window
   * @param clientAllocatedBytes bytes the client JVM allocated during the window
   * @param serverCpuNanos the server JVM's CPU time
   * @param proxyCpuNanos every HAProxy's CPU time, summed
   * @param controlPlaneCpuNanos the xDS control plane's CPU time
   * @param retries retries the mesh scheduled
   * @param refused calls the mesh refused
   */
  public record Sample(Histogram histogram, long errors, String firstError, double seconds,
      long clientCpuNanos, long clientAllocatedBytes, long serverCpuNanos, long proxyCpuNanos,
      long controlPlaneCpuNanos, long retries, long refused) {}

  /**
   * A row's rounds pooled: histograms added, everything else summed.
   *
   * @param name the row's name
   * @param what what the row measures
   * @param baseline the row its own-kind ratio is taken to (besides the floor), or null
   * @param rounds the row's rounds, in the order they ran
   * @param pooled the rounds together
   */
  public record RowResult(String name, String what, String baseline, List<Sample> rounds,
      Sample pooled) {

    static RowResult pool(String name, String what, String baseline, List<Sample> rounds) {
      Histogram h = rounds.get(0).histogram().copy();
      rounds.stream().skip(1).forEach(s -> h.add(s.histogram()));
      String firstError = rounds.stream().map(Sample::firstError).filter(e -> e != null)
          .findFirst().orElse(null);
      Sample pooled = new Sample(h, rounds.stream().mapToLong(Sample::errors).sum(), firstError,
          rounds.stream().mapToDouble(Sample::seconds).sum(),
          rounds.stream().mapToLong(Sample::clientCpuNanos).sum(),
          rounds.stream().mapToLong(Sample::clientAllocatedBytes).sum(),
          rounds.stream().mapToLong(Sample::serverCpuNanos).sum(),
          rounds.stream().mapToLong(Sample::proxyCpuNanos).sum(),
          rounds.stream().mapToLong(Sample::controlPlaneCpuNanos).sum(),
          rounds.stream().mapToLong(Sample::retries).sum(),
          rounds.stream().mapToLong(Sample::refused).sum());
      return new RowResult(name, what, baseline, List.copyOf(rounds), pooled);
    }

    /** Calls that succeeded in the windows. */
    public long calls() {
      return pooled.histogram().getTotalCount();
    }

    /** Calls per second of window. */
    public double throughput() {
      return calls() / pooled.seconds();
    }

    /** Latency at {@code percentile} (0-100), in nanoseconds. */
    public long latencyNanos(double percentile) {
      return pooled.histogram().getValueAtPercentile(percentile);
    }

    /** CPU seconds per 10,000 calls for {@code cpuNanos} spent over this row's calls. */
    double perTenThousand(long cpuNanos) {
      return cpuNanos / 1e9 / Math.max(1, calls()) * 10_000;
    }

    /** The client JVM's CPU seconds per 10,000 calls. */
    public double clientCpu() {
      return perTenThousand(pooled.clientCpuNanos());
    }

    /** Every measured process's CPU seconds per 10,000 calls, summed. */
    public double totalCpu() {
      return perTenThousand(pooled.clientCpuNanos() + pooled.serverCpuNanos()
          + pooled.proxyCpuNanos() + pooled.controlPlaneCpuNanos());
    }

    /** Bytes the client JVM allocated per call. */
    public double allocatedPerCall() {
      return (double) pooled.clientAllocatedBytes() / Math.max(1, calls());
    }

    /** Failures, retries and refusals together: anything that makes the row not a clean one. */
    public long anomalies() {
      return pooled.errors() + pooled.retries() + pooled.refused();
    }
  }

  /**
   * One mode's rows.
   *
   * @param mode e.g. "closed loop, 8 calls outstanding"
   * @param rows the rows that ran, in table order
   * @param skipped rows that did not run: {name, reason}
   */
  public record ModeResult(String mode, List<RowResult> rows, List<String[]> skipped) {

    /** The row named {@code name}, if it ran. */
    public Optional<RowResult> row(String name) {
      return rows.stream().filter(r -> r.name().equals(name)).findFirst();
    }
  }

  /**
   * A whole run.
   *
   * @param modes every mode, in the order they ran
   */
  public record Report(List<ModeResult> modes) {

    /** Whether every call of every row succeeded without a retry or refusal. */
    public boolean clean() {
      return modes.stream().flatMap(m -> m.rows().stream()).allMatch(r -> r.anomalies() == 0);
    }
  }
}
