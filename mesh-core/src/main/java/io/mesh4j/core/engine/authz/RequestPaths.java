package io.mesh4j.core.engine.authz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Puts a request path as sent on the wire into the form servlet containers route on, so that an
 * authorization rule on {@code /admin/*} also sees {@code /%61dmin/x}, {@code /admin;v=1/x},
 * {@code //admin/x} and {@code /public/../admin/x}: a query or fragment is cut, path parameters
 * ({@code ;...}) are dropped from each segment, percent-escapes are decoded (except those of
 * {@code ?}, {@code #}, {@code ;} and {@code %}, which stay escaped so they cannot forge a
 * delimiter), empty segments are removed, and {@code .} and {@code ..} segments are resolved.
 *
 * <p>Decoding goes beyond RFC 3986's unreserved characters (which is all Envoy decodes) because
 * the containers behind the mesh decode every escape before routing: a rule on {@code /été} must
 * see {@code /%C3%A9t%C3%A9} as the container will.
 *
 * <p>Two kinds of path have no single meaning and are refused ({@link #REFUSED}): an encoded
 * {@code /} or {@code \} ({@code %2F}, {@code %5C}), which one container treats as a separator
 * and another as data, and a {@code ..} that climbs above the root, which only an attack sends.
 *
 * <p>Stateless. A path that needs none of this is returned as is, without allocating.
 */
final class RequestPaths {

  private RequestPaths() {}

  /** What {@link #normalize} answers for a refused path; a normalized path is never empty. */
  static final String REFUSED = "";

  private static final int QUOTED_LENGTH = 120;

  /**
   * The normalized form of {@code path}, {@link #REFUSED} (empty) for a path that must be refused,
   * or null for null.
   */
  static @Nullable String normalize(@Nullable String path) {
    if (path == null) {
      return null;
    }
    if (path.isEmpty()) {
      // The root; never the empty string, which means refused.
      return "/";
    }
    if (!needsNormalizing(path)) {
      return path;
    }
    int end = path.length();
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '?' || c == '#') {
        end = i;
        break;
      }
    }
    String raw = path.substring(0, end);
    List<String> out = new ArrayList<>();
    String[] segments = raw.split("/", -1);
    boolean trailingSlash = false;
    for (int i = 0; i < segments.length; i++) {
      String segment = segments[i];
      int semicolon = segment.indexOf(';');
      if (semicolon >= 0) {
        segment = segment.substring(0, semicolon);
      }
      segment = decode(segment);
      if (segment == null) {
        return REFUSED;
      }
      boolean last = i == segments.length - 1;
      if (segment.isEmpty() || segment.equals(".")) {
        trailingSlash = last && i > 0;
        continue;
      }
      if (segment.equals("..")) {
        if (out.isEmpty()) {
          return REFUSED;
        }
        out.remove(out.size() - 1);
        trailingSlash = last;
        continue;
      }
      out.add(segment);
      trailingSlash = false;
    }
    StringBuilder sb = new StringBuilder(raw.length());
    for (String s : out) {
      sb.append('/').append(s);
    }
    if (trailingSlash || sb.length() == 0) {
      sb.append('/');
    }
    return sb.toString();
  }

  private static boolean needsNormalizing(String path) {
    char previous = 0;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '%' || c == ';' || c == '?' || c == '#' || (previous == '/' && (c == '/' || c == '.'))) {
        return true;
      }
      previous = c;
    }
    return false;
  }

  /**
   * Decodes percent-escapes as UTF-8, keeping escapes of delimiters (and malformed ones) as they
   * are; null when the segment holds an encoded slash or backslash.
   */
  private static @Nullable String decode(String segment) {
    if (segment.indexOf('%') < 0) {
      return segment;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      int value = c == '%' && i + 2 < segment.length() ? hex(segment, i + 1) : -1;
      if (value < 0) {
        byte[] literal = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(literal, 0, literal.length);
        continue;
      }
      if (value == '/' || value == '\\') {
        return null;
      }
      if (value == '?' || value == '#' || value == ';' || value == '%') {
        bytes.write('%');
        bytes.write(Character.toUpperCase(segment.charAt(i + 1)));
        bytes.write(Character.toUpperCase(segment.charAt(i + 2)));
      } else {
        bytes.write(value);
      }
      i += 2;
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** {@code path} for a message: bounded in length, since the caller chose it. */
  static String quote(@Nullable String path) {
    if (path == null) {
      return "(none)";
    }
    return path.length() <= QUOTED_LENGTH ? path : path.substring(0, QUOTED_LENGTH) + "...";
  }

  private static int hex(String s, int at) {
    int high = Character.digit(s.charAt(at), 16);
    int low = Character.digit(s.charAt(at + 1), 16);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
  }
}
