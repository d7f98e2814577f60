package io.mesh4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.mesh4j.core.source.ApplyResult;
import io.mesh4j.core.source.ConfigSource;
import io.mesh4j.core.source.StaticConfigSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Whatever text it gets, the reader answers with resources or with problems, never with another
 * exception, within a bound per input; and a refused input leaves a source's good policy as it
 * was. Seeds are fixed so a failure reproduces; the tries keep the whole class to a few seconds.
 */
class YamlReaderFuzzTest {

  /** Per input; a bounded read takes milliseconds, so only a hang or a blow-up comes near it. */
  private static final Duration PER_INPUT = Duration.ofSeconds(2);

  private static final String HEADER = "apiVersion: mesh4j.io/v1alpha1\nkind: MeshConfig\nmetadata: {name: mesh}\n";

  private static final String GOOD = HEADER + "spec: {mtls: STRICT}\n";

  private static final List<String> SAMPLES = samples();

  /** Pieces of YAML syntax that mutations insert; each can turn a valid document into a hostile one. */
  private static final List<String> TOKENS =
      List.of(
          "&a ", "*a", "&b [*a, *a, *a]", "<<: *a\n", "<<: [*a, *b]\n", "[", "]", "{", "}", ": ", "- ", "\t", "---\n",
          "...\n", "'", "\"", "!!str ", "!!binary ", "!!javax.script.ScriptEngineManager ", "? ", "|\n", ">-\n", "#",
          "%YAML 1.1\n", "\\u0000", "\uFEFF", "\u00e9", "\uD83D\uDE00", "\n", "  ", ",", "~", "null", "0x1F", ".inf");

