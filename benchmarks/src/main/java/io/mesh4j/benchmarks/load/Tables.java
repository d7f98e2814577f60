package io.mesh4j.benchmarks.load;

import io.mesh4j.benchmarks.load.Results.Machine;
import io.mesh4j.benchmarks.load.Results.ModeResult;
import io.mesh4j.benchmarks.load.Results.Report;
import io.mesh4j.benchmarks.load.Results.RowResult;
import io.mesh4j.benchmarks.load.Results.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import io.mesh4j.benchmarks.load.Verdicts.Check;
import io.mesh4j.benchmarks.load.Verdicts.Figure;
import java.util.stream.Collectors;

/** The run as Markdown: the machine, one table per mode, and the targets met or missed. */
public final class Tables {

  private Tables() {}

  /** The whole report. */
  public static String markdown(Report report, HarnessOptions options, Machine machine) {
    StringBuilder md = new StringBuilder();
    md.append("# mesh4j loopback comparison, ").append(machine.time()).append("\n\n");
    md.append(String.format(Locale.ROOT,
        "- Machine: %d processors (%s), %s memory; %s; HAProxy %s%n", machine.processors(),
        machine.cpu(), machine.memory(), machine.java(), machine.haproxy()));
    md.append("- Load average (1, 5, 15 min): ").append(machine.loadBefore())
        .append(" before, ").append(machine.loadAfter()).append(" after\n");
    md.append(String.format(Locale.ROOT,
        "- Options: %s s per row per round, %s s warm-up per row and mode, %d round(s),"
            + " %d-byte unary echo%n", trim(options.seconds()), trim(options.warmupSeconds()),
        options.rounds(), options.payloadBytes()));
    md.append("- Latency in microseconds; CPU in CPU-seconds per 10,000 calls per process"
        + " (client = this JVM, server = the echo server's JVM, proxies = both HAProxy processes,"
        + " xDS CP = the control plane's JVM); alloc = bytes the client JVM allocated per call;"
        + " `err/retry` = failed calls + mesh retries + mesh refusals; `x floor` columns are ratios"
        + " to `" + LoadHarness.FLOOR + "` (latency and CPU: lower is better; calls/s: higher is"
        + " better).\n");
    for (ModeResult mode : report.modes()) {
      md.append("\n## ").append(mode.mode()).append("\n\n");
      table(md, mode);
      md.append('\n');
      targets(md, mode);
    }
    return md.toString();
  }

  private static void table(StringBuilder md, ModeResult mode) {
    md.append("| row | calls | calls/s | p50 | p90 | p99 | p99.9 | p50 by round | CPU client"
        + " | CPU server | CPU proxies | CPU xDS CP | CPU total | alloc B/call | err/retry"
        + " | p50 x floor | p99 x floor | calls/s x floor | client CPU x floor"
        + " | total CPU x floor |\n");
    md.append("|---".repeat(20)).append("|\n");
    Optional<RowResult> floor = mode.row(LoadHarness.FLOOR);
    for (RowResult r : mode.rows()) {
      Sample p = r.pooled();
      md.append(String.format(Locale.ROOT,
          "| %s | %d | %.0f | %s | %s | %s | %s | %s | %.3f | %.3f | %s | %s | %.3f | %.0f | %d |",
          r.name(), r.calls(), r.throughput(), us(r, 50), us(r, 90), us(r, 99), us(r, 99.9),
          r.rounds().stream().map(s -> String.format(Locale.ROOT, "%.0f",
              s.histogram().getValueAtPercentile(50) / 1000.0)).collect(Collectors.joining("/")),
          r.clientCpu(), r.perTenThousand(p.serverCpuNanos()),
          p.proxyCpuNanos() > 0 ? String.format(Locale.ROOT, "%.3f", r.perTenThousand(p.proxyCpuNanos())) : "-",
          p.controlPlaneCpuNanos() > 0 ? String.format(Locale.ROOT, "%.3f", r.perTenThousand(p.controlPlaneCpuNanos())) : "-",
          r.totalCpu(), r.allocatedPerCall(), r.anomalies()));
      if (floor.isPresent() && r.calls() > 0 && floor.get().calls() > 0) {
        RowResult f = floor.get();
        md.append(String.format(Locale.ROOT, " %.3f | %.3f | %.3f | %.3f | %.3f |%n",
            ratio(r.latencyNanos(50), f.latencyNanos(50)),
            ratio(r.latencyNanos(99), f.latencyNanos(99)), r.throughput() / f.throughput(),
            r.clientCpu() / f.clientCpu(), r.totalCpu() / f.totalCpu()));
      } else {
        md.append(" | | | | |\n");
      }
    }
    for (String[] s : mode.skipped()) {
      md.append("| ").append(s[0]).append(" | ").append(s[1]).append(" |").append(" |".repeat(18))
          .append('\n');
    }
    for (RowResult r : mode.rows()) {
      if (r.pooled().firstError() != null) {
        md.append("\nfirst failure of ").append(r.name()).append(": ")
            .append(r.pooled().firstError()).append('\n');
      }
    }
    md.append("\nRows:\n\n");
    for (RowResult r : mode.rows()) {
      md.append("- `").append(r.name()).append("`: ").append(r.what()).append('\n');
    }
  }

