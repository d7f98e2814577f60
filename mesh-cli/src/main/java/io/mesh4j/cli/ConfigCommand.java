package io.mesh4j.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mesh4j config}: the content the controller resolved for one application (its {@code
 * /config/APP}), compared resource by resource with what the application holds (its actuator's
 * {@code mesh/_policy}) when the application told the controller where that is.
 */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = {
      "Shows the configuration an application runs, as the controller resolved it,",
      "and flags every resource the application holds differently.",
      "",
      "APP is an application name as `mesh4j status` shows it, or NAMESPACE/APP.",
      "SECTION picks the resources to print in full:",
      "  routes        TrafficRoutes, HTTPRoutes and GRPCRoutes",
      "  destinations  DestinationPolicies",
      "  endpoints     ServiceEndpoints (resolved endpoints)",
      "  authz         AuthorizationPolicies",
      "  yaml          every resource",
      "Without SECTION: one line per resource, with APP STATE",
      "  SAME     the application holds it as sent,",
      "  DIFFERS  the application holds another version of it,",
      "  MISSING  the application does not hold it (EXTRA: holds one not sent),",
      "  -        the application could not be asked.",
      "",
      "Exit status: 0 when the controller answered, 1 when it could not be reached, refused",
      "the request or has no such application, 2 for a wrong command line.",
      ""
    })
final class ConfigCommand implements Callable<Integer> {

  /** What a section prints, by the kinds in it. */
  enum Section {
    routes("TrafficRoute", "HTTPRoute", "GRPCRoute"),
    destinations("DestinationPolicy"),
    endpoints("ServiceEndpoints"),
    authz("AuthorizationPolicy"),
    yaml;

    @SuppressWarnings("ImmutableEnumChecker") // never written after construction
    private final String[] kinds;

    Section(String... kinds) {
      this.kinds = kinds;
    }

    boolean includes(String kind) {
      return kinds.length == 0 || List.of(kinds).contains(kind);
    }
  }

  @Parameters(index = "0", paramLabel = "APP", description = "The application: NAME or NAMESPACE/NAME.")
  String application = "";

  @Parameters(index = "1", arity = "0..1", paramLabel = "SECTION",
      description = "routes, destinations, endpoints, authz or yaml.")
  @Nullable Section section;

