package io.mesh4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code mesh4j status}: asks a controller's admin endpoint ({@code /status}) what every connected
 * application holds and prints one line per application, like {@code istioctl proxy-status}.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Shows what every application connected to a controller holds.",
      "",
      "One line per application: the version it was sent, the version it applied,",
      "and whether it is",
      "  SYNCED  it applied the latest version it was sent,",
      "  NACKED  it refused the latest version it was sent (REASON says why),",
      "  STALE   it has not yet applied the latest version it was sent.",
      "LAST SYNC is when it last applied, confirmed or refused a version.",
      "",
      "The controller's admin endpoint is open on loopback; elsewhere it needs a",
      "bearer token from the controller's --admin-token-file (--token-file here).",
      "",
      "Exit status: 0 when the controller answered, 1 when it could not be reached or",
      "refused the request, 2 for a wrong command line.",
      ""
    })
final class StatusCommand implements Callable<Integer> {

  @Option(names = "--controller", paramLabel = "URL", defaultValue = "http://127.0.0.1:15014",
      description = "The controller's admin endpoint, http://HOST:PORT or HOST:PORT (default: ${DEFAULT-VALUE}).")
  String controller = "http://127.0.0.1:15014";

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "A file whose first line (blank lines and # comments skipped) is a bearer token"
          + " from the controller's --admin-token-file.")
  @Nullable Path tokenFile;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5",
      description = "How long to wait for the controller (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds = 5;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
      description = "text, or json: the controller's /status document as it came (default: ${DEFAULT-VALUE}).")
  Output output = Output.text;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    URI uri = statusUri();
    if (timeoutSeconds <= 0) {
      throw new ParameterException(spec.commandLine(), "--timeout: " + timeoutSeconds + " is not a positive number of seconds");
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(timeoutSeconds)).GET();
    String token = token();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    PrintWriter err = spec.commandLine().getErr();
    HttpResponse<String> response;
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(timeoutSeconds)).build();
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      err.println("mesh4j: cannot reach the controller at " + controller + " (" + describe(e) + ")");
      err.flush();
      return 1;
    }
    if (response.statusCode() != 200) {
      err.println("mesh4j: the controller at " + controller + " answered " + response.statusCode() + ": " + response.body().strip());
      if (response.statusCode() == 401) {
        err.println("mesh4j: give a token from the controller's --admin-token-file with --token-file");
      }
      err.flush();
      return 1;
    }
    PrintWriter out = spec.commandLine().getOut();
    if (output == Output.json) {
      out.println(response.body().strip());
      out.flush();
      return 0;
    }
    Map<?, ?> doc;
    try {
      doc = parse(response.body());
    } catch (YAMLException | ClassCastException e) {
      err.println("mesh4j: the controller at " + controller + " sent a /status document that is not JSON: " + e.getMessage());
      err.flush();
      return 1;
    }
    printTable(doc, out);
    out.flush();
    return 0;
  }

  private URI statusUri() {
    // host:port alone means plain HTTP, as the admin endpoint serves it
    String address = controller.contains("://") ? controller : "http://" + controller;
    String base = address.endsWith("/") ? address.substring(0, address.length() - 1) : address;
    try {
      URI uri = new URI(base + "/status");
      if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new ParameterException(
            spec.commandLine(), "--controller: '" + controller + "' is not an http:// or https:// address, e.g. http://127.0.0.1:15014");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ParameterException(spec.commandLine(), "--controller: '" + controller + "' is not an address (" + e.getMessage() + ")");
    }
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
      throw new ParameterException(spec.commandLine(), "--token-file: cannot read " + file + " (" + describe(e) + ")");
    }
    for (String line : lines) {
      String t = line.strip();
      if (!t.isEmpty() && !t.startsWith("#")) {
        return t;
      }
    }
    throw new ParameterException(spec.commandLine(), "--token-file: " + file + " holds no token");
  }

  private static String describe(Exception e) {
    if (e instanceof java.net.ConnectException && e.getMessage() == null) {
      return "connection refused: nothing listens there";
    }
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
  }

  /** JSON is YAML: the parser mesh4j already carries reads it, safely. */
  private static Map<?, ?> parse(String json) {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(64 * 1024 * 1024);
    options.setAllowDuplicateKeys(false);
    Object doc = new Yaml(new SafeConstructor(options)).load(json);
    return (Map<?, ?>) doc;
  }

  private static void printTable(Map<?, ?> doc, PrintWriter out) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"APPLICATION", "NAMESPACE", "SENT", "ACKED", "STATUS", "LAST SYNC", "REASON"});
    Object apps = doc.get("applications");
    if (apps instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Map<?, ?> app) {
          rows.add(row(app));
        }
      }
    }
    if (rows.size() == 1) {
      out.println("no applications connected (controller mode: " + text(doc.get("mode")) + ")");
      return;
    }
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        sb.append(row[i]);
        if (i < row.length - 1) {
          sb.append(" ".repeat(widths[i] - row[i].length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
  }

  private static String[] row(Map<?, ?> app) {
    long sent = number(app.get("sentVersion"));
    long acked = number(app.get("ackedVersion"));
    String state;
    String reason = "";
    Object nack = app.get("lastNack");
    long nackedVersion = -1;
    if (nack instanceof Map<?, ?> n) {
      nackedVersion = number(n.get("version"));
      if (n.get("reasons") instanceof List<?> reasons) {
        List<String> texts = new ArrayList<>();
        for (Object r : reasons) {
          texts.add(text(r));
        }
        reason = String.join("; ", texts);
      }
    }
    if (sent != 0 && sent == acked) {
      state = "SYNCED";
    } else if (nackedVersion == sent && sent != 0) {
      state = "NACKED";
    } else {
      state = "STALE";
    }
    if (!state.equals("NACKED") && !reason.isEmpty()) {
      reason = "(earlier, version " + nackedVersion + ") " + reason;
    }
    return new String[] {
      text(app.get("application")),
      text(app.get("namespace")),
      String.valueOf(sent),
      String.valueOf(acked),
      state,
      app.get("lastSync") == null ? "-" : text(app.get("lastSync")),
      reason.isEmpty() ? "-" : reason
    };
  }

  private static long number(@Nullable Object o) {
    return o instanceof Number n ? n.longValue() : 0;
  }

  private static String text(@Nullable Object o) {
    return o == null ? "" : o.toString();
  }
}
