package io.mesh4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile YAML, each case with the exact refusal it must produce. The point of most cases is that
 * the refusal comes before the work: every read here finishes far inside its bound, which is only
 * there so that a regression fails instead of hanging the build.
 */
class YamlAttackTest {

  /** Generous: each of these reads takes milliseconds once bounded; unbounded, they take minutes. */
  private static final Duration DOES_NOT_HANG = Duration.ofSeconds(5);

  private static final String HEADER = "apiVersion: mesh4j.io/v1alpha1\nkind: MeshConfig\nmetadata: {name: mesh}\n";

  @TempDir Path dir;

  private static List<String> read(String yaml) {
    return messages(() -> PolicyReader.read(yaml));
  }

  private static List<String> messages(Supplier<ReadResult> read) {
    ReadResult result = assertTimeoutPreemptively(DOES_NOT_HANG, read::get);
    assertThat(result.resources()).isEmpty();
    return result.problems().stream().map(Problem::message).toList();
  }

  /** Level 0 is a pair of scalars; each further level is a pair of aliases of the one before. */
  private static String doublingBomb(int levels) {
    StringBuilder yaml = new StringBuilder(HEADER).append("x0: &x0 [lol, lol]\n");
    for (int i = 1; i < levels; i++) {
      yaml.append("x").append(i).append(": &x").append(i).append(" [*x").append(i - 1).append(", *x").append(i - 1).append("]\n");
    }
    return yaml.append("spec: {tracing: *x").append(levels - 1).append("}\n").toString();
  }

  @Test
  void the691ByteAliasBombIsRefusedByTheNodeLimit() {
    String bomb = doublingBomb(20);
    bomb = bomb + "#".repeat(690 - bomb.length()) + "\n";
    assertThat(bomb.getBytes(StandardCharsets.UTF_8)).hasSize(691);
    assertThat(bomb.split("\\*", -1)).hasSizeLessThanOrEqualTo(PolicyReader.MAX_ALIASES + 1);

    // x17 (line 21) repeats x16 (line 20) twice; defining x0..x16 spent 786,295 nodes already.
    assertThat(read(bomb))
        .containsExactly(
            "input (document 1): YAML at line 21, column 6: must have at most 1000000 nodes once aliases are expanded,"
                + " got 1048581 with the alias of the node at line 20, column 6 (262143 nodes)");
  }

  @Test
  void deeperBombWithTheMostAliasesAllowedIsRefusedJustTheSame() {
    String bomb = doublingBomb(25);
    assertThat(bomb.split("\\*", -1)).hasSize(PolicyReader.MAX_ALIASES);

    // Refused at the same place as the shallower bomb: the levels past it are never visited.
    assertThat(read(bomb))
        .containsExactly(
            "input (document 1): YAML at line 21, column 6: must have at most 1000000 nodes once aliases are expanded,"
                + " got 1048581 with the alias of the node at line 20, column 6 (262143 nodes)");
  }

  @Test
  void wideAliasFanOutUnderTheAliasCountIsRefusedByTheNodeLimit() {
    // Five levels of ten aliases each: 50 aliases, 10^6 scalars at the last level.
    StringBuilder yaml = new StringBuilder(HEADER).append("w0: &w0 [").append(String.join(", ", java.util.Collections.nCopies(10, "a"))).append("]\n");
    for (int i = 1; i <= 5; i++) {
      yaml.append("w").append(i).append(": &w").append(i).append(" [").append(String.join(", ", java.util.Collections.nCopies(10, "*w" + (i - 1)))).append("]\n");
    }
    assertThat(read(yaml.toString()))
        .containsExactly(
            "input (document 1): YAML at line 9, column 5: must have at most 1000000 nodes once aliases are expanded,"
                + " got 1012359 with the alias of the node at line 8, column 5 (111111 nodes)");
  }

  @Test
  void oneAliasMoreThanTheCountIsRefusedWithItsPosition() {
    StringBuilder yaml = new StringBuilder(HEADER).append("a: &a [x]\nb: [");
    yaml.append(String.join(", ", java.util.Collections.nCopies(PolicyReader.MAX_ALIASES + 1, "*a"))).append("]\n");
    assertThat(read(yaml.toString()))
        .containsExactly("input (document 1): YAML at line 5, column 208: must use at most 50 aliases of mappings or sequences");
  }

