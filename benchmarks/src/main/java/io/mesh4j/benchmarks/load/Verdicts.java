package io.mesh4j.benchmarks.load;

import io.mesh4j.benchmarks.load.Results.RowResult;
import io.mesh4j.benchmarks.load.Results.Sample;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Ratios of two rows with a 95% confidence interval, and whether a target is met, missed, or not
 * decided by the run. The interval is a paired bootstrap over rounds: each resample draws round
 * numbers with replacement and takes both rows' figures from the same rounds, since rows of one
 * round ran back to back and share that round's machine load. Seeded, so a report is
 * reproducible from its data. Stateless.
 */
public final class Verdicts {

  /** Resamples per interval. */
  static final int RESAMPLES = 2000;

  /** The widest interval (half-width over the ratio) an inconclusive verdict may have to count. */
  public static final double MAX_HALF_WIDTH = 0.05;

  private static final long SEED = 42;

  private Verdicts() {}

  /** What a row is measured by, over some of its rounds. */
  public enum Figure {
    /** Median latency: the mean of the chosen rounds' medians. */
    P50,
    /** 99th percentile latency: the mean of the chosen rounds' 99th percentiles. */
    P99,
    /** Calls per second over the chosen rounds' windows. */
    THROUGHPUT,
    /** The client JVM's CPU time per call over the chosen rounds. */
    CLIENT_CPU,
    /** Every measured process's CPU time per call over the chosen rounds. */
    TOTAL_CPU;

    double of(List<Sample> rounds, int[] chosen) {
      double sum = 0;
      double calls = 0;
      double seconds = 0;
      for (int i : chosen) {
        Sample s = rounds.get(i);
        long n = s.histogram().getTotalCount();
        switch (this) {
          case P50 -> sum += s.histogram().getValueAtPercentile(50);
          case P99 -> sum += s.histogram().getValueAtPercentile(99);
          case THROUGHPUT -> sum += n;
          case CLIENT_CPU -> sum += s.clientCpuNanos();
          case TOTAL_CPU ->
              sum +=
                  s.clientCpuNanos()
                      + s.serverCpuNanos()
                      + s.proxyCpuNanos()
                      + s.controlPlaneCpuNanos();
        }
        calls += n;
        seconds += s.seconds();
      }
      return switch (this) {
        case P50, P99 -> sum / chosen.length;
        case THROUGHPUT -> sum / Math.max(1e-9, seconds);
        case CLIENT_CPU, TOTAL_CPU -> sum / Math.max(1, calls);
      };
    }
  }

  /** How a target came out. */
  public enum Verdict {
    MET,
    MISSED,
    INCONCLUSIVE
  }

  /**
   * One ratio against its target.
   *
   * @param what the ratio, e.g. "mesh4j-all / grpc-plain, p50"
   * @param ratio the ratio over all rounds
   * @param low the 95% interval's lower end
   * @param high its upper end
   * @param limit the target
   * @param atMost whether the ratio must be at most (true) or at least (false) the limit
   */
  public record Check(
      String what, double ratio, double low, double high, double limit, boolean atMost) {

    /**
     * The interval's half-width as a share of the ratio, or of the limit when the ratio is
     * smaller (a share near zero, such as the mesh's part of a sidecar's added latency, would
     * otherwise make any interval look wide).
     */
    public double halfWidth() {
      return (high - low) / 2 / Math.max(Math.abs(ratio), limit);
    }

    /** Inconclusive when there is no interval (one round, or a figure that could not be taken). */
    public Verdict verdict() {
      boolean goodSide = atMost ? high <= limit : low >= limit;
      boolean badSide = atMost ? low > limit : high < limit;
      return goodSide ? Verdict.MET : badSide ? Verdict.MISSED : Verdict.INCONCLUSIVE;
    }

    /** The verdict as the report prints it; an interval too wide to conclude says so. */
    public String describe() {
      if (Double.isNaN(low) || Double.isNaN(high)) {
        return "inconclusive: no interval from fewer than two rounds";
      }
      return switch (verdict()) {
        case MET -> "met";
        case MISSED -> "**missed**";
        case INCONCLUSIVE ->
            halfWidth() <= MAX_HALF_WIDTH
                ? "inconclusive"
                : String.format(
                    Locale.ROOT, "**inconclusive, too noisy (±%.1f%%)**", halfWidth() * 100);
      };
    }
  }

  /** {@code figure} of {@code a} over {@code b}, with its interval, against {@code limit}. */
  public static Check check(
      String what, RowResult a, RowResult b, Figure figure, double limit, boolean atMost) {
    return check(
        what,
        Math.min(a.rounds().size(), b.rounds().size()),
        chosen -> ratio(a, b, figure, chosen),
        limit,
        atMost);
  }

  /**
   * Any figure of the rows' rounds, {@code ratio} given the rounds chosen, with its interval,
   * against {@code limit}.
   */
  public static Check check(
      String what, int rounds, ToDoubleFunction<int[]> ratio, double limit, boolean atMost) {
    int[] all = new int[rounds];
    Arrays.setAll(all, i -> i);
    double value = ratio.applyAsDouble(all);
    if (rounds < 2 || Double.isNaN(value)) {
      // One round resampled is always itself: a zero-width interval that would claim certainty.
      return new Check(what, value, Double.NaN, Double.NaN, limit, atMost);
    }
    double[] resampled = new double[RESAMPLES];
    SplittableRandom random = new SplittableRandom(SEED);
    int[] chosen = new int[rounds];
    for (int r = 0; r < RESAMPLES; r++) {
      for (int i = 0; i < rounds; i++) {
        chosen[i] = random.nextInt(rounds);
      }
      resampled[r] = ratio.applyAsDouble(chosen);
    }
    Arrays.sort(resampled);
    double low = resampled[(int) Math.floor(0.025 * (RESAMPLES - 1))];
    double high = resampled[(int) Math.ceil(0.975 * (RESAMPLES - 1))];
    return new Check(what, value, low, high, limit, atMost);
  }

  /** {@code figure} of {@code a} over {@code b}, over the rounds {@code chosen}. */
  static double ratio(RowResult a, RowResult b, Figure figure, int[] chosen) {
    double denominator = figure.of(b.rounds(), chosen);
    // A figure the denominator row did not produce (no CPU time read) is not a huge ratio.
    return denominator > 0 ? figure.of(a.rounds(), chosen) / denominator : Double.NaN;
  }
}
