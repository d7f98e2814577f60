package io.mesh4j.core.policy;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The duration syntax of the model: whole numbers with units {@code h}, {@code m}, {@code s},
 * {@code ms}, {@code us}, {@code ns}, largest unit first, e.g. {@code 250ms}, {@code 1m30s}.
 * Stateless and thread-safe.
 */
final class Durations {

  /** How messages describe the syntax. */
  static final String EXPECTED = "must be a positive duration such as 250ms, 5s, 1m30s or 2h";

  private static final Pattern PART = Pattern.compile("(\\d+)(h|ms|m|s|us|ns)");
  private static final String[] UNITS = {"h", "m", "s", "ms", "us", "ns"};
  private static final long[] NANOS = {
    3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L, 1L
  };

  private Durations() {}

  /** The positive duration {@code text} denotes, or empty if it is not one. */
  static Optional<Duration> parse(String text) {
    Matcher m = PART.matcher(text);
    int position = 0;
    int previousUnit = -1;
    Duration total = Duration.ZERO;
    try {
      while (position < text.length()) {
        if (!m.find(position) || m.start() != position) {
          return Optional.empty();
        }
        int unit = unitIndex(m.group(2));
        if (unit <= previousUnit) {
          return Optional.empty();
        }
        long amount = Long.parseLong(m.group(1));
        total = total.plus(Duration.ofNanos(Math.multiplyExact(amount, NANOS[unit])));
        previousUnit = unit;
        position = m.end();
      }
    } catch (ArithmeticException | NumberFormatException tooLarge) {
      return Optional.empty();
    }
    if (position == 0 || total.isZero()) {
      return Optional.empty();
    }
    return Optional.of(total);
  }

  /** The shortest text {@link #parse} reads back as {@code d}; zero and negatives render too. */
  static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    if (d.isNegative()) {
      return "-" + format(d.negated());
    }
    StringBuilder sb = new StringBuilder();
    long seconds = d.getSeconds();
    long[] wholeUnits = {seconds / 3600, (seconds % 3600) / 60, seconds % 60};
    for (int i = 0; i < wholeUnits.length; i++) {
      if (wholeUnits[i] != 0) {
        sb.append(wholeUnits[i]).append(UNITS[i]);
      }
    }
    int nanos = d.getNano();
    long[] fractionUnits = {nanos / 1_000_000, (nanos / 1_000) % 1_000, nanos % 1_000};
    for (int i = 0; i < fractionUnits.length; i++) {
      if (fractionUnits[i] != 0) {
        sb.append(fractionUnits[i]).append(UNITS[i + 3]);
      }
    }
    return sb.toString();
  }

  private static int unitIndex(String unit) {
    for (int i = 0; i < UNITS.length; i++) {
      if (UNITS[i].equals(unit)) {
        return i;
      }
    }
    throw new IllegalArgumentException(unit);
  }
}
