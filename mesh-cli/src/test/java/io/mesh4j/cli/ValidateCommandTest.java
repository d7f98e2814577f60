package io.mesh4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(30)
class ValidateCommandTest {

  /** mesh-core's corpus of refused input, each with the messages it must produce. */
  private static final Path CORPUS = Path.of("..", "mesh-core", "src", "test", "resources", "invalid");
  private static final Path SAMPLES = Path.of("..", "samples", "mesh");

  static Stream<Path> corpus() throws IOException {
    try (Stream<Path> files = Files.list(CORPUS)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void everyFileOfTheInvalidCorpusPrintsItsExpectedProblemsWithTheFileAndExitsOne(Path file) throws IOException {
    String name = file.getFileName().toString();
    List<String> expected =
        Files.readAllLines(file.resolveSibling(name.replaceAll("\\.yaml$", ".expected")), StandardCharsets.UTF_8).stream()
            .filter(l -> !l.isBlank())
            .toList();

    Run run = Run.of("validate", file.toString());

    assertThat(run.exitCode()).as(run.out()).isEqualTo(1);
    List<String> lines = run.lines();
    assertThat(lines).as(run.out()).hasSize(expected.size() + 1);
    for (int i = 0; i < expected.size(); i++) {
      // Each line names the file, then the resource and field path as the controller reports them.
      assertThat(lines.get(i)).startsWith(file.toString()).endsWith(expected.get(i));
    }
    assertThat(lines.get(expected.size())).isEqualTo(expected.size() + (expected.size() == 1 ? " problem" : " problems") + " in 1 file read");
  }

  @Test
  void theSampleMeshIsValid() throws IOException {
    Run run = Run.of(Stream.concat(Stream.of("validate"), baseFiles().stream()).toArray(String[]::new));

    assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    assertThat(run.lines()).singleElement().asString().startsWith("valid: ").endsWith(" in " + baseFiles().size() + " files");
  }

  @Test
  void theSampleMeshWithItsGatewayApiVariantIsValid() throws IOException {
    // The variant's catalog.yaml takes the place of the base one, as the demo copies it.
    List<String> args = new ArrayList<>(List.of("validate"));
    baseFiles().stream().filter(f -> !f.endsWith("catalog.yaml")).forEach(args::add);
    args.add(SAMPLES.resolve("gateway-api").resolve("catalog.yaml").toString());

    Run run = Run.of(args.toArray(String[]::new));

    assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
  }

  @Test
  void filesAreValidatedTogetherSoAConflictBetweenTwoFilesIsFoundAndNamesItsFile(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("a.yaml"), route("catalog-a"));
    Files.createDirectories(dir.resolve("team"));
    Files.writeString(dir.resolve("team").resolve("b.yml"), route("catalog-b"));
    Files.writeString(dir.resolve("notes.txt"), "not policy");

    Run run = Run.of("validate", dir.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.lines())
        .containsExactly(
            dir.resolve("team").resolve("b.yml") + ": TrafficRoute shop/catalog-b: spec.destination: must not be the"
                + " destination of another TrafficRoute (TrafficRoute shop/catalog-a), got catalog.shop",
            "1 problem in 2 files read");
  }

  @Test
  void eachFileOnItsOwnIsValid(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("a.yaml"), route("catalog-a"));

    Run run = Run.of("validate", dir.resolve("a.yaml").toString());

    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).isEqualTo("valid: 1 resource in 1 file" + System.lineSeparator());
  }

  @Test
  void jsonOutputIsAnArrayOfProblems() {
    Path file = CORPUS.resolve("08-negative-weight.yaml");

    Run run = Run.of("validate", "-o", "json", file.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out().strip())
        .isEqualTo(
            "[{\"file\":\"" + file.toString().replace("\\", "\\\\") + "\",\"resource\":\"TrafficRoute shop/catalog\","
                + "\"path\":\"spec.rules[1].backends[0].weight\",\"expected\":\"must be >= 0\",\"actual\":\"-5\","
                + "\"message\":\"TrafficRoute shop/catalog: spec.rules[1].backends[0].weight: must be >= 0, got -5\"}]");
  }

  @Test
  void yamlOutputIsTheSameListInYaml() {
    Path file = CORPUS.resolve("08-negative-weight.yaml");

    Run run = Run.of("validate", "-o", "yaml", file.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out())
        .startsWith("- file: " + file)
        .contains(
            "\n  resource: TrafficRoute shop/catalog\n",
            "\n  path: spec.rules[1].backends[0].weight\n",
            "\n  actual: '-5'\n");
  }

  @Test
  void aPathThatDoesNotExistIsAUsageError(@TempDir Path dir) {
    Run run = Run.of("validate", dir.resolve("missing.yaml").toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("missing.yaml: no such file or directory");
  }

  @Test
  void noPathIsAUsageError() {
    assertThat(Run.of("validate").exitCode()).isEqualTo(2);
  }

  private static List<String> baseFiles() throws IOException {
    try (Stream<Path> files = Files.list(SAMPLES)) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().map(Path::toString).toList();
    }
  }

  private static String route(String name) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: %s, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends:
                - {weight: 100}
        """
        .formatted(name);
  }
}
