package io.mesh4j.core.call;

import org.jspecify.annotations.Nullable;

/**
 * The redirect a rule answers HTTP calls with instead of sending them (Gateway API's {@code
 * RequestRedirect}): the adapter gives the application this status and a {@code Location} built
 * from the request's URL, and the mesh never follows it. Immutable.
 *
 * @param status 301, 302, 303, 307 or 308
 * @param scheme the new scheme, or null to keep the request's
 * @param hostname the new host, or null to keep the request's
 * @param port the new port, or 0: then the scheme's default when the scheme changes, otherwise the
 *     request's port
 * @param path how the path changes
 */
public record HttpRedirect(int status, @Nullable String scheme, @Nullable String hostname, int port, PathRewrite path) {

  /**
   * The {@code Location} for a request to {@code scheme://host:port/path?query}; a port that is
   * the scheme's default is left out.
   *
   * @param query the raw query without {@code ?}, or null
   */
  public String location(String requestScheme, String requestHost, int requestPort, String requestPath, @Nullable String query) {
    String s = scheme == null ? requestScheme : scheme;
    String h = hostname == null ? requestHost : hostname;
    int p = port != 0 ? port : scheme != null ? defaultPort(s) : requestPort;
    StringBuilder sb = new StringBuilder(s).append("://");
    sb.append(h.indexOf(':') >= 0 ? "[" + h + "]" : h);
    if (p != defaultPort(s)) {
      sb.append(':').append(p);
    }
    sb.append(path.apply(requestPath));
    if (query != null) {
      sb.append('?').append(query);
    }
    return sb.toString();
  }

  private static int defaultPort(String scheme) {
    return scheme.equals("https") ? 443 : 80;
  }
}
