package io.mesh4j.benchmarks.load;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What {@link LoadHarness} runs.
 *
 * @param seconds measured seconds per row per round
 * @param warmupSeconds unrecorded seconds per row before each mode's rounds
 * @param rounds rounds per mode; each round runs every row once, in alternating order
 * @param concurrency closed-loop modes: calls outstanding at all times, one mode per value
 * @param rates open-loop modes: calls started per second, one mode per value
 * @param payloadBytes request and response size
 * @param rows the rows to run (by name), empty for all; the floor always runs
 * @param sidecars whether to run the HAProxy rows when HAProxy is installed
 * @param results directory for {@code <date>.md}, or null to print only
 * @param profileRow a row whose first measured window is recorded with JDK Flight Recorder, or
 *     null
 * @param profileFile where that recording goes
 */
// Splits fixed-format text (command output, /proc, option lists) whose separators never trail.
@SuppressWarnings("StringSplitter")
public record HarnessOptions(double seconds, double warmupSeconds, int rounds,
    List<Integer> concurrency, List<Integer> rates, int payloadBytes, List<String> rows,
    boolean sidecars, Path results, String profileRow, Path profileFile) {

  private static final String USAGE = "options: --seconds S --warmup S --rounds N --concurrency"
      + " C[,C...] --rate R[,R...] --payload BYTES --rows NAME[,NAME...] --no-sidecars"
      + " --results DIR --no-results --quick --profile ROW --profile-file FILE.jfr";

  /** Checks every value and names the first bad one. */
  public HarnessOptions {
    concurrency = List.copyOf(concurrency);
    rates = List.copyOf(rates);
    rows = List.copyOf(rows);
    check(seconds > 0 && seconds <= 3600, "--seconds", seconds, "a number of seconds in (0, 3600]");
    check(warmupSeconds >= 0 && warmupSeconds <= 3600, "--warmup", warmupSeconds,
        "a number of seconds in [0, 3600]");
    check(rounds >= 1 && rounds <= 100, "--rounds", rounds, "an integer in [1, 100]");
    check(!concurrency.isEmpty() || !rates.isEmpty(), "--concurrency/--rate", "both empty",
        "at least one closed- or open-loop mode");
    for (int c : concurrency) {
      check(c >= 1 && c <= 1024, "--concurrency", c, "integers in [1, 1024]");
    }
    for (int r : rates) {
      check(r >= 1 && r <= 100_000, "--rate", r, "calls per second in [1, 100000]");
    }
    check(payloadBytes >= 0 && payloadBytes <= 1 << 20, "--payload", payloadBytes,
        "bytes in [0, 1048576]");
  }

  /** The defaults: about 7 minutes for every row in both modes. */
  public static HarnessOptions defaults() {
    return parse();
  }

  /**
   * Parses the command line. Defaults: {@code --seconds 3 --warmup 2 --rounds 5 --concurrency 8
   * --rate 2000 --payload 100 --results benchmarks/results}, no profile; {@code --quick} is {@code
   * --seconds 1 --warmup 1 --rounds 1}; {@code --profile ROW} records that row's first measured
   * window with JFR into {@code --profile-file} [profile.jfr].
   */
  public static HarnessOptions parse(String... args) {
    // Five rounds, so that the bootstrap over rounds has something to resample.
    double seconds = 3;
    double warmup = 2;
    int rounds = 5;
    List<Integer> concurrency = List.of(8);
    List<Integer> rates = List.of(2000);
    int payload = 100;
    List<String> rows = List.of();
    boolean sidecars = true;
    Path results = Path.of("benchmarks", "results");
    String profileRow = null;
    Path profileFile = Path.of("profile.jfr");
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      switch (name) {
        case "--quick" -> {
          seconds = 1;
          warmup = 1;
          rounds = 1;
          continue;
        }
        case "--no-sidecars" -> {
          sidecars = false;
          continue;
        }
        case "--no-results" -> {
          results = null;
          continue;
        }
        default -> { }
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + name + " needs a value; " + USAGE);
      }
      String value = args[++i];
      switch (name) {
        case "--seconds" -> seconds = number(name, value);
        case "--warmup" -> warmup = number(name, value);
        case "--rounds" -> rounds = (int) integer(name, value);
        case "--concurrency" -> concurrency = integers(name, value);
        case "--rate" -> rates = integers(name, value);
        case "--payload" -> payload = (int) integer(name, value);
        case "--rows" -> rows = Arrays.stream(value.split(",")).map(String::trim)
            .filter(s -> !s.isEmpty()).toList();
        case "--results" -> results = Path.of(value);
        case "--profile" -> profileRow = value;
        case "--profile-file" -> profileFile = Path.of(value);
        default -> throw new IllegalArgumentException("unknown option '" + name + "'; " + USAGE);
      }
    }
    return new HarnessOptions(seconds, warmup, rounds, concurrency, rates, payload, rows,
        sidecars, results, profileRow, profileFile);
  }

  /** The run's length in seconds, not counting process start-up. */
  public double expectedSeconds(int rowCount) {
    return (concurrency.size() + rates.size()) * rowCount * (warmupSeconds + rounds * seconds);
  }

  private static void check(boolean ok, String option, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "option %s: got %s, expected %s", option, value, expected));
    }
  }

  private static double number(String option, String value) {
    try {
      return Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "option " + option + ": got '" + value + "', expected a number", e);
    }
  }

  private static long integer(String option, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "option " + option + ": got '" + value + "', expected an integer", e);
    }
  }

  private static List<Integer> integers(String option, String value) {
    List<Integer> out = new ArrayList<>();
    if (value.isBlank() || value.equals("none")) {
      return out;
    }
    for (String part : value.split(",")) {
      out.add((int) integer(option, part));
    }
    return out;
  }
}