  @Test
  void mergeKeyBombIsRefusedByTheNodeLimit() {
    // Each level merges the one before and adds a key holding it twice: three aliases a level,
    // and the merged keys carry every earlier level's values along.
    StringBuilder yaml = new StringBuilder(HEADER).append("m0: &m0 {k0: [a, b]}\n");
    for (int i = 1; i <= 16; i++) {
      String prev = "*m" + (i - 1);
      yaml.append("m").append(i).append(": &m").append(i).append(" {<<: ").append(prev).append(", k").append(i)
          .append(": [").append(prev).append(", ").append(prev).append("]}\n");
    }
    assertThat(read(yaml.toString()))
        .containsExactly(
            "input (document 1): YAML at line 15, column 27: must have at most 1000000 nodes once aliases are expanded,"
                + " got 1343366 with the alias of the node at line 14, column 6 (383817 nodes)");
  }

  @Test
  void selfReferencesAreRefusedNotFollowed() {
    assertThat(read("&a [*a]\n"))
        .containsExactly(
            "input (document 1): malformed YAML at line 1, column 1: an alias must not refer to a node that contains it,"
                + " got an alias of the node at line 1, column 1");
    assertThat(read(HEADER + "spec: &loop {tracing: {sampler: *loop}}\n"))
        .containsExactly(
            "input (document 1): malformed YAML at line 4, column 23: an alias must not refer to a node that contains it,"
                + " got an alias of the node at line 4, column 7");
    // A mapping that merges itself: SnakeYAML's own merging never returned from this one.
    assertThat(read("&m {<<: *m, k: v}\n"))
        .containsExactly(
            "input (document 1): malformed YAML at line 1, column 1: an alias must not refer to a node that contains it,"
                + " got an alias of the node at line 1, column 1");
    assertThat(read("&k {*k: v}\n")).hasSize(1).allMatch(p -> p.startsWith("input (document 1): malformed YAML at line 1, column "));
  }

  @Test
  void tenThousandOpeningBracketsAreRefusedAtTheDepthLimit() {
    assertThat(read("[".repeat(10_000)))
        .containsExactly("input (document 1): YAML at line 1, column 1091: must nest at most 64 levels deep");
  }

  @Test
  void nestingUpToTheLimitIsReadAndOneLevelMoreIsNot() {
    int max = PolicyReader.MAX_DEPTH;
    String atLimit = HEADER + "spec: {tracing: " + "[".repeat(max - 2) + "]".repeat(max - 2) + "}\n";
    String overLimit = HEADER + "spec: {tracing: " + "[".repeat(max - 1) + "]".repeat(max - 1) + "}\n";
    assertThat(read(atLimit)).containsExactly("MeshConfig default/mesh: spec.tracing: must be a mapping, got a list");
    assertThat(read(overLimit))
        .containsExactly("input (document 1): YAML at line 4, column 79: must nest at most 64 levels deep, got 65 levels");
  }

  @Test
  void aliasThatWouldNestPastTheLimitWhereItIsUsedIsRefused() {
    String deep = "[".repeat(40) + "]".repeat(40);
    String use = "[".repeat(30) + "*d" + "]".repeat(30);
    assertThat(read(HEADER + "d: &d " + deep + "\nspec: {tracing: " + use + "}\n"))
        .containsExactly(
            "input (document 1): YAML at line 5, column 46: must nest at most 64 levels deep,"
                + " got 72 levels with the alias of the node at line 4, column 4");
  }

  @Test
  void fiveMegabyteFileIsRefusedBySizeBeforeItIsParsed() throws IOException {
    Path file = dir.resolve("big.yaml");
    // A bomb repeated past the limit: parsing any of it would be refused differently.
    byte[] bomb = doublingBomb(25).getBytes(StandardCharsets.UTF_8);
    try (var out = Files.newOutputStream(file)) {
      for (long written = 0; written < 5_000_000; written += bomb.length) {
        out.write(bomb);
        out.write("---\n".getBytes(StandardCharsets.UTF_8));
      }
    }
    assertThat(messages(() -> PolicyReader.read(file)))
        .containsExactly("big.yaml: must be at most 1048576 bytes, got " + Files.size(file) + " bytes");
  }

