package io.mesh4j.core.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Chromium run headless as a process, once per page: {@link #dumpDom} gives the DOM after the
 * page's script ran for a stretch of virtual time, {@link #screenshot} a PNG of it.
 *
 * <p>The binary is {@code MESH4J_CHROMIUM} when set, else {@code chromium} on the {@code PATH},
 * else {@code /usr/bin/chromium}. Without one a test is skipped, except on CI ({@code CI=true}),
 * where it fails naming {@code scripts/install-chromium.sh}. Every run gets a fresh profile
 * directory, deleted afterwards, and is killed when it takes longer than {@link #TIMEOUT}. The
 * flags keep Chromium off the network but for the page's own URL: no background requests,
 * component or sync updates, first-run pings or QUIC.
 */
public final class HeadlessChromium {

  public static final Duration TIMEOUT = Duration.ofSeconds(60);

  private static final String INSTALL_HINT =
      "install it with scripts/install-chromium.sh, or point MESH4J_CHROMIUM at a Chromium or Chrome binary";

  private final Path binary;

  private HeadlessChromium(Path binary) {
    this.binary = binary;
  }

  /** Chromium, or the test stops here: skipped on a developer machine, failed on CI. */
  public static HeadlessChromium require() {
    Optional<Path> found = find();
    if (found.isEmpty()) {
      String configured = System.getenv("MESH4J_CHROMIUM");
      String message = configured != null && !configured.isBlank()
          ? "MESH4J_CHROMIUM is " + configured.strip() + ", which is not an executable file; " + INSTALL_HINT
          : "no Chromium found (MESH4J_CHROMIUM, chromium on PATH, /usr/bin/chromium); " + INSTALL_HINT;
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("CI=true and " + message);
      }
      assumeTrue(false, message);
    }
    return new HeadlessChromium(found.orElseThrow());
  }

  public static Optional<Path> find() {
    String configured = System.getenv("MESH4J_CHROMIUM");
    if (configured != null && !configured.isBlank()) {
      Path p = Path.of(configured.strip());
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (dir.isEmpty()) {
          continue;
        }
        Path p = Path.of(dir, "chromium");
        if (Files.isRegularFile(p) && Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    Path usual = Path.of("/usr/bin/chromium");
    return Files.isExecutable(usual) ? Optional.of(usual) : Optional.empty();
  }

  /**
   * The serialized DOM of {@code url} once the page has had {@code virtualTime} of timers (network
   * waits do not count against it).
   */
  public String dumpDom(URI url, Duration virtualTime) {
    Result r = run(List.of("--virtual-time-budget=" + virtualTime.toMillis(), "--dump-dom", url.toString()));
    return r.stdout();
  }

  /** A PNG of {@code url} in a {@code width} by {@code height} window, after {@code virtualTime}. */
  public void screenshot(URI url, Duration virtualTime, int width, int height, Path png) {
    Path target = png.toAbsolutePath();
    run(List.of(
        "--virtual-time-budget=" + virtualTime.toMillis(),
        "--hide-scrollbars",
        "--window-size=" + width + "," + height,
        "--screenshot=" + target,
        url.toString()));
    if (!Files.isRegularFile(target)) {
      throw new AssertionError("mesh4j: Chromium wrote no screenshot to " + target);
    }
  }

  private record Result(String stdout, String stderr) {}

  private Result run(List<String> extra) {
    Path profile = null;
    Path out = null;
    Path err = null;
    try {
      profile = Files.createTempDirectory("mesh4j-chromium-profile");
      out = Files.createTempFile("mesh4j-chromium", ".out");
      err = Files.createTempFile("mesh4j-chromium", ".err");
      List<String> command = new ArrayList<>(List.of(
          binary.toString(),
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--no-default-browser-check",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-extensions",
          "--disable-dev-shm-usage",
          "--user-data-dir=" + profile));
      command.addAll(extra);
      Process process = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .start();
      boolean done = process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (!done) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("mesh4j: Chromium did not finish within " + TIMEOUT.toSeconds() + " s: " + command
            + "\n" + tail(err));
      }
      Result result = new Result(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
      if (process.exitValue() != 0) {
        throw new AssertionError("mesh4j: Chromium exited with " + process.exitValue() + ": " + command + "\n" + tail(err));
      }
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException("mesh4j: cannot run Chromium " + binary, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("mesh4j: interrupted while Chromium ran", e);
    } finally {
      deleteQuietly(profile);
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  private static String tail(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }

  private static void deleteQuietly(Path path) {
    if (path == null || !Files.exists(path)) {
      return;
    }
    try (Stream<Path> all = Files.walk(path)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // a temporary file left behind is not worth failing a test over
    }
  }
}
