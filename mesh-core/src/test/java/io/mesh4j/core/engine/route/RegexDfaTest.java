package io.mesh4j.core.engine.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.re2j.Pattern;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The automaton against RE2/J, the reference it stands in for: every supported construct on a
 * seeded random corpus, mutations of matching values and hand-picked ones, surrogates included.
 */
class RegexDfaTest {

  private static final int MAX_STATES = 1024;

  /** Chars every corpus draws from besides the pattern's own: edges of the classes in use. */
  private static final String EXTRA =
      "aAbz09_-/. \t\n\r\f\u000B\u0007é\u00FF\u0100\u4E2D\uD83D\uDE00";

  private static final String EMOJI = "\uD83D\uDE00";

  static Stream<Arguments> supported() {
    return Stream.of(
        supported("user-[0-9]{1,8}", "user-4242", "user-1", "user-12345678"),
        supported("/orders/[0-9]+", "/orders/1", "/orders/007"),
        supported("/api/v[12]/(users|orders)/\\d+", "/api/v1/users/3", "/api/v2/orders/42"),
        supported("a|b|", "a", "b", ""),
        supported("(a|b)*abb", "abb", "aababb", "bbabb"),
        supported("[^/]+\\.json", "a.json", "x.y.json"),
        supported(".*", "", "anything", "a b"),
        supported("x{0}", ""),
        supported("(?:ab){2,3}c?", "abab", "abababc"),
        supported("[\\w-]+@[\\w.]+", "a-b@c.d", "_@."),
        supported("^abc$", "abc"),
        supported("a*?b", "b", "aaab"),
        supported("a+?b??c{2,}?", "acc", "aabccc"),
        supported("\\D\\W\\S", "a-b", "x y"),
        supported("[^\\d\\s]+", "abc", "-_/"),
        supported("[a-c-e]+", "a-e", "cb"),
        supported("[]a]+", "]a]"),
        supported("[^]a]", "b", "\n"),
        supported("[a-]x", "ax", "-x"),
        supported("[-a]x", "ax", "-x"),
        supported("[\\--/]+", "-./", "/"),
        supported("\\t\\n\\r\\f\\v\\a", "\t\n\r\f\u000B\u0007"),
        supported(
            "\\.\\\\\\-\\/\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\ \\_\\#", ".\\-/*+?()[]{}|^$ _#"),
        supported("()", ""),
        supported("(|a)b", "b", "ab"),
        supported("((a*)*)*b", "b", "aab"),
        supported("[.]", "."),
        supported("é+ü?", "é", "ééü"),
        supported("[à-ÿ]+", "àÿé"),
        supported("[^à-ÿ]+", "abc", "\u0100"),
        supported("a{3}", "aaa"),
        supported("a{2,}", "aa", "aaaa"),
        supported("(ab|a)(bc|c)", "abc", "abbc"),
        supported("[\\s\\S]*", "", "x\ny"),
        supported(".{2}", "ab", "a "),
        supported("[^a]", "b", "\n"),
        supported("a.b", "axb", "a.b"),
        supported("\\s*key\\s*=\\s*\\w+", "key=v", " key = v1"),
        supported("[[]", "["),
        supported("a]}", "a]}"),
        supported("$", ""),
        supported("^$", ""),
        supported("x*y*z*", "", "xyz", "zz"),
        supported("(a|ab)(c|bcd)(d*)", "abcd", "ac", "abcdd"),
        supported(".+\\.(js|css)", "app.js", "a.b.css"),
        supported("[^\\n]*", "", "abc"),
        supported("(?:a|b(?:c|d){1,2})+e", "ae", "bcde", "abdbce"));
  }

  private static Arguments supported(String regex, String... matching) {
    return Arguments.of(regex, List.of(matching));
  }

