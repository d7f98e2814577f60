package io.mesh4j.wire.v1;

import java.time.Duration;

/**
 * The fixed numbers of a {@link CallReport} (rule 9 of the stream contract), shared by both ends
 * so that what an application sends is exactly what the controller accepts and can merge.
 *
 * <p>Stateless and thread-safe.
 */
public final class CallReports {

  /**
   * Upper bounds of the latency buckets in microseconds; bucket {@code i} counts calls of at most
   * {@code LATENCY_BOUNDS_MICROS[i]} and, past the last bound, bucket {@link #BUCKETS}{@code - 1}
   * the slower ones. Fixed on the wire: changing them would make old and new reports unmergeable.
   */
  private static final long[] LATENCY_BOUNDS_MICROS = {
    500, 1_000, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 50_000, 75_000,
    100_000, 150_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000
  };

  /** Latency buckets per row: one per bound plus one for slower calls. */
  public static final int BUCKETS = LATENCY_BOUNDS_MICROS.length + 1;

  /** At most this many rows in one report. */
  public static final int MAX_ROWS = 256;

  /** The shortest interval an application may report at. */
  public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

  /** The longest interval a report may say it covers. */
  public static final Duration MAX_INTERVAL = Duration.ofMinutes(1);

  /** The default interval. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

  private CallReports() {}

  /** The bucket a call of {@code nanos} falls in; negative durations count as zero. */
  public static int bucket(long nanos) {
    long micros = nanos / 1_000;
    // Linear over 20 bounds beats a binary search's branches and allocates nothing.
    for (int i = 0; i < LATENCY_BOUNDS_MICROS.length; i++) {
      if (micros <= LATENCY_BOUNDS_MICROS[i]) {
        return i;
      }
    }
    return LATENCY_BOUNDS_MICROS.length;
  }

  /** The upper bound of bucket {@code i} in milliseconds; the last bucket has none (infinity). */
  public static double upperBoundMillis(int i) {
    return i < LATENCY_BOUNDS_MICROS.length ? LATENCY_BOUNDS_MICROS[i] / 1_000.0 : Double.POSITIVE_INFINITY;
  }

  /** The lower bound of bucket {@code i} in milliseconds: the bound before it, or 0. */
  public static double lowerBoundMillis(int i) {
    return i == 0 ? 0 : LATENCY_BOUNDS_MICROS[Math.min(i, LATENCY_BOUNDS_MICROS.length) - 1] / 1_000.0;
  }
}
