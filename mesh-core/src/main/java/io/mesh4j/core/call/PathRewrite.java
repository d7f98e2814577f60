package io.mesh4j.core.call;

import org.jspecify.annotations.Nullable;

/**
 * How a rule changes an HTTP path (Gateway API's {@code ReplaceFullPath} and {@code
 * ReplacePrefixMatch}): the whole path, or its leading path elements {@code prefix}. Immutable.
 *
 * @param fullPath replaces the whole path, or null
 * @param prefix the leading elements to replace (e.g. {@code /v1}), or null
 * @param replacement what replaces {@code prefix}
 */
public record PathRewrite(@Nullable String fullPath, @Nullable String prefix, @Nullable String replacement) {

  /** Keeps the path as it is. */
  public static final PathRewrite NONE = new PathRewrite(null, null, null);

  /** The path after the change; a path that does not start with the prefix's elements is kept. */
  public String apply(String path) {
    if (fullPath != null) {
      return fullPath;
    }
    String from = prefix;
    String to = replacement;
    if (from == null || to == null) {
      return path;
    }
    if (!path.startsWith(from) || (path.length() > from.length() && path.charAt(from.length()) != '/' && !from.endsWith("/"))) {
      return path;
    }
    String rest = path.substring(from.endsWith("/") ? from.length() - 1 : from.length());
    String out = to.endsWith("/") && rest.startsWith("/") ? to + rest.substring(1) : to + rest;
    return out.isEmpty() ? "/" : out;
  }
}
