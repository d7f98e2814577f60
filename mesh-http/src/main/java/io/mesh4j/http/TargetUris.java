package io.mesh4j.http;

import io.mesh4j.core.call.Endpoint;
import java.net.URI;

/**
 * {@link URI}s of Java's HttpClient rewritten for an endpoint, cached ({@link EndpointTargets}).
 * The raw path and query are kept as the application encoded them.
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
    String path = uri.getRawPath();
    String query = uri.getRawQuery();
    StringBuilder s =
        new StringBuilder(https ? "https" : uri.getScheme())
            .append("://")
            .append(endpoint.authority())
            .append(path == null || path.isEmpty() ? "/" : path);
    if (query != null) {
      s.append('?').append(query);
    }
    return URI.create(s.toString());
  }
}