  @Test
  void fileOfFiveGibibytesIsRefusedWithoutReadingIt() throws IOException {
    // Sparse, so it costs no disk; reading it into memory could not even be attempted.
    Path file = dir.resolve("huge.yaml");
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(5L << 30);
    }
    assertThat(messages(() -> PolicyReader.read(file)))
        .containsExactly("huge.yaml: must be at most 1048576 bytes, got 5368709120 bytes");
  }

  @Test
  void endlessStreamIsReadNoFurtherThanOneBytePastTheLimit() throws IOException {
    byte[] chunk = new byte[64 * 1024];
    Arrays.fill(chunk, (byte) 'a');
    long[] read = new long[1];
    InputStream endless =
        new FilterInputStream(InputStream.nullInputStream()) {
          @Override
          public int read() {
            read[0]++;
            return 'a';
          }

          @Override
          public int read(byte[] b, int off, int len) {
            int n = Math.min(len, chunk.length);
            System.arraycopy(chunk, 0, b, off, n);
            read[0] += n;
            return n;
          }
        };
    PolicyReader.Reading reading = new PolicyReader.Reading();
    PolicyReader.readStream("endless.yaml", endless, reading, YamlTree.Budget.standard());
    assertThat(reading.problems).extracting(Problem::message)
        .containsExactly("endless.yaml: must be at most 1048576 bytes, got more");
    assertThat(read[0]).isEqualTo(PolicyReader.MAX_FILE_BYTES + 1);
  }

  @Test
  void directoryHoldingMoreThanItsLimitIsRefusedBySizesAlone() throws IOException {
    for (int i = 0; i < 9; i++) {
      try (RandomAccessFile f = new RandomAccessFile(dir.resolve("f" + i + ".yaml").toFile(), "rw")) {
        f.setLength(PolicyReader.MAX_FILE_BYTES);
      }
    }
    assertThat(messages(() -> PolicyReader.read(dir)))
        .containsExactly(dir + ": must hold at most 8388608 bytes of YAML in all, got 9437184 bytes in 9 files");
  }

  @Test
  void hugeSingleScalarIsRefusedByLengthBeforeParsing() {
    String yaml = HEADER + "spec: {trustDomain: " + "a".repeat(2 * PolicyReader.MAX_FILE_BYTES) + "}\n";
    assertThat(read(yaml)).containsExactly("input: must be at most 1048576 characters, got " + yaml.length() + " characters");
  }

  @Test
  void largeScalarUnderTheLimitIsReadAndJudgedByItsField() {
    String domain = "a".repeat(PolicyReader.MAX_FILE_BYTES - 200);
    ReadResult result =
        assertTimeoutPreemptively(DOES_NOT_HANG, () -> PolicyReader.read(HEADER + "spec: {trustDomain: " + domain + "}\n"));
    assertThat(result.problems()).isEmpty();
    assertThat(((MeshConfig) result.resources().get(0)).spec().trustDomain()).isEqualTo(domain);
  }

  @Test
  void manyDocumentsStopAtTheDocumentLimit() {
    List<String> problems = read("--- x\n".repeat(PolicyReader.MAX_DOCUMENTS + 5));
    assertThat(problems).hasSize(PolicyReader.MAX_DOCUMENTS + 1);
    assertThat(problems.get(0))
        .isEqualTo("input (document 1): must be a mapping with apiVersion, kind, metadata and spec, got x");
    assertThat(problems.get(PolicyReader.MAX_DOCUMENTS))
        .isEqualTo("input (document 10001): YAML at line 10001, column 5: must have at most 10000 non-empty documents per read");
  }

  @Test
  void emptyDocumentsCostNothingButTheirBytes() {
    ReadResult result = assertTimeoutPreemptively(DOES_NOT_HANG, () -> PolicyReader.read("---\n".repeat(200_000)));
    assertThat(result.problems()).isEmpty();
  }

  @Test
  void nonUtf8BytesAreRefusedWithTheirOffset() throws IOException {
    Path file = dir.resolve("latin1.yaml");
    byte[] text = (HEADER + "spec: {trustDomain: caf\u00e9}\n").getBytes(StandardCharsets.ISO_8859_1);
    Files.write(file, text);
    assertThat(messages(() -> PolicyReader.read(file))).containsExactly("latin1.yaml: must be UTF-8 text, got byte 0xE9 at offset 94");
  }

  @Test
  void tabsAndGarbageAreMalformedYamlWithAPosition() {
    assertThat(read("\t\tkind: MeshConfig\n"))
        .containsExactly(
            "input (document 1): malformed YAML at line 1, column 1: found character '\\t(TAB)' that cannot start any token."
                + " (Do not use \\t(TAB) for indentation)");
    assertThat(read("}{][:::\u0000\u0007"))
        .containsExactly("input (document 1): malformed YAML at line 1, column 1: special characters are not allowed");
  }

  @Test
  void nodeBudgetIsSharedByEveryFileOfADirectory() throws IOException {
    // Each file alone stays under the node limit; together they do not.
    String half = doublingBomb(17);
    Files.writeString(dir.resolve("a.yaml"), half);
    Files.writeString(dir.resolve("b.yaml"), half);
    List<String> problems = messages(() -> PolicyReader.read(dir));
    assertThat(problems.subList(0, problems.size() - 1)).noneMatch(p -> p.contains("nodes"));
    assertThat(problems.get(problems.size() - 1))
        .isEqualTo(
            "b.yaml (document 1): YAML at line 19, column 6: must have at most 1000000 nodes once aliases are expanded,"
                + " got 1048588 with the alias of the node at line 18, column 6 (65535 nodes)");
  }
}