  private static List<String> samples() {
    Path valid = Path.of("src/test/resources/valid");
    try (Stream<Path> files = Files.walk(valid)) {
      List<String> out = new ArrayList<>();
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        out.add(Files.readString(f, StandardCharsets.UTF_8));
      }
      out.add(GOOD);
      return List.copyOf(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Property(tries = 400, seed = "4242", afterFailure = AfterFailureMode.SAMPLE_ONLY)
  void arbitraryTextIsReadOrRefused(@ForAll("text") String yaml) {
    checkBoundedAndHarmless(yaml);
  }

  @Property(tries = 500, seed = "4243", afterFailure = AfterFailureMode.SAMPLE_ONLY)
  void mutatedValidDocumentsAreReadOrRefused(@ForAll("mutated") String yaml) {
    checkBoundedAndHarmless(yaml);
  }

  @Property(tries = 1000, seed = "4244", afterFailure = AfterFailureMode.SAMPLE_ONLY)
  void nestedAnchorsAndAliasesAreReadOrRefused(@ForAll("anchored") String yaml) {
    checkBoundedAndHarmless(yaml);
  }

  @Provide
  Arbitrary<String> text() {
    Arbitrary<String> yamlish = Arbitraries.strings().withChars("abc:-[]{}&*!|>'\"#%@`,?<= \t\n\r\\0123").ofMaxLength(300);
    Arbitrary<String> anything = Arbitraries.strings().all().ofMaxLength(200);
    Arbitrary<String> tokens = Arbitraries.of(TOKENS).list().ofMaxSize(60).map(l -> String.join("", l));
    return Arbitraries.oneOf(yamlish, anything, tokens);
  }

  @Provide
  Arbitrary<String> mutated() {
    Arbitrary<String> sample = Arbitraries.of(SAMPLES);
    Arbitrary<List<long[]>> edits =
        Combinators.combine(
                Arbitraries.integers().between(0, 3),
                Arbitraries.doubles().between(0, 1),
                Arbitraries.doubles().between(0, 1),
                Arbitraries.integers().between(0, TOKENS.size() - 1))
            .as((op, at, to, token) -> new long[] {op, Double.doubleToLongBits(at), Double.doubleToLongBits(to), token})
            .list()
            .ofMinSize(1)
            .ofMaxSize(8);
    return Combinators.combine(sample, edits).as(YamlReaderFuzzTest::mutate);
  }

  private static String mutate(String sample, List<long[]> edits) {
    StringBuilder text = new StringBuilder(sample);
    for (long[] edit : edits) {
      int at = (int) (Double.longBitsToDouble(edit[1]) * text.length());
      int to = Math.min(text.length(), at + (int) (Double.longBitsToDouble(edit[2]) * 40));
      switch ((int) edit[0]) {
        case 0 -> text.insert(at, TOKENS.get((int) edit[3]));
        case 1 -> text.delete(at, to);
        case 2 -> text.insert(to, text.substring(at, to));
        default -> text.replace(at, to, TOKENS.get((int) edit[3]));
      }
    }
    return text.toString();
  }

  /**
   * Flow-style trees in which collections carry anchors and later nodes refer back to any anchor
   * defined so far, including one still open (a self-reference); sometimes as a mesh4j spec.
   */
  @Provide
  Arbitrary<String> anchored() {
    return Arbitraries.randomValue(
        random -> {
          List<String> anchors = new ArrayList<>();
          StringBuilder out = new StringBuilder();
          if (random.nextBoolean()) {
            // Siblings defined first, so that later ones can fan out over earlier ones.
            int defs = 1 + random.nextInt(30);
            for (int i = 0; i < defs; i++) {
              out.append("d").append(i).append(": ");
              node(random, 0, anchors, out);
              out.append('\n');
            }
            out.append(HEADER).append("spec: ");
          }
          node(random, 0, anchors, out);
          return out.append('\n').toString();
        });
  }

  private static void node(Random random, int depth, List<String> anchors, StringBuilder out) {
    int kind = random.nextInt(depth > 6 ? 2 : 5);
    if (kind == 0 || (kind == 1 && anchors.isEmpty())) {
      out.append(random.nextBoolean() ? "x" : "'" + random.nextInt(100) + "'");
      return;
    }
    if (kind == 1) {
      out.append('*').append(anchors.get(random.nextInt(anchors.size())));
      return;
    }
    if (random.nextInt(3) > 0) {
      String anchor = "a" + anchors.size();
      anchors.add(anchor);
      out.append('&').append(anchor).append(' ');
    }
    int size = random.nextInt(6);
    boolean mapping = kind == 3;
    out.append(mapping ? '{' : '[');
    for (int i = 0; i < size; i++) {
      if (i > 0) {
        out.append(", ");
      }
      if (mapping) {
        if (!anchors.isEmpty() && random.nextInt(5) == 0) {
          out.append("<<: *").append(anchors.get(random.nextInt(anchors.size())));
          continue;
        }
        out.append('k').append(i).append(": ");
      }
      node(random, depth + 1, anchors, out);
    }
    out.append(mapping ? '}' : ']');
  }

  private static void checkBoundedAndHarmless(String yaml) {
    ReadResult read = assertTimeoutPreemptively(PER_INPUT, () -> PolicyReader.read(yaml));
    if (read.isClean()) {
      assertThat(read.resources()).doesNotContainNull();
    } else {
      assertThat(read.problems())
          .allSatisfy(
              p -> {
                assertThat(p.resource()).isNotBlank();
                assertThat(p.expected()).isNotBlank();
              });
    }

    Recording listener = new Recording();
    try (StaticConfigSource source = StaticConfigSource.parse(GOOD)) {
      source.start(listener);
      PolicySet before = listener.updates.get(0);
      ApplyResult pushed = assertTimeoutPreemptively(PER_INPUT, () -> source.push(yaml));
      if (pushed.applied()) {
        assertThat(listener.updates).hasSize(2);
        assertThat(listener.rejections).isEmpty();
      } else {
        assertThat(listener.updates).containsExactly(before);
        assertThat(listener.rejections).singleElement().isEqualTo(pushed.problems());
      }
    }
  }

  private static final class Recording implements ConfigSource.Listener {
    final List<PolicySet> updates = new CopyOnWriteArrayList<>();
    final List<List<Problem>> rejections = new CopyOnWriteArrayList<>();

    @Override
    public ApplyResult onUpdate(PolicySet policies) {
      updates.add(policies);
      return ApplyResult.accepted();
    }

    @Override
    public void onRejected(List<Problem> problems) {
      rejections.add(List.copyOf(problems));
    }
  }
}
