package io.mesh4j.core.engine.route;

import com.google.re2j.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One compiled exact, prefix or regular-expression match (the expression must match the whole
 * value). Immutable.
 *
 * <p>Expressions run on RE2/J, whose matching time is linear in the value, because they come from
 * configuration and are applied to values the caller chose: a backtracking engine lets one header
 * like {@code aaa…ab} against {@code (a+)+$} hold a thread for minutes. Values longer than {@code
 * maxRegexInput} characters never match an expression, which bounds the linear cost too.
 */
final class StringMatcher {

  private final @Nullable String exact;
  private final @Nullable String prefix;
  private final @Nullable Pattern regex;
  private final int maxRegexInput;

  private StringMatcher(
      @Nullable String exact, @Nullable String prefix, @Nullable Pattern regex, int maxRegexInput) {
    this.exact = exact;
    this.prefix = prefix;
    this.regex = regex;
    this.maxRegexInput = maxRegexInput;
  }

  /**
   * @param maxRegexInput the longest value, in characters, an expression is tested against
   * @throws com.google.re2j.PatternSyntaxException if {@code regex} is not a valid RE2 expression
   */
  static @Nullable StringMatcher of(
      @Nullable String exact, @Nullable String prefix, @Nullable String regex, int maxRegexInput) {
    if (exact == null && prefix == null && regex == null) {
      return null;
    }
    return new StringMatcher(
        exact, prefix, regex == null ? null : Pattern.compile(regex), maxRegexInput);
  }

  boolean matches(@Nullable String value) {
    if (value == null) {
      return false;
    }
    if (exact != null) {
      return exact.equals(value);
    }
    if (prefix != null) {
      return value.startsWith(prefix);
    }
    Pattern r = regex;
    return r != null && value.length() <= maxRegexInput && r.matches(value);
  }
}
