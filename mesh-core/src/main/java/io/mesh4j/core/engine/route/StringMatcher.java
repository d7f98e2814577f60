package io.mesh4j.core.engine.route;

import com.google.re2j.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One compiled exact, prefix or regular-expression match (the expression must match the whole
 * value). Immutable.
 *
 * <p>Expressions come from configuration and are applied to values the caller chose, so they
 * never backtrack: a backtracking engine lets one header like {@code aaa…ab} against {@code
 * (a+)+$} hold a thread for minutes. Most compile to a {@link RegexDfa}, which matches without
 * allocating at a few nanoseconds per character; the rest (flags, word boundaries, Unicode
 * classes, or an automaton over {@value #MAX_DFA_STATES} states) run on RE2/J, also linear in the
 * value. Values longer than {@code maxRegexInput} characters never match an expression, which
 * bounds the linear cost too.
 */
final class StringMatcher {

  private final @Nullable String exact;
  private final @Nullable String prefix;
  private final @Nullable Pattern regex;
  private final @Nullable RegexDfa dfa;
  private final int maxRegexInput;
  private final @Nullable String expression;

  /** Bounds an expression's automaton (and so its table) to a few kilobytes to tens of them. */
  static final int MAX_DFA_STATES = 128;

  private StringMatcher(
      @Nullable String exact, @Nullable String prefix, @Nullable String regex, int maxRegexInput) {
    this.exact = exact;
    this.prefix = prefix;
    // Compiled by RE2/J first in any case, so that an invalid expression fails the same way.
    Pattern compiled = regex == null ? null : Pattern.compile(regex);
    this.dfa = regex == null ? null : RegexDfa.compile(regex, MAX_DFA_STATES);
    this.regex = dfa == null ? compiled : null;
    this.maxRegexInput = maxRegexInput;
    this.expression = regex;
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
    return new StringMatcher(exact, prefix, regex, maxRegexInput);
  }

  /** The condition as messages write it: {@code exact 'v'}, {@code prefix 'v'} or {@code regex 'v'}. */
  String describe() {
    if (exact != null) {
      return "exact '" + exact + "'";
    }
    if (prefix != null) {
      return "prefix '" + prefix + "'";
    }
    return "regex '" + expression + "'";
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
    if (value.length() > maxRegexInput) {
      return false;
    }
    RegexDfa d = dfa;
    if (d != null) {
      return d.matches(value);
    }
    Pattern r = regex;
    return r != null && r.matches(value);
  }
}
