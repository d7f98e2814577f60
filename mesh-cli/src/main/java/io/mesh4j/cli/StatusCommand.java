package io.mesh4j.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
      "One line per application stream (PEER tells replicas apart): KIND mesh4j for a",
      "policy stream, xds for a gRPC xDS client (named by the ServiceAccount it proved,",
      "or 'unauthenticated'); the version it was sent, the version it applied (xDS: the",
      "oldest over its resource types), and whether it is",
      "  SYNCED  it applied the latest version it was sent,",
      "  NACKED  it refused the latest version it was sent (REASON says why; xDS: the",
      "          refused type and resources, then the peer's message),",
      "  STALE   it has not yet applied the latest version it was sent.",
      "CONNECTED SINCE is when its stream opened; LAST SYNC is when it last applied,",
      "confirmed or refused a version.",
      "",
      "The controller's admin endpoint is open on loopback; elsewhere it needs a",
      "bearer token from the controller's --admin-token-file (--token-file here).",
      "",
      "Exit status: 0 when the controller answered, 1 when it could not be reached or",
      "refused the request, 2 for a wrong command line.",
      ""
    })
final class StatusCommand implements Callable<Integer> {

  @Mixin ControllerOptions controller = new ControllerOptions();

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
      description = "text, or json: the controller's /status document as it came, or yaml: the same in YAML (default: ${DEFAULT-VALUE}).")
  Output output = Output.text;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    AdminHttp http = controller.http();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      URI uri = controller.uri("/status");
      if (output == Output.json) {
        out.println(http.get(uri, controller.describe()).strip());
      } else if (output == Output.yaml) {
        out.print(output.write(http.getJson(uri, controller.describe())));
      } else {
        printTable(http.getJson(uri, controller.describe()), out);
      }
      out.flush();
      return 0;
    } catch (AdminHttp.Failure f) {
      err.println(f.getMessage());
      err.flush();
      return 1;
    }
  }

  private static void printTable(Map<?, ?> doc, PrintWriter out) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"APPLICATION", "NAMESPACE", "KIND", "PEER", "SENT", "ACKED", "STATUS", "CONNECTED SINCE", "LAST SYNC", "REASON"});
    Object apps = doc.get("applications");
    if (apps instanceof List<?> list) {
      for (Object o : list) {
        if (o instanceof Map<?, ?> app) {
          rows.add(row(app));
        }
      }
    }
    if (rows.size() == 1) {
      out.println("no applications connected (controller mode: " + AdminHttp.text(doc.get("mode")) + ")");
      return;
    }
    Table.print(rows, out);
  }

  private static String[] row(Map<?, ?> app) {
    long sent = AdminHttp.number(app.get("sentVersion"));
    long acked = AdminHttp.number(app.get("ackedVersion"));
    String state;
    String reason = "";
    Object nack = app.get("lastNack");
    long nackedVersion = -1;
    if (nack instanceof Map<?, ?> n) {
      nackedVersion = AdminHttp.number(n.get("version"));
      if (n.get("reasons") instanceof List<?> reasons) {
        List<String> texts = new ArrayList<>();
        for (Object r : reasons) {
          texts.add(AdminHttp.text(r));
        }
        reason = String.join("; ", texts);
      }
      String type = AdminHttp.text(n.get("type"));
      if (!type.isEmpty() && n.get("names") instanceof List<?> names) {
        List<String> texts = new ArrayList<>();
        for (Object name : names) {
          texts.add(AdminHttp.text(name));
        }
        reason = type + " " + String.join(", ", texts) + ": " + reason;
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
      AdminHttp.text(app.get("application")),
      AdminHttp.text(app.get("namespace")).isEmpty() ? "-" : AdminHttp.text(app.get("namespace")),
      app.get("kind") == null ? "mesh4j" : AdminHttp.text(app.get("kind")),
      peer(app.get("peer")),
      String.valueOf(sent),
      String.valueOf(acked),
      state,
      time(app.get("connectedSince")),
      time(app.get("lastSync")),
      reason.isEmpty() ? "-" : reason
    };
  }

  /** The stream's address, which tells replicas apart: {@code 10.1.2.3:41234}. */
  private static String peer(@Nullable Object peer) {
    String p = AdminHttp.text(peer);
    return p.isEmpty() ? "-" : p.substring(p.indexOf('/') + 1);
  }

  /** An instant to the second, which is what people compare; "-" when there is none. */
  private static String time(@Nullable Object instant) {
    if (instant == null) {
      return "-";
    }
    try {
      return Instant.parse(instant.toString()).truncatedTo(ChronoUnit.SECONDS).toString();
    } catch (DateTimeParseException e) {
      return instant.toString();
    }
  }
}
