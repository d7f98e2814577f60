package io.mesh4j.benchmarks.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A process the harness started (a JVM from this class path, or HAProxy) whose CPU time it
 * measures. A child JVM announces itself with one {@code READY key=value ...} line on stdout and
 * exits when its stdin closes, so it cannot outlive the harness.
 */
// Splits fixed-format text (command output, /proc, option lists) whose separators never trail.
@SuppressWarnings("StringSplitter")
public final class ChildProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final boolean jvm;
  private final List<String> output = new ArrayList<>();
  private final BlockingQueue<String> ready = new ArrayBlockingQueue<>(1);

  private ChildProcess(String name, Process process, boolean jvm) {
    this.name = name;
    this.process = process;
    this.jvm = jvm;
    Thread reader = new Thread(this::pump, "bench-child-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts {@code mainClass} in a new JVM with this JVM's class path and {@code jvmOptions}, and
   * waits up to {@code timeoutSeconds} for its {@code READY} line.
   */
  public static ChildProcess startJvm(String name, Class<?> mainClass, List<String> jvmOptions,
      List<String> args, long timeoutSeconds) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(args);
    ChildProcess child = new ChildProcess(name, new ProcessBuilder(command).redirectErrorStream(true).start(), true);
    child.awaitReady(timeoutSeconds);
    return child;
  }

  /**
   * Starts {@code command} (not a JVM); it is taken as ready at once, callers probe its port
   * themselves.
   */
  public static ChildProcess start(String name, List<String> command, Path workDir)
      throws IOException {
    return new ChildProcess(name,
        new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start(),
        false);
  }

  private void pump() {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("READY ")) {
          ready.offer(line);
        } else {
          synchronized (output) {
            if (output.size() < 200) {
              output.add(line);
            }
          }
        }
      }
    } catch (IOException e) {
      // the process ended; its exit is reported by whoever waits on it
    }
  }

  private String awaitReady(long timeoutSeconds) throws InterruptedException {
    String line = ready.poll(timeoutSeconds, TimeUnit.SECONDS);
    if (line == null) {
      close();
      throw new IllegalStateException(name + " did not report READY within " + timeoutSeconds
          + " s (alive: " + process.isAlive() + "); its output: " + output());
    }
    ready.offer(line);
    return line;
  }

  /**
   * The value of {@code key} in the child's {@code READY key=value ...} line, as an int (a port).
   */
  public int readyValue(String key) {
    String line = ready.peek();
    if (line == null) {
      throw new IllegalStateException(name + " has not reported READY");
    }
    for (String part : line.substring("READY ".length()).trim().split(" +")) {
      if (part.startsWith(key + "=")) {
        return Integer.parseInt(part.substring(key.length() + 1));
      }
    }
    throw new IllegalStateException(name + "'s READY line has no " + key + ": '" + line + "'");
  }

  /** The name the harness gave the process, as its tables show it. */
  public String name() {
    return name;
  }

  /** The operating system's process id. */
  public long pid() {
    return process.pid();
  }

  /** Whether the process is still running. */
  public boolean alive() {
    return process.isAlive();
  }

  /** CPU nanoseconds used so far, or -1 if unknown. */
  public long cpuNanos() {
    return ProcessCpu.nanos(process.pid());
  }

  /** The first lines the process printed (besides READY), for error messages. */
  public String output() {
    synchronized (output) {
      return String.join(" | ", output);
    }
  }

  /**
   * Closes its stdin (a child JVM exits on that) and waits briefly; destroys it if it is still
   * running, and a process that is not a JVM at once.
   */
  @Override
  public void close() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // already closed
    }
    try {
      if (!jvm || !process.waitFor(2, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(3, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(3, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
