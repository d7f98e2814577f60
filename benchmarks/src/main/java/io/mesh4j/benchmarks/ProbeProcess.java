package io.mesh4j.benchmarks;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mesh4j.benchmarks.load.Echo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the benchmarks that measure whole JVMs share: the loopback echo server their probes call,
 * and running one probe JVM on this class path until it prints its {@code RESULT} line.
 */
final class ProbeProcess {

  private ProbeProcess() {}

  /** The echo server on 127.0.0.1, its handlers on the transport's threads. */
  static Server echoServer() throws IOException {
    return NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .directExecutor()
        .addService(Echo.service())
        .build()
        .start();
  }

  /**
   * Runs {@code main} in a fresh JVM with {@code jvmOptions} and {@code args}, hands every other
   * line it prints to {@code lines}, and returns its {@code RESULT} line's fields.
   *
   * @throws IllegalStateException if the probe fails, prints no result or outlives {@code
   *     timeoutSeconds}; the message holds what it printed
   */
  static String[] run(
      Class<?> main,
      List<String> jvmOptions,
      List<String> args,
      long timeoutSeconds,
      Consumer<String> lines)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(args);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String result = null;
    StringBuilder output = new StringBuilder();
    try (BufferedReader probe =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = probe.readLine(); line != null; line = probe.readLine()) {
        if (line.startsWith("RESULT ")) {
          result = line.substring("RESULT ".length());
        } else {
          output.append(line).append('\n');
          lines.accept(line);
        }
      }
    }
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)
        || process.exitValue() != 0
        || result == null) {
      process.destroyForcibly();
      throw new IllegalStateException(
          "the probe " + main.getSimpleName() + " " + args + " failed:\n" + output);
    }
    return result.split(" ", -1);
  }
}
