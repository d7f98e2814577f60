package io.mesh4j.core.engine.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.re2j.PatternSyntaxException;
import java.util.Objects;
import org.junit.jupiter.api.Test;

class StringMatcherTest {

  private static StringMatcher regex(String re, int maxInput) {
    return Objects.requireNonNull(StringMatcher.of(null, null, re, maxInput));
  }

  @Test
  void anExpressionInTheAutomatonSubsetMatchesTheWholeValue() {
    StringMatcher m = regex("user-[0-9]{1,8}", 100);

    assertThat(m.matches("user-4242")).isTrue();
    assertThat(m.matches("user-4242x")).isFalse();
    assertThat(m.matches("xuser-4242")).isFalse();
    assertThat(m.matches(null)).isFalse();
  }

  @Test
  void anExpressionOutsideTheSubsetRunsOnRe2j() {
    StringMatcher m = regex("(?i)user-\\d+", 100);

    assertThat(m.matches("USER-42")).isTrue();
    assertThat(m.matches("admin-42")).isFalse();
  }

  @Test
  void anAutomatonTooLargeForTheCapRunsOnRe2j() {
    // Needs 2^12 states as an automaton: far over the cap, so the engine falls back.
    StringMatcher m = regex("(a|b)*a(a|b){11}", 100);

    assertThat(m.matches("a" + "b".repeat(11))).isTrue();
    assertThat(m.matches("b".repeat(12))).isFalse();
  }

  @Test
  void valuesLongerThanTheCapNeverMatch() {
    StringMatcher m = regex("a+", 8);

    assertThat(m.matches("a".repeat(8))).isTrue();
    assertThat(m.matches("a".repeat(9))).isFalse();
  }

  @Test
  void anInvalidExpressionFailsAsRe2jFailsIt() {
    assertThatThrownBy(() -> StringMatcher.of(null, null, "a(b", 10))
        .isInstanceOf(PatternSyntaxException.class);
  }
}
