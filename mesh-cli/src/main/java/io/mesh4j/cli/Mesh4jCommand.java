package io.mesh4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code mesh4j} command. Exit status: 0 when all is well, 1 when the answer is bad news
 * (invalid policy, an unreachable controller), 2 for a wrong command line.
 */
@Command(
    name = "mesh4j",
    mixinStandardHelpOptions = true,
    versionProvider = Mesh4jCommand.Version.class,
    description = {"Operates a mesh4j mesh.", ""},
    subcommands = {ValidateCommand.class, StatusCommand.class, ConfigCommand.class, ExplainCommand.class})
public final class Mesh4jCommand implements Runnable {

  @Spec CommandSpec spec;

  /** Runs the command line; exits with its status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /**
   * Runs one command line in this JVM, printing to {@code out} and {@code err} instead of the
   * console; for programs that show an operator's view of a mesh they run (such as the demo).
   *
   * @return the exit status the command would have
   */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = commandLine();
    cl.setOut(out);
    cl.setErr(err);
    return cl.execute(args);
  }

  /** The command line with its subcommands. */
  static CommandLine commandLine() {
    return new CommandLine(new Mesh4jCommand());
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing required subcommand: validate, status, config or explain");
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Mesh4jCommand.class.getPackage().getImplementationVersion();
      return new String[] {"mesh4j " + (v == null ? "(development build)" : v)};
    }
  }
}
