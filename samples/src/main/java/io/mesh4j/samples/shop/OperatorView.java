package io.mesh4j.samples.shop;

import io.mesh4j.cli.Mesh4jCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/**
 * The operator's questions about the running shop, answered by the {@code mesh4j} command against
 * the shop's own controller: the commands as an operator types them, and what they printed.
 */
final class OperatorView {

  private OperatorView() {}

  /** Asks, and returns the commands with their output. */
  static String ask(Shop shop) {
    String controller = shop.controllerAdmin();
    StringBuilder view = new StringBuilder();
    view.append("The operator's questions, asked of this run's controller with the mesh4j command"
        + " (scripts/mesh4j runs it from a checkout):\n");
    question(view, "Did every application accept the last change?", List.of("status", "--controller", controller));
    question(view, "What routes does the frontend run, and does it hold what the controller sent?",
        List.of("config", "frontend", "routes", "--controller", controller));
    question(view, "Why does a catalog call go to v2?",
        List.of("explain", "frontend", "catalog.shop", "shop.Catalog/GetItem", "--controller", controller));
    return view.toString();
  }

  private static void question(StringBuilder view, String question, List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Mesh4jCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
    view.append('\n').append(question).append('\n');
    view.append("$ mesh4j ").append(String.join(" ", args)).append('\n');
    view.append(out);
    view.append(err);
    if (code != 0) {
      view.append("(exit status ").append(code).append(")\n");
    }
  }
}
