package io.mesh4j.http;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.util.concurrent.TimeUnit;
import org.springframework.http.client.SimpleClientHttpRequestFactory;

/**
 * Spring's {@code HttpURLConnection} factory that bounds each meshed attempt by its per-try
 * timeout: {@code HttpURLConnection} answers no interrupt, so the timeout of the attempt being
 * sent on this thread ({@link AttemptDeadline#current()}) becomes the connection's connect and
 * read timeout, where it is shorter than the factory's own. Requests outside the mesh keep the
 * factory's settings.
 */
final class MeshSimpleRequestFactory extends SimpleClientHttpRequestFactory {

  @Override
  protected void prepareConnection(HttpURLConnection connection, String httpMethod)
      throws IOException {
    super.prepareConnection(connection, httpMethod);
    AttemptDeadline deadline = AttemptDeadline.current();
    if (deadline == null) {
      return;
    }
    int millis =
        (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(deadline.timeoutNanos())));
    // 0 is "no timeout" for HttpURLConnection
    if (connection.getConnectTimeout() == 0 || connection.getConnectTimeout() > millis) {
      connection.setConnectTimeout(millis);
    }
    if (connection.getReadTimeout() == 0 || connection.getReadTimeout() > millis) {
      connection.setReadTimeout(millis);
    }
  }
}
