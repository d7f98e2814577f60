package io.mesh4j.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code mesh4j explain}: asks one application's live engine (its actuator's {@code
 * mesh/explain/<destination>}) where a call would go and why, and prints the answer for people or
 * as the application's JSON. The application is found through the controller's {@code /status}
 * (its {@code adminUrl}) unless {@code --app-url} names it.
 */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 100,
    description = {
      "Explains where an application's next call would go, and why, from its live engine.",
      "",
      "  mesh4j explain APP DESTINATION package.Service/Method [-H name=value]...",
      "  mesh4j explain APP METHOD DESTINATION/path[?query] [-H name=value]...",
      "",
      "e.g. mesh4j explain frontend catalog.shop shop.Catalog/GetItem -H x-canary=true",
      "     mesh4j explain frontend GET pricing.shop/prices/1",
      "",
      "DESTINATION is the called service, name.namespace. The answer names the rule that",
      "matches (and why each earlier one does not), the matched rule's backends with their",
      "weights, each endpoint's state (healthy, or ejected until when), in-flight calls and",
      "breaker, and where the next call would go: the endpoint itself where the balancer",
      "decides it without chance (round robin), otherwise how it chooses. Nothing is sent",
      "and the application's engine is only read.",
      "",
      "The application is asked at --app-url (its actuator's mesh endpoint, e.g.",
      "http://127.0.0.1:8080/actuator/mesh, which must be exposed) or, without it, at the",
      "adminUrl the application reported to the controller (see --controller); APP is",
      "then its name as mesh4j status shows it, or NAMESPACE/APP.",
      "",
      "Exit status: 0 when the application answered, 1 when it or the controller could not",
      "be reached or refused the request, 2 for a wrong command line.",
      ""
    })
final class ExplainCommand implements Callable<Integer> {

  /**
   * An HTTP method: a well-known one in any case, or upper-case letters. A destination always has
   * a dot, and a bare lower-case word is taken for a destination that lacks its namespace.
   */
  private static final Pattern HTTP_METHOD =
      Pattern.compile("(?i:GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS|TRACE|CONNECT)|[A-Z]{1,16}");

  @Mixin ControllerOptions controller = new ControllerOptions();

  @Parameters(index = "0", paramLabel = "APP", description = "The application whose engine answers.")
  String app = "";

  @Parameters(index = "1", paramLabel = "DESTINATION|METHOD",
      description = "The destination (name.namespace) of a gRPC call, or the method of an HTTP call.")
  String first = "";

  @Parameters(index = "2", paramLabel = "package.Service/Method|DESTINATION/path",
      description = "The gRPC method, or the HTTP call's destination and path.")
  String second = "";

  @Option(names = {"-H", "--header"}, paramLabel = "name=value",
      description = "A request header (gRPC metadata) of the call; repeatable.")
  List<String> headers = new ArrayList<>();

