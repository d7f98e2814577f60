package io.mesh4j.core.policy;

import org.jspecify.annotations.Nullable;

/**
 * Bounds on a route's regular expression checked before it is compiled. RE2/J matches in linear
 * time, but compiling expands every counted repetition, so {@code ((a{1000}){1000}){1000}} asks
 * for a billion instructions and exhausts the heap. The C++ RE2 refuses nested counted
 * repetitions whose counts multiply to more than 1000; this applies the same rule, and caps the
 * length, so that compiling any accepted expression takes bounded memory. Stateless.
 */
final class RegexLimits {

  static final int MAX_LENGTH = 1024;
  static final int MAX_REPETITION = 1000;

  private RegexLimits() {}

  /** What {@code regex} must satisfy and does not, or null when it is within bounds. */
  static @Nullable String violation(String regex) {
    if (regex.length() > MAX_LENGTH) {
      return "must be at most " + MAX_LENGTH + " characters long";
    }
    return repetition(regex) > MAX_REPETITION
        ? "must not nest counted repetitions ({n} or {n,m}) whose counts multiply to more than "
            + MAX_REPETITION
            + ", as in RE2"
        : null;
  }

  /**
   * The largest product of nested repetition counts. Conservative: anything that looks like a
   * quantifier counts, and malformed input is left to the compiler to refuse.
   */
  static long repetition(String regex) {
    int n = regex.length();
    long[] largest = new long[n + 2];
    int depth = 0;
    largest[0] = 1;
    long last = 1;
    for (int i = 0; i < n; i++) {
      char c = regex.charAt(i);
      switch (c) {
        case '\\' -> {
          if (i + 1 < n && regex.charAt(i + 1) == 'Q') {
            int end = regex.indexOf("\\E", i + 2);
            i = end < 0 ? n : end + 1;
          } else {
            i++;
          }
          last = 1;
        }
        case '[' -> {
          int j = i + 1;
          if (j < n && regex.charAt(j) == '^') {
            j++;
          }
          if (j < n && regex.charAt(j) == ']') {
            j++;
          }
          while (j < n && regex.charAt(j) != ']') {
            j += regex.charAt(j) == '\\' ? 2 : 1;
          }
          i = j;
          last = 1;
        }
        case '(' -> {
          depth++;
          largest[depth] = 1;
          last = 1;
        }
        case ')' -> {
          if (depth == 0) {
            return 0;
          }
          last = largest[depth];
          depth--;
          largest[depth] = Math.max(largest[depth], last);
        }
        case '{' -> {
          int close = regex.indexOf('}', i);
          long count = close < 0 ? -1 : count(regex, i + 1, close);
          if (count >= 0) {
            last = Math.min(last * Math.max(1, count), 1L << 40);
            largest[depth] = Math.max(largest[depth], last);
            i = close;
          } else {
            last = 1;
          }
        }
        default -> last = 1;
      }
    }
    return largest[0];
  }

  /** The larger bound of {@code n}, {@code n,} or {@code n,m} in {@code s[from, to)}, or -1. */
  private static long count(String s, int from, int to) {
    long max = -1;
    long value = -1;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        value = Math.min((value < 0 ? 0 : value) * 10 + (c - '0'), 1L << 20);
      } else if (c == ',' && value >= 0 && max < 0) {
        max = value;
        value = -1;
      } else {
        return -1;
      }
    }
    if (value < 0 && max < 0) {
      return -1;
    }
    return Math.max(max, value);
  }
}
