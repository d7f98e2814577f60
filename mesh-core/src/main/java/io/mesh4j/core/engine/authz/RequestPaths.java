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
 * {@code /}, {@code ?}, {@code #}, {@code ;} and {@code %}, which stay escaped so they cannot
 * forge a segment), empty segments are removed, and {@code .} and {@code ..} segments are resolved
 * (never above the root).
 *
 * <p>Stateless. A path that needs none of this is returned as is, without allocating.
 */
final class RequestPaths {

  private RequestPaths() {}

  /** The normalized form of {@code path}, or null for null. */
  static @Nullable String normalize(@Nullable String path) {
    if (path == null || !needsNormalizing(path)) {
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
      boolean last = i == segments.length - 1;
      if (segment.isEmpty() || segment.equals(".")) {
        trailingSlash = last && i > 0;
        continue;
      }
      if (segment.equals("..")) {
        if (!out.isEmpty()) {
          out.remove(out.size() - 1);
        }
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

  /** Decodes percent-escapes as UTF-8, keeping escapes of delimiters (and malformed ones) as they are. */
  private static String decode(String segment) {
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
      if (value == '/' || value == '?' || value == '#' || value == ';' || value == '%') {
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

  private static int hex(String s, int at) {
    int high = Character.digit(s.charAt(at), 16);
    int low = Character.digit(s.charAt(at + 1), 16);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
  }
}
