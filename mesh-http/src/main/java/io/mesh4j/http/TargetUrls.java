package io.mesh4j.http;

import io.mesh4j.core.call.Endpoint;
import okhttp3.HttpUrl;

/** OkHttp's {@link HttpUrl}s rewritten for an endpoint, cached ({@link EndpointTargets}). */
final class TargetUrls extends EndpointTargets<HttpUrl> {

  /**
   * @param https whether every target uses {@code https}, whatever the application wrote
   */
  TargetUrls(boolean https) {
    super(https);
  }

  @Override
  HttpUrl build(HttpUrl url, Endpoint endpoint) {
    HttpUrl.Builder b = url.newBuilder().host(endpoint.address()).port(endpoint.port());
    if (https) {
      b.scheme("https");
    }
    return b.build();
  }
}