  /** The targets for this mode, each with its ratio, its interval and its verdict. */
  static List<Check> checks(ModeResult mode) {
    List<Check> checks = new ArrayList<>();
    Optional<RowResult> xds = mode.row(LoadHarness.XDS);
    for (String[] pair :
        List.of(
            new String[] {LoadHarness.MESH_ALL, LoadHarness.FLOOR},
            new String[] {LoadHarness.MESH_ALL_DIRECT, LoadHarness.FLOOR_DIRECT})) {
      Optional<RowResult> mesh = mode.row(pair[0]);
      Optional<RowResult> floor = mode.row(pair[1]);
      if (mesh.isPresent() && floor.isPresent()) {
        RowResult m = mesh.get();
        RowResult f = floor.get();
        String what = m.name() + " / " + f.name() + ", ";
        checks.add(Verdicts.check(what + "p50", m, f, Figure.P50, 1.05, true));
        checks.add(Verdicts.check(what + "p99", m, f, Figure.P99, 1.10, true));
        checks.add(Verdicts.check(what + "calls/s", m, f, Figure.THROUGHPUT, 0.95, false));
        checks.add(Verdicts.check(what + "client CPU per call", m, f, Figure.CLIENT_CPU, 1.10, true));
      }
    }
    Optional<RowResult> mesh = mode.row(LoadHarness.MESH_ALL);
    Optional<RowResult> floor = mode.row(LoadHarness.FLOOR);
    if (mesh.isPresent() && xds.isPresent()) {
      RowResult m = mesh.get();
      RowResult x = xds.get();
      String what = m.name() + " / " + x.name() + ", ";
      checks.add(Verdicts.check(what + "p50", m, x, Figure.P50, 1.0, true));
      checks.add(Verdicts.check(what + "p99", m, x, Figure.P99, 1.0, true));
      checks.add(Verdicts.check(what + "client CPU per call", m, x, Figure.CLIENT_CPU, 1.0, true));
      checks.add(Verdicts.check(what + "total CPU per call", m, x, Figure.TOTAL_CPU, 1.0, true));
    }
    for (String sidecar : List.of(LoadHarness.SIDECAR_H2C, LoadHarness.SIDECAR_TLS)) {
      Optional<RowResult> s = mode.row(sidecar);
      if (mesh.isPresent() && floor.isPresent() && s.isPresent()) {
        RowResult m = mesh.get();
        RowResult f = floor.get();
        RowResult side = s.get();
        int rounds = Math.min(m.rounds().size(), Math.min(f.rounds().size(), side.rounds().size()));
        checks.add(Verdicts.check("mesh4j-all's added p50 / " + sidecar + "'s added p50", rounds,
            chosen -> addedShare(Figure.P50.of(m.rounds(), chosen),
                Figure.P50.of(f.rounds(), chosen), Figure.P50.of(side.rounds(), chosen)),
            0.20, true));
      }
    }
    return checks;
  }

  /**
   * The mesh's added median latency as a share of the sidecar path's: (mesh - floor) / (sidecar -
   * floor). Zero or less when the mesh added nothing measurable; NaN when the sidecar added nothing.
   */
  static double addedShare(double mesh, double floor, double sidecar) {
    double sidecarAdded = sidecar - floor;
    return sidecarAdded <= 0 ? Double.NaN : (mesh - floor) / sidecarAdded;
  }

  private static void targets(StringBuilder md, ModeResult mode) {
    List<Check> checks = checks(mode);
    md.append("\nTargets (95% intervals: paired bootstrap over rounds; a verdict is met or missed"
        + " only when the whole interval is on one side of the limit):\n\n"
        + "| target | ratio | 95% interval | ± | limit | verdict |\n|---|---|---|---|---|---|\n");
    int met = 0;
    int missed = 0;
    int inconclusive = 0;
    for (Check c : checks) {
      if (Double.isNaN(c.ratio())) {
        md.append(String.format(Locale.ROOT, "| %s | n/a | | | %s %.2f | not measurable in this"
            + " run |%n", c.what(), c.atMost() ? "<=" : ">=", c.limit()));
        continue;
      }
      boolean interval = !Double.isNaN(c.low());
      md.append(String.format(Locale.ROOT, "| %s | %.3f | %s | %s | %s %.2f | %s |%n",
          c.what(), c.ratio(),
          interval ? String.format(Locale.ROOT, "%.3f to %.3f", c.low(), c.high()) : "n/a",
          interval ? String.format(Locale.ROOT, "%.1f%%", c.halfWidth() * 100) : "",
          c.atMost() ? "<=" : ">=", c.limit(), c.describe()));
      switch (c.verdict()) {
        case MET -> met++;
        case MISSED -> missed++;
        case INCONCLUSIVE -> inconclusive++;
      }
    }
    if (checks.isEmpty()) {
      md.append("| (the rows the targets need did not run) | | | | | |\n");
    } else {
      md.append(String.format(Locale.ROOT, "%nverdicts: %d met, %d inconclusive, %d missed%n", met,
          inconclusive, missed));
    }
    for (RowResult r : mode.rows()) {
      if (r.baseline() != null) {
        mode.row(r.baseline()).ifPresent(b -> md.append(String.format(Locale.ROOT,
            "%n%s / %s: p50 %.3f, p99 %.3f, calls/s %.3f, client CPU %.3f, alloc %+.0f B/call%n",
            r.name(), b.name(), ratio(r.latencyNanos(50), b.latencyNanos(50)),
            ratio(r.latencyNanos(99), b.latencyNanos(99)), r.throughput() / b.throughput(),
            r.clientCpu() / b.clientCpu(), r.allocatedPerCall() - b.allocatedPerCall())));
      }
    }
  }

  private static double ratio(long a, long b) {
    return (double) a / Math.max(1, b);
  }

  private static String us(RowResult r, double percentile) {
    return String.format(Locale.ROOT, "%.1f", r.latencyNanos(percentile) / 1000.0);
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