  @ParameterizedTest
  @MethodSource("supported")
  void agreesWithRe2j(String regex, List<String> matching) {
    RegexDfa dfa = RegexDfa.compile(regex, MAX_STATES);
    assertThat(dfa).as(regex).isNotNull();
    Pattern reference = Pattern.compile(regex);
    for (String value : matching) {
      assertThat(reference.matcher(value).matches()).as("%s on %s", regex, value).isTrue();
    }
    for (String value : corpus(regex, matching)) {
      assertThat(dfa.matches(value))
          .as("%s on \"%s\"", regex, value)
          .isEqualTo(reference.matcher(value).matches());
    }
  }

  /** 2,000 random strings over the pattern's chars and a few others, and edits of matches. */
  private static Set<String> corpus(String regex, List<String> matching) {
    Random random = new Random(42);
    String alphabet = regex + EXTRA;
    Set<String> corpus = new LinkedHashSet<>(matching);
    for (int i = 0; i < 2_000; i++) {
      StringBuilder s = new StringBuilder();
      int length = random.nextInt(21);
      for (int j = 0; j < length; j++) {
        s.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      corpus.add(s.toString());
    }
    for (String value : matching) {
      for (int i = 0; i < 200; i++) {
        StringBuilder s = new StringBuilder(value);
        for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
          int at = random.nextInt(s.length() + 1);
          char c = alphabet.charAt(random.nextInt(alphabet.length()));
          switch (random.nextInt(4)) {
            case 0 -> s.insert(at, c);
            case 1 -> s.insert(at, s.length() == 0 ? c : s.charAt(random.nextInt(s.length())));
            default -> {
              if (at < s.length()) {
                s.deleteCharAt(at);
              }
            }
          }
        }
        corpus.add(s.toString());
        corpus.add(value + value);
      }
    }
    return corpus;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "(?i)abc",
        "\\bfoo",
        "\\p{L}+",
        "\\pL",
        "a^b",
        "(a)\\1",
        "[[:alpha:]]",
        "\\Qa.b\\E",
        "(?P<name>a)",
        "(?s).",
        "\\x41",
        "\\z",
        "\\Aa",
        "\\C",
        "a$b",
        "(a$)",
        "$a",
        "(^a)",
        "a**",
        "a*+",
        "a{2}{3}",
        "a{,3}",
        "a{2,1}",
        "a{1001}",
        "a{",
        "(a",
        "a)",
        "*a",
        "[a",
        "[a-\\d]",
        "[z-a]",
        "a\\",
        EMOJI,
        "[" + EMOJI + "]",
        "\uD83D"
      })
  void refusesWhatItDoesNotSupport(String regex) {
    assertThat(RegexDfa.compile(regex, MAX_STATES)).isNull();
  }

  @Test
  void stopsAtTheStateCap() {
    // the DFA of "an a 20 chars before the end" needs 2^21 states: construction must stop early
    assertTimeoutPreemptively(
        Duration.ofSeconds(2),
        () -> assertThat(RegexDfa.compile("(a|b)*a(a|b){20}", 256)).isNull());
    RegexDfa small = RegexDfa.compile("(a|b)*a(a|b){3}", 256);
    assertThat(small).isNotNull();
    assertThat(small.stateCount()).isEqualTo(16);
    assertThat(small.matches("bbbabab")).isTrue();
    assertThat(small.matches("bbbbbab")).isFalse();
  }

  @Test
  void theCapCountsEveryState() {
    // "abc" takes four states: before a, before b, before c, done
    assertThat(RegexDfa.compile("abc", 4)).isNotNull();
    assertThat(RegexDfa.compile("abc", 3)).isNull();
  }

  @Test
  void hugeExpansionsAreRefusedQuickly() {
    assertTimeoutPreemptively(
        Duration.ofSeconds(2),
        () -> {
          assertThat(RegexDfa.compile("((a{100}){100}){100}", 1 << 20)).isNull();
          assertThat(RegexDfa.compile("((((){1000}){1000}){1000}){1000}", 1 << 20)).isNull();
          assertThat(RegexDfa.compile("(?:[a-z]{1000}){11}", 1 << 20)).isNull();
        });
  }

  @Test
  void matchingTimeIsLinearInTheInput() {
    // the shapes that take a backtracking engine exponential time
    RegexDfa nested = RegexDfa.compile("((a+)+)+x", MAX_STATES);
    RegexDfa anchored = RegexDfa.compile("(a+)+$", MAX_STATES);
    String value = "a".repeat(100_000) + "!";
    assertTimeoutPreemptively(
        Duration.ofSeconds(2),
        () -> {
          assertThat(nested.matches(value)).isFalse();
          assertThat(anchored.matches(value)).isFalse();
          assertThat(anchored.matches(value.substring(1).replace('!', 'a'))).isTrue();
        });
  }

  @Test
  void aPatternThatMatchesNothingNeverMatches() {
    RegexDfa none = RegexDfa.compile("[^\\d\\D]", MAX_STATES);
    assertThat(none).isNotNull();
    assertThat(none.matches("")).isFalse();
    assertThat(none.matches("a")).isFalse();
    assertThat(none.matches(EMOJI)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {".", "[^a]", "a.b", "..", ".*", "\\D", "\\W+", "[^a]+", "a", "[a-z]*"})
  void surrogatePairsCountAsOneCodePointLikeInRe2j(String regex) {
    RegexDfa dfa = RegexDfa.compile(regex, MAX_STATES);
    assertThat(dfa).isNotNull();
    Pattern reference = Pattern.compile(regex);
    List<String> values =
        List.of(
            EMOJI,
            "a" + EMOJI + "b",
            EMOJI + EMOJI,
            "\uD83D",
            "\uDE00",
            "a\uD83Db",
            "\uDE00\uD83D",
            "x\uD83D",
            "\uD83D" + EMOJI,
            EMOJI + "\uDE00",
            "ab",
            "b");
    for (String value : values) {
      assertThat(dfa.matches(value))
          .as("%s on %s", regex, value)
          .isEqualTo(reference.matcher(value).matches());
    }
  }

  @Test
  void anEmojiIsOneCharForDot() {
    assertThat(RegexDfa.compile(".", MAX_STATES).matches(EMOJI)).isTrue();
    assertThat(RegexDfa.compile("..", MAX_STATES).matches(EMOJI)).isFalse();
    assertThat(RegexDfa.compile("[^a]", MAX_STATES).matches(EMOJI)).isTrue();
    assertThat(RegexDfa.compile("a.b", MAX_STATES).matches("a" + EMOJI + "b")).isTrue();
  }

  @Test
  void matchesAnyCharSequence() {
    RegexDfa dfa = RegexDfa.compile("user-[0-9]{1,8}", MAX_STATES);
    assertThat(dfa.matches(new StringBuilder("user-4242"))).isTrue();
    assertThat(dfa.matches(new StringBuilder("user-"))).isFalse();
  }

  @Test
  void allocatesNothingPerMatch() {
    RegexDfa dfa = RegexDfa.compile("user-[0-9]{1,8}", MAX_STATES);
    RegexDfa wide = RegexDfa.compile("[^à-ÿ]+.", MAX_STATES);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    List<String> values = new ArrayList<>(List.of("user-4242", "user-x", "ab\u4E2D" + EMOJI));
    int hits = 0;
    for (int round = 0; round < 3; round++) {
      long before = threads.getThreadAllocatedBytes(id);
      for (int i = 0; i < 100_000; i++) {
        String value = values.get(i % values.size());
        hits += dfa.matches(value) ? 1 : 0;
        hits += wide.matches(value) ? 1 : 0;
      }
      long allocated = threads.getThreadAllocatedBytes(id) - before;
      if (round == 2) {
        // slack for the measurement itself: a single object per match would be 3.2 MB
        assertThat(allocated).isLessThan(20_000);
      }
    }
    assertThat(hits).isPositive();
  }
}
