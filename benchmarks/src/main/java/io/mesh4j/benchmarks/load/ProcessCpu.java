package io.mesh4j.benchmarks.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time (user + system) of any process on this machine, read from {@code /proc/<pid>/stat}, so
 * that the client JVM, the server JVM, the xDS control plane and each HAProxy are measured the
 * same way.
 */
// Splits fixed-format text (command output, /proc, option lists) whose separators never trail.
@SuppressWarnings("StringSplitter")
public final class ProcessCpu {

  /** Linux's USER_HZ: {@code /proc} counts CPU time in 1/100 s on every common architecture. */
  static final long TICKS_PER_SECOND = 100;

  private ProcessCpu() {}

  /** Whether {@code /proc} can tell this JVM's CPU time; false outside Linux. */
  public static boolean available() {
    return Files.isReadable(statFile(ProcessHandle.current().pid()));
  }

  /**
   * CPU nanoseconds the process {@code pid} has used so far (all its threads), or -1 when {@code
   * /proc} does not tell (not Linux, or the process is gone).
   */
  public static long nanos(long pid) {
    try {
      return parseStat(Files.readString(statFile(pid)));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * utime + stime of one {@code /proc/<pid>/stat} line, in nanoseconds. The command name (field 2)
   * may hold spaces and parentheses, so fields are counted from its last {@code ')'}.
   */
  static long parseStat(String stat) {
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      throw new IllegalArgumentException("not a /proc/<pid>/stat line (no ')'): '" + stat + "'");
    }
    // After ") " come field 3 (state) onwards; utime and stime are fields 14 and 15.
    String[] fields = stat.substring(close + 2).trim().split(" +");
    if (fields.length < 13) {
      throw new IllegalArgumentException(
          "/proc/<pid>/stat line has " + fields.length + " fields after the name, expected at least 13");
    }
    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    return ticks * (1_000_000_000L / TICKS_PER_SECOND);
  }

  private static Path statFile(long pid) {
    return Path.of("/proc", Long.toString(pid), "stat");
  }
}
