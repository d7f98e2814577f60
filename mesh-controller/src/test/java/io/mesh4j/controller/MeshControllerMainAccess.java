package io.mesh4j.controller;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the {@code mesh-controller} command line for tests in other packages. */
public final class MeshControllerMainAccess {

  private MeshControllerMainAccess() {}

  /** Runs {@code args} and returns what went to standard error; the command must fail with 2. */
  public static String errorOf(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = MeshControllerMain.commandLine().setErr(new PrintWriter(err));
    int status = cli.execute(args);
    if (status != 2) {
      throw new AssertionError("exit status " + status + ", expected 2; stderr: " + err);
    }
    return err.toString();
  }
}
