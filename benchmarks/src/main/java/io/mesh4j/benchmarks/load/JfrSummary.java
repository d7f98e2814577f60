package io.mesh4j.benchmarks.load;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording's CPU samples ({@code jdk.ExecutionSample}) as Markdown: where the
 * sampled threads were (the top frame) by library, the hottest methods, and how much of the time
 * was spent under mesh4j's own code.
 *
 * <pre>
 * java -cp benchmarks.jar io.mesh4j.benchmarks.load.JfrSummary profile.jfr
 * </pre>
 */
public final class JfrSummary {

  private JfrSummary() {}

  /** Prints the summary of the recording in {@code args[0]}. */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: JfrSummary <recording.jfr>, got "
          + args.length + " arguments");
    }
    System.out.print(summarise(Path.of(args[0]), 15));
  }

  /** The summary of {@code recording}, with the {@code top} hottest methods. */
  public static String summarise(Path recording, int top) throws IOException {
    Map<String, Integer> byLibrary = new HashMap<>();
    Map<String, Integer> byMethod = new HashMap<>();
    Map<String, Integer> meshInclusive = new HashMap<>();
    int samples = 0;
    int underMesh = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
        continue;
      }
      RecordedStackTrace stack = e.getStackTrace();
      if (stack == null || stack.getFrames().isEmpty()) {
        continue;
      }
      samples++;
      List<RecordedFrame> frames = stack.getFrames();
      RecordedFrame first = frames.get(0);
      byLibrary.merge(library(className(first)), 1, Integer::sum);
      byMethod.merge(method(first), 1, Integer::sum);
      for (RecordedFrame f : frames) {
        if (library(className(f)).equals("mesh4j")) {
          underMesh++;
          meshInclusive.merge(method(f), 1, Integer::sum);
          break;
        }
      }
    }
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "%d CPU samples (jdk.ExecutionSample).%n%n", samples));
    md.append("| library (top frame) | share of samples |\n|---|---|\n");
    append(md, byLibrary, samples, byLibrary.size());
    md.append(String.format(Locale.ROOT,
        "%nSamples with a mesh4j frame anywhere on the stack (mesh4j's inclusive time): %.1f%%%n%n",
        100.0 * underMesh / Math.max(1, samples)));
    md.append("| hottest methods (top frame) | share of samples |\n|---|---|\n");
    append(md, byMethod, samples, top);
    md.append("\n| mesh4j method nearest the top of the stack | share of samples |\n|---|---|\n");
    append(md, meshInclusive, samples, top);
    return md.toString();
  }

  private static void append(StringBuilder md, Map<String, Integer> counts, int total, int top) {
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(top)
        .forEach(en -> md.append(String.format(Locale.ROOT, "| `%s` | %.1f%% |%n", en.getKey(),
            100.0 * en.getValue() / Math.max(1, total))));
  }

  private static String className(RecordedFrame frame) {
    return frame.getMethod() == null || frame.getMethod().getType() == null
        ? "?" : frame.getMethod().getType().getName();
  }

  private static String method(RecordedFrame frame) {
    return frame.getMethod() == null ? "?" : className(frame) + "." + frame.getMethod().getName();
  }

  /** The library a class belongs to, as the summary groups them. */
  static String library(String className) {
    if (className.startsWith("io.mesh4j.benchmarks.") || className.startsWith("org.HdrHistogram.")) {
      return "benchmark harness";
    }
    if (className.startsWith("io.mesh4j.")) {
      return "mesh4j";
    }
    if (className.startsWith("io.github.resilience4j.")) {
      return "resilience4j (under mesh4j)";
    }
    if (className.startsWith("io.opentelemetry.")) {
      return "OpenTelemetry (under mesh4j's tracing)";
    }
    if (className.startsWith("io.grpc.netty.shaded.io.netty.")) {
      return "netty";
    }
    if (className.startsWith("io.grpc.")) {
      return "grpc-java";
    }
    if (className.startsWith("okhttp3.") || className.startsWith("okio.")) {
      return "okhttp";
    }
    if (className.startsWith("java.") || className.startsWith("jdk.") || className.startsWith("sun.")) {
      return "JDK";
    }
    return "other";
  }
}
