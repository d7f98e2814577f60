package io.mesh4j.samples.shop;

import io.mesh4j.core.identity.IdentityMaterial;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's live view, drawn once per second. On a terminal it redraws a small screen in place
 * (ANSI); anywhere else (CI logs, a pipe) it prints one plain line per second so logs stay
 * readable. The screen is a list of {@link Panel}s, so a new column of facts (certificate
 * identities, trace ids) is one more panel fed from one more field of {@link Second}.
 */
final class LiveConsole {

  /** What happened in one second of the demo. */
  record Second(
      double elapsedSeconds,
      String phase,
      Tally users,
      Map<String, Long> instanceCalls,
      Map<String, String> pricingModes,
      MeshReadings meshInSecond,
      MeshReadings meshNow,
      long appliedVersion,
      Map<String, IdentityMaterial> certificates,
      long traces,
      List<RecentTraces.Trace> recentTraces) {}

  /** One block of lines of the screen. */
  interface Panel {
    void render(Second s, List<String> lines);
  }

  private static final String CLEAR_HOME = "\u001b[H\u001b[2J";
  private static final int BAR = 30;

  private final PrintStream out;
  private final boolean ansi;
  private final List<Panel> panels =
      List.of(LiveConsole::header, LiveConsole::users, LiveConsole::subsets, LiveConsole::instances, LiveConsole::mesh,
          LiveConsole::identities, LiveConsole::traces);

  LiveConsole(PrintStream out, boolean ansi) {
    this.out = out;
    this.ansi = ansi;
  }

  boolean ansi() {
    return ansi;
  }

  /** Draws one second; {@code footer} (the phases so far) goes under the screen on a terminal. */
  void show(Second s, List<String> footer) {
    if (!ansi) {
      out.println(line(s));
      return;
    }
    List<String> lines = new ArrayList<>();
    for (Panel p : panels) {
      p.render(s, lines);
    }
    lines.add("");
    lines.addAll(footer);
    StringBuilder screen = new StringBuilder(CLEAR_HOME);
    lines.forEach(l -> screen.append(l).append('\n'));
    out.print(screen);
    out.flush();
  }

  /** A phase's title, printed as its own line in plain mode (the screen shows it in place). */
  void phase(String title) {
    if (!ansi) {
      out.println("== " + title);
    }
  }

  /** The one-line form of a second, for logs. */
  static String line(Second s) {
    Tally u = s.users();
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "[%5.1fs] %5d pages/s  ok %5.1f%%  degraded %4d  failed %d",
        s.elapsedSeconds(), u.calls(), percent(u.ok(), u.calls()), u.degraded(), u.failed()));
    u.byVersion().forEach((v, n) -> b.append(String.format(Locale.ROOT, "  %s %5.1f%%", v, u.share(v))));
    b.append(String.format(Locale.ROOT, "  | retries %d  ejections %d  breakers ",
        s.meshInSecond().totalRetries(), s.meshInSecond().totalEjections()));
    b.append(breakers(s.meshNow()));
    long certified = s.certificates().values().stream().filter(c -> c != null).count();
    b.append(String.format(Locale.ROOT, "  | certificates %d/%d  traces %d", certified, s.certificates().size(), s.traces()));
    return b.toString();
  }

  private static void header(Second s, List<String> lines) {
    lines.add(String.format(Locale.ROOT, "mesh4j shop demo   %5.1f s   %s   (frontend applied policy version %d)",
        s.elapsedSeconds(), s.phase(), s.appliedVersion()));
    lines.add("");
  }

  private static void users(Second s, List<String> lines) {
    Tally u = s.users();
    lines.add(String.format(Locale.ROOT, "users      %5d pages/s   ok %5.1f%%   degraded (no price) %4d   failed %d   mean %.1f ms",
        u.calls(), percent(u.ok(), u.calls()), u.degraded(), u.failed(), u.meanMillis()));
    u.failures().forEach(f -> lines.add("           failed: " + f));
  }

  private static void subsets(Second s, List<String> lines) {
    Tally u = s.users();
    String label = "catalog.shop";
    for (String version : List.of("v1", "v2")) {
      double share = u.share(version);
      lines.add(String.format(Locale.ROOT, "%-12s %-3s %5d/s %5.1f%% %s", label, version,
          u.byVersion().getOrDefault(version, 0L), share, "#".repeat((int) Math.round(share * BAR / 100))));
      label = "";
    }
  }

  private static void instances(Second s, List<String> lines) {
    StringBuilder b = new StringBuilder("received  ");
    s.instanceCalls().forEach((instance, n) -> {
      b.append(String.format(Locale.ROOT, " %s %d/s", instance, n));
      String mode = s.pricingModes().get(instance);
      if (mode != null) {
        b.append(" (").append(mode).append(')');
      }
    });
    lines.add(b.toString());
  }

  private static void mesh(Second s, List<String> lines) {
    MeshReadings m = s.meshInSecond();
    MeshReadings now = s.meshNow();
    lines.add(String.format(Locale.ROOT, "mesh       retries/s %s   ejections total %s   refused/s %s",
        m.retries().isEmpty() ? "0" : m.retries(), now.ejections().isEmpty() ? "0" : now.ejections(),
        m.refusals().isEmpty() ? "0" : m.refusals()));
    lines.add("breakers   " + breakers(now));
  }

  /** Each application's certificate: its SPIFFE ID and how long until it expires. */
  private static void identities(Second s, List<String> lines) {
    String label = "mTLS";
    Instant now = Instant.now();
    for (Map.Entry<String, IdentityMaterial> e : s.certificates().entrySet()) {
      IdentityMaterial c = e.getValue();
      lines.add(String.format(Locale.ROOT, "%-10s %-11s %s", label, e.getKey(),
          c == null ? "no certificate yet" : c.spiffeId() + "   expires in " + left(Duration.between(now, c.notAfter()))));
      label = "";
    }
  }

  /** How many traces were sampled, and the newest few, to look up in a trace viewer. */
  private static void traces(Second s, List<String> lines) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "traces     %d sampled   newest", s.traces()));
    s.recentTraces().forEach(t -> b.append("  ").append(t.traceId()).append(" (").append(t.spans()).append(" spans)"));
    lines.add(b.toString());
  }

  private static String left(Duration d) {
    long minutes = Math.max(0, d.toMinutes());
    return String.format(Locale.ROOT, "%dh%02dm", minutes / 60, minutes % 60);
  }

  private static String breakers(MeshReadings m) {
    if (m.breakers().isEmpty()) {
      return "all closed";
    }
    StringBuilder b = new StringBuilder();
    m.breakers().forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
    return b.toString();
  }

  static double percent(long part, long whole) {
    return whole == 0 ? 100.0 : 100.0 * part / whole;
  }
}
