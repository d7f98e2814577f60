package io.mesh4j.cli;

import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicyReader;
import io.mesh4j.core.policy.PolicyResult;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.policy.ReadResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mesh4j validate PATH...}: reads every file given and every {@code *.yaml} / {@code *.yml}
 * file under every directory given, all together as one set (so references between files are
 * checked), with the reader and checks the controller and the directory source use, and prints
 * every problem with its file, resource and field path.
 */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Checks mesh4j policy files as the controller would.",
      "",
      "Run it before applying an edit: what it reports, the controller would refuse.",
      "",
      "Every file given, and every *.yaml / *.yml file under a directory given",
      "(recursively; hidden files and directories are skipped), is read as one set,",
      "so references between files are checked too. Prints one line per problem:",
      "file, resource, field path, what was expected and what was found.",
      "",
      "Exit status: 0 when valid, 1 when there is any problem, 2 for a wrong command line.",
      ""
    })
final class ValidateCommand implements Callable<Integer> {

  @Parameters(arity = "1..*", paramLabel = "PATH", description = "Policy files or directories.")
  List<Path> paths = new ArrayList<>();

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
      description = "text, or json or yaml: the problems as a list (default: ${DEFAULT-VALUE}).")
  Output output = Output.text;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    List<Path> files = files();
    PolicyResult result = PolicyResult.load(files);
    Map<String, Set<String>> filesOf = resourceFiles(files);
    PrintWriter out = spec.commandLine().getOut();
    if (output != Output.text) {
      List<Object> problems = new ArrayList<>();
      for (Problem p : result.problems()) {
        Map<String, @Nullable Object> o = new LinkedHashMap<>();
        o.put("file", fileOf(p, files, filesOf));
        o.put("resource", p.resource());
        o.put("path", p.path());
        o.put("expected", p.expected());
        o.put("actual", p.actual());
        o.put("message", p.message());
        problems.add(o);
      }
      out.print(output.write(problems));
    } else {
      for (Problem p : result.problems()) {
        String file = fileOf(p, files, filesOf);
        out.println(file == null || p.resource().startsWith(file) ? p.message() : file + ": " + p.message());
      }
      int resources = result.policies().map(s -> s.resources().size()).orElse(0);
      out.println(
          result.isValid()
              ? "valid: " + count(resources, "resource") + " in " + count(files.size(), "file")
              : count(result.problems().size(), "problem") + " in " + count(files.size(), "file") + " read");
    }
    out.flush();
    return result.isValid() ? 0 : 1;
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  /** The files to read: each file given, and the YAML under each directory, in name order. */
  private List<Path> files() {
    Set<Path> files = new LinkedHashSet<>();
    for (Path path : paths) {
      if (Files.isDirectory(path)) {
        List<Path> found;
        try (Stream<Path> walk = Files.walk(path)) {
          found =
              walk.filter(f -> Files.isRegularFile(f) && isPolicyFile(f) && !hidden(path, f))
                  .sorted()
                  .toList();
        } catch (IOException | UncheckedIOException e) {
          throw new ParameterException(spec.commandLine(), path + ": cannot be listed (" + e.getMessage() + ")");
        }
        if (found.isEmpty()) {
          throw new ParameterException(spec.commandLine(), path + ": no *.yaml or *.yml files in it");
        }
        files.addAll(found);
      } else if (Files.exists(path)) {
        files.add(path);
      } else {
        throw new ParameterException(spec.commandLine(), path + ": no such file or directory");
      }
    }
    return List.copyOf(files);
  }

  private static boolean isPolicyFile(Path file) {
    String name = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT);
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }

  /** Whether {@code file}, or a directory between {@code root} and it, is hidden (a dot name). */
  private static boolean hidden(Path root, Path file) {
    for (Path part : root.relativize(file)) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  /** For each resource, {@code Kind namespace/name}, the files that define it. */
  private static Map<String, Set<String>> resourceFiles(List<Path> files) {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    for (Path file : files) {
      ReadResult read = PolicyReader.read(file);
      for (MeshResource r : read.resources()) {
        out.computeIfAbsent(r.ref(), k -> new LinkedHashSet<>()).add(file.toString());
      }
      // A resource with a problem of its own is not among the resources, but names its problems.
      for (Problem p : read.problems()) {
        out.computeIfAbsent(p.resource(), k -> new LinkedHashSet<>()).add(file.toString());
      }
    }
    return out;
  }

  /** The file (or files) {@code p} is about, or null when it is about no file (the whole set). */
  private static @Nullable String fileOf(Problem p, List<Path> files, Map<String, Set<String>> filesOf) {
    for (Path file : files) {
      String name = file.toString();
      if (p.resource().equals(name) || p.resource().startsWith(name + " (")) {
        return name;
      }
    }
    Set<String> defined = filesOf.get(p.resource());
    return defined == null ? null : String.join(", ", defined);
  }
}
