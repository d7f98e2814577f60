package io.mesh4j.http;

import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.call.HttpRedirect;
import io.mesh4j.core.call.HttpRewrite;
import java.net.URI;

/**
 * {@link URI}s (Java's HttpClient, Spring's clients) rewritten for an endpoint, cached ({@link
 * EndpointTargets}), and the route's rewrites and redirects of them. The raw path and query are
 * kept as the application encoded them.
 */
final class TargetUris extends EndpointTargets<URI> {

  /**
   * @param https whether every target uses {@code https}, whatever the application wrote
   */
  TargetUris(boolean https) {
    super(https);
  }

  @Override
  URI build(URI uri, Endpoint endpoint) {
    String query = uri.getRawQuery();
    StringBuilder s =
        new StringBuilder(https ? "https" : uri.getScheme())
            .append("://")
            .append(endpoint.authority())
            .append(path(uri));
    if (query != null) {
      s.append('?').append(query);
    }
    return URI.create(s.toString());
  }

  /** The raw path of {@code uri}; {@code /} when it has none. */
  static String path(URI uri) {
    String path = uri.getRawPath();
    return path == null || path.isEmpty() ? "/" : path;
  }

  /** {@code uri} with the rule's path rewrite; the host is the {@code Host} header's business. */
  static URI rewritten(URI uri, HttpRewrite rewrite) {
    String rawPath = path(uri);
    String path = rewrite.path().apply(rawPath);
    if (path.equals(rawPath)) {
      return uri;
    }
    String query = uri.getRawQuery();
    return URI.create(
        uri.getScheme() + "://" + uri.getRawAuthority() + path + (query == null ? "" : "?" + query));
  }

  /** Where the rule's redirect sends a request for {@code uri}. */
  static String location(URI uri, HttpRedirect redirect) {
    String scheme = uri.getScheme() == null ? "http" : uri.getScheme();
    int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(scheme) ? 443 : 80;
    String host = uri.getHost() == null ? "" : uri.getHost();
    return redirect.location(scheme, host, port, path(uri), uri.getRawQuery());
  }
}