  @Mixin ControllerOptions controller = new ControllerOptions();

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
      description = "text, or json or yaml: the controller's content and the application's, side by side (default: ${DEFAULT-VALUE}).")
  Output output = Output.text;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    AdminHttp http = controller.http();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Map<?, ?> doc;
    try {
      doc = http.getJson(controller.uri("/config/" + application), controller.describe());
    } catch (AdminHttp.Failure f) {
      err.println(f.getMessage());
      err.flush();
      return 1;
    }
    List<Report> report = new ArrayList<>();
    if (doc.get("streams") instanceof List<?> streams) {
      for (Object o : streams) {
        if (o instanceof Map<?, ?> stream) {
          report.add(compare(stream, http));
        }
      }
    }
    if (output != Output.text) {
      List<Object> streams = new ArrayList<>();
      for (Report r : report) {
        streams.add(r.toMap());
      }
      out.print(output.write(Map.of("streams", streams)));
    } else {
      for (int i = 0; i < report.size(); i++) {
        if (i > 0) {
          out.println();
        }
        print(report.get(i), out);
      }
    }
    out.flush();
    return 0;
  }

  /** One resource: as sent, and how the application holds it. */
  record Row(String ref, String state, String yaml, @Nullable String heldYaml) {
    String kind() {
      return ref.substring(0, Math.max(0, ref.indexOf(' ')));
    }
  }

  /** One stream of the application, compared. */
  record Report(
      String application,
      String peer,
      long sentVersion,
      long ackedVersion,
      @Nullable String adminUrl,
      long heldVersion,
      @Nullable String unreachable,
      List<Row> rows) {

    Map<String, @Nullable Object> toMap() {
      Map<String, @Nullable Object> m = new LinkedHashMap<>();
      m.put("application", application);
      m.put("peer", peer);
      m.put("sentVersion", sentVersion);
      m.put("ackedVersion", ackedVersion);
      m.put("adminUrl", adminUrl);
      m.put("heldVersion", unreachable == null ? heldVersion : null);
      m.put("applicationUnreachable", unreachable);
      List<Object> resources = new ArrayList<>();
      for (Row r : rows) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("ref", r.ref());
        row.put("state", r.state());
        row.put("yaml", r.yaml());
        if (r.heldYaml() != null) {
          row.put("heldYaml", r.heldYaml());
        }
        resources.add(row);
      }
      m.put("resources", resources);
      return m;
    }
  }

  /** One stream's content from the controller, with each resource's state in the application. */
  private Report compare(Map<?, ?> stream, AdminHttp http) throws InterruptedException {
    Map<String, String> sent = resources(stream.get("resources"));
    String adminUrl = stream.get("adminUrl") == null ? null : AdminHttp.text(stream.get("adminUrl"));
    Map<String, String> held = null;
    String unreachable = null;
    long heldVersion = 0;
    if (adminUrl == null) {
      unreachable = "the application did not say where its mesh endpoint listens (is the actuator's mesh endpoint exposed over HTTP?)";
    } else {
      try {
        Map<?, ?> policy = http.getJson(AdminHttp.resolve(adminUrl, "/_policy"), "the application at " + adminUrl);
        held = resources(policy.get("resources"));
        heldVersion = AdminHttp.number(policy.get("appliedVersion"));
      } catch (AdminHttp.Failure | IllegalArgumentException e) {
        unreachable = e.getMessage();
      }
    }
    List<Row> rows = new ArrayList<>();
    Map<String, String> all = new TreeMap<>(sent);
    if (held != null) {
      held.forEach(all::putIfAbsent);
    }
    for (Map.Entry<String, String> e : all.entrySet()) {
      String ours = sent.get(e.getKey());
      String theirs = held == null ? null : held.get(e.getKey());
      String state;
      if (held == null) {
        state = "-";
      } else if (ours == null) {
        state = "EXTRA";
      } else if (theirs == null) {
        state = "MISSING";
      } else {
        state = ours.equals(theirs) ? "SAME" : "DIFFERS";
      }
      rows.add(new Row(e.getKey(), state, e.getValue(), state.equals("DIFFERS") ? theirs : null));
    }
    return new Report(
        AdminHttp.text(stream.get("namespace")) + "/" + AdminHttp.text(stream.get("application")),
        AdminHttp.text(stream.get("peer")),
        AdminHttp.number(stream.get("sentVersion")),
        AdminHttp.number(stream.get("ackedVersion")),
        adminUrl,
        heldVersion,
        unreachable,
        rows);
  }

  private void print(Report r, PrintWriter out) {
    out.println("Application " + r.application() + " (" + r.peer() + "): the controller sent version "
        + r.sentVersion() + ", the application acknowledged " + r.ackedVersion());
    String unreachable = r.unreachable();
    if (unreachable != null) {
      out.println("Not compared with the application: " + unreachable);
    } else {
      out.println("Compared with the application at " + r.adminUrl() + ", which holds version " + r.heldVersion());
    }
    Section s = section;
    if (s == null) {
      List<String[]> table = new ArrayList<>();
      table.add(new String[] {"KIND", "RESOURCE", "APP STATE"});
      for (Row row : r.rows()) {
        table.add(new String[] {row.kind(), row.ref().substring(row.ref().indexOf(' ') + 1), row.state()});
      }
      Table.print(table, out);
      long differ = r.rows().stream().filter(row -> !row.state().equals("SAME")).count();
      if (unreachable == null) {
        out.println(differ == 0
            ? "The application holds exactly what the controller sent."
            : differ + " resource(s) differ from what the controller sent.");
      }
      return;
    }
    int shown = 0;
    for (Row row : r.rows()) {
      if (!s.includes(row.kind())) {
        continue;
      }
      shown++;
      out.println("--- # " + row.ref() + (row.state().equals("-") ? "" : " (application: " + row.state() + ")"));
      out.print(row.yaml());
      String held = row.heldYaml();
      if (held != null) {
        out.println("--- # " + row.ref() + " as the application holds it");
        out.print(held);
      }
    }
    if (shown == 0) {
      out.println("# no " + s + " resources");
    }
  }

  private static Map<String, String> resources(@Nullable Object list) {
    Map<String, String> out = new TreeMap<>();
    if (list instanceof List<?> l) {
      for (Object o : l) {
        if (o instanceof Map<?, ?> m && m.get("ref") != null) {
          out.put(AdminHttp.text(m.get("ref")), AdminHttp.text(m.get("yaml")));
        }
      }
    }
    return out;
  }
}
