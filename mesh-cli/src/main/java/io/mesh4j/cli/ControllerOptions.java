package io.mesh4j.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The options of every command that asks a controller: where it is, its token, how long to wait. */
final class ControllerOptions {

  @Option(names = "--controller", paramLabel = "URL", defaultValue = "http://127.0.0.1:15014",
      description = "The controller's admin endpoint, http://HOST:PORT or HOST:PORT (default: ${DEFAULT-VALUE}).")
  String controller = "http://127.0.0.1:15014";

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "A file whose first line (blank lines and # comments skipped) is a bearer token"
          + " from the controller's --admin-token-file.")
  @Nullable Path tokenFile;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5",
      description = "How long to wait for an answer (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds = 5;

  @Spec(Spec.Target.MIXEE) CommandSpec spec;

  /** The client these options describe; a wrong option is a {@link ParameterException}. */
  AdminHttp http() {
    if (timeoutSeconds <= 0) {
      throw new ParameterException(spec.commandLine(), "--timeout: " + timeoutSeconds + " is not a positive number of seconds");
    }
    return new AdminHttp(Duration.ofSeconds(timeoutSeconds), token());
  }

  /** The controller's {@code path}. */
  URI uri(String path) {
    try {
      return AdminHttp.resolve(controller, path);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--controller: " + e.getMessage());
    }
  }

  /** How messages name the controller. */
  String describe() {
    return "the controller at " + controller;
  }

  private @Nullable String token() {
    Path file = tokenFile;
    if (file == null) {
      return null;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ParameterException(spec.commandLine(), "--token-file: cannot read " + file + " (" + AdminHttp.describe(e) + ")");
    }
    for (String line : lines) {
      String t = line.strip();
      if (!t.isEmpty() && !t.startsWith("#")) {
        return t;
      }
    }
    throw new ParameterException(spec.commandLine(), "--token-file: " + file + " holds no token");
  }
}