  @Option(names = "--app-url", paramLabel = "URL",
      description = "The application's actuator mesh endpoint, e.g. http://127.0.0.1:8080/actuator/mesh;"
          + " without it, the adminUrl the application reported to the controller.")
  @Nullable String appUrl;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
      description = "text, or json: the application's answer as it came, or yaml: the same in YAML (default: ${DEFAULT-VALUE}).")
  Output output = Output.text;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    String query = query();
    AdminHttp http = controller.http();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      String base = appUrl != null ? appUrl : adminUrl(http, err);
      URI uri;
      try {
        uri = AdminHttp.resolve(base, query);
      } catch (IllegalArgumentException e) {
        if (appUrl != null) {
          throw new ParameterException(spec.commandLine(), "--app-url: " + e.getMessage());
        }
        throw new AdminHttp.Failure("mesh4j: the controller reported an admin URL for " + app
            + " that is not usable: " + e.getMessage());
      }
      // the controller's token is the controller's: it is never sent to an application
      AdminHttp application = new AdminHttp(Duration.ofSeconds(controller.timeoutSeconds), null);
      String what = "the application " + app + " at " + base;
      if (output == Output.json) {
        out.println(application.get(uri, what).strip());
      } else if (output == Output.yaml) {
        out.print(output.write(application.getJson(uri, what)));
      } else {
        print(application.getJson(uri, what), out);
      }
      out.flush();
      return 0;
    } catch (AdminHttp.Failure f) {
      err.println(f.getMessage());
      err.flush();
      return 1;
    }
  }

  /** {@code /explain/<destination>?...} from the positional parameters and headers. */
  private String query() {
    String destination;
    StringBuilder q = new StringBuilder();
    if (!HTTP_METHOD.matcher(first).matches()) {
      destination = first;
      if (!second.matches("/?[^/\\s]+/[^/\\s]+")) {
        throw new ParameterException(spec.commandLine(), "'" + second + "' is not a gRPC method: give package.Service/Method,"
            + " or for HTTP: METHOD DESTINATION/path");
      }
      q.append("grpc=").append(encode(second.startsWith("/") ? second.substring(1) : second));
    } else {
      int slash = second.indexOf('/');
      if (slash <= 0) {
        throw new ParameterException(spec.commandLine(), "'" + second + "' is not DESTINATION/path, e.g. pricing.shop/prices/1");
      }
      destination = second.substring(0, slash);
      q.append("method=").append(encode(first.toUpperCase(Locale.ROOT)))
          .append("&path=").append(encode(second.substring(slash)));
    }
    if (!destination.contains(".") || destination.contains("/")) {
      throw new ParameterException(spec.commandLine(), "'" + destination + "' is not a destination: give name.namespace, e.g. catalog.shop");
    }
    for (String h : headers) {
      int eq = h.indexOf('=');
      if (eq <= 0) {
        throw new ParameterException(spec.commandLine(), "-H: '" + h + "' is not name=value");
      }
      q.append("&header=").append(encode(h.substring(0, eq).strip() + ":" + h.substring(eq + 1)));
    }
    return "/explain/" + encode(destination) + "?" + q;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** The adminUrl the controller's /status lists for {@link #app}. */
  private String adminUrl(AdminHttp http, PrintWriter err) throws AdminHttp.Failure, InterruptedException {
    Map<?, ?> status = http.getJson(controller.uri("/status"), controller.describe());
    List<Map<?, ?>> found = new ArrayList<>();
    if (status.get("applications") instanceof List<?> apps) {
      for (Object o : apps) {
        if (o instanceof Map<?, ?> a) {
          String name = AdminHttp.text(a.get("application"));
          String qualified = AdminHttp.text(a.get("namespace")) + "/" + name;
          if (app.equals(name) || app.equals(qualified)) {
            found.add(a);
          }
        }
      }
    }
    if (found.isEmpty()) {
      throw new AdminHttp.Failure("mesh4j: no application " + app + " is connected to " + controller.describe()
          + " (mesh4j status lists those that are)");
    }
    List<String> urls = new ArrayList<>();
    for (Map<?, ?> a : found) {
      Object url = a.get("adminUrl");
      if (url != null && !url.toString().isBlank()) {
        urls.add(url.toString());
      }
    }
    if (urls.isEmpty()) {
      throw new AdminHttp.Failure("mesh4j: the application " + app + " did not report an admin URL to " + controller.describe()
          + "; give its actuator mesh endpoint with --app-url, e.g. --app-url http://HOST:8080/actuator/mesh");
    }
    if (found.size() > 1) {
      err.println("mesh4j: " + found.size() + " instances of " + app + " are connected; asking the one at " + urls.get(0)
          + " (--app-url asks another)");
    }
    return urls.get(0);
  }

  /** The explanation for people: verdict, matched rule, why not the others, backends, endpoints. */
  private void print(Map<?, ?> doc, PrintWriter out) {
    out.println(text(doc.get("call")) + " to " + text(doc.get("destination")) + " from " + app
        + " (policy version " + text(doc.get("version")) + ")");
    out.println(text(doc.get("verdict")) + ": " + text(doc.get("summary")));
    List<Map<?, ?>> rules = maps(doc.get("rules"));
    for (Map<?, ?> r : rules) {
      if ("MATCHED".equals(r.get("match"))) {
        out.println();
        out.println("Matched rule: " + rule(r));
      }
    }
    List<String> whyNot = new ArrayList<>();
    for (Map<?, ?> r : rules) {
      Object match = r.get("match");
      if ("NOT_MATCHED".equals(match)) {
        whyNot.add("  " + rule(r) + ": " + text(r.get("reason")));
      } else if ("NOT_REACHED".equals(match)) {
        whyNot.add("  " + rule(r) + ": not reached, an earlier rule matched");
      }
    }
    if (!whyNot.isEmpty()) {
      out.println("Why not the others:");
      whyNot.forEach(out::println);
    }
    List<Map<?, ?>> backends = maps(doc.get("backends"));
    if (backends.isEmpty()) {
      return;
    }
    Object chosen = doc.get("chosenBackend");
    out.println();
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"BACKEND", "WEIGHT", "SHARE", "BREAKER", "IN FLIGHT", "BALANCER", ""});
    for (int i = 0; i < backends.size(); i++) {
      Map<?, ?> b = backends.get(i);
      rows.add(new String[] {
        label(b), text(b.get("weight")), percent(b.get("percent")), text(b.get("breaker")),
        text(b.get("inFlight")), text(b.get("balancer")),
        chosen instanceof Number n && n.intValue() == i ? "<- this call" : ""
      });
    }
    Table.print(rows, out);
    out.println();
    rows = new ArrayList<>();
    rows.add(new String[] {"BACKEND", "ENDPOINT", "STATE", "EJECTED UNTIL", "IN FLIGHT", "BREAKER"});
    for (Map<?, ?> b : backends) {
      for (Map<?, ?> e : maps(b.get("endpoints"))) {
        rows.add(new String[] {
          label(b), text(e.get("authority")), text(e.get("state")), ejectedUntil(e),
          text(e.get("inFlight")), text(b.get("breaker"))
        });
      }
    }
    if (rows.size() == 1) {
      out.println("no endpoints");
    } else {
      Table.print(rows, out);
    }
    out.println();
    for (Map<?, ?> b : backends) {
      if (chosen == null || (chosen instanceof Number n && backends.indexOf(b) == n.intValue())) {
        out.println("Next call to " + label(b) + ": " + text(b.get("next")));
      }
    }
  }

  private static String rule(Map<?, ?> r) {
    Object source = r.get("source");
    return text(r.get("name")) + (source == null ? "" : " (" + source + ")");
  }

  private static String label(Map<?, ?> b) {
    Object subset = b.get("subset");
    return text(b.get("destination")) + (subset == null ? "" : "/" + subset);
  }

  private static String ejectedUntil(Map<?, ?> e) {
    Object until = e.get("ejectedUntil");
    if (until == null) {
      return "-";
    }
    long millis = AdminHttp.number(e.get("ejectionLeftMillis"));
    return until + " (" + remaining(millis) + " left)";
  }

  /** {@code 18s}, {@code 2m05s}, {@code 950ms}. */
  static String remaining(long millis) {
    if (millis < 1000) {
      return millis + "ms";
    }
    long s = millis / 1000;
    return s < 60 ? s + "s" : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }

  private static String percent(@Nullable Object p) {
    if (!(p instanceof Number n)) {
      return text(p);
    }
    double v = n.doubleValue();
    return (v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v)) + "%";
  }

  private static List<Map<?, ?>> maps(@Nullable Object o) {
    List<Map<?, ?>> out = new ArrayList<>();
    if (o instanceof List<?> list) {
      for (Object e : list) {
        if (e instanceof Map<?, ?> m) {
          out.add(m);
        }
      }
    }
    return out;
  }

  private static String text(@Nullable Object o) {
    return AdminHttp.text(o);
  }
}
