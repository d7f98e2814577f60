package io.mesh4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every file in {@code src/test/resources/invalid/} is a refused input; its sibling {@code
 * .expected} file lists, one per line and in order, every message it must produce. A case passes
 * only if exactly those messages are reported, so a check that starts reporting more (or less)
 * than intended fails here.
 */
class InvalidCorpusTest {

  static Stream<Path> cases() throws IOException {
    try (Stream<Path> files = Files.list(PolicySetTest.resource("invalid"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void invalidInputReportsExactlyTheExpectedProblems(Path file) throws IOException {
    String name = file.getFileName().toString();
    Path expectedFile = file.resolveSibling(name.replaceAll("\\.yaml$", ".expected"));
    List<String> expected =
        Files.readAllLines(expectedFile, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();

    PolicyResult result = PolicyResult.load(file);

    assertThat(result.isValid()).as("%s must be refused", name).isFalse();
    assertThat(result.problems()).extracting(Problem::message).containsExactlyElementsOf(expected);
  }

  @Test
  void corpusHasAtLeastThirtyCases() throws IOException {
    assertThat(cases()).hasSizeGreaterThanOrEqualTo(30);
  }
}
