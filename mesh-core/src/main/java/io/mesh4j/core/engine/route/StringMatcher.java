package io.mesh4j.core.engine.route;

import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One compiled exact, prefix or regular-expression match (the expression must match the whole
 * value). Immutable.
 */
final class StringMatcher {

  private final @Nullable String exact;
  private final @Nullable String prefix;
  private final @Nullable Pattern regex;

  private StringMatcher(@Nullable String exact, @Nullable String prefix, @Nullable Pattern regex) {
    this.exact = exact;
    this.prefix = prefix;
    this.regex = regex;
  }

  /**
   * @throws java.util.regex.PatternSyntaxException if {@code regex} is not a valid expression
   */
  static @Nullable StringMatcher of(
      @Nullable String exact, @Nullable String prefix, @Nullable String regex) {
    if (exact == null && prefix == null && regex == null) {
      return null;
    }
    return new StringMatcher(exact, prefix, regex == null ? null : Pattern.compile(regex));
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
    return r != null && r.matcher(value).matches();
  }
}
