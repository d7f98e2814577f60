package io.mesh4j.http;

import java.net.URI;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpRequest;

/**
 * A request of RestClient or RestTemplate as {@link MeshRestInterceptor} sends it: the
 * application's, with the route's changes, or one attempt of it, aimed at an endpoint with its own
 * headers. The attributes are the application's request's.
 */
record RestRequest(HttpMethod method, URI uri, HttpHeaders headers, Map<String, Object> attributes)
    implements HttpRequest {

  RestRequest to(URI target, HttpHeaders attemptHeaders) {
    return new RestRequest(method, target, attemptHeaders, attributes);
  }

  @Override
  public HttpMethod getMethod() {
    return method;
  }

  @Override
  public URI getURI() {
    return uri;
  }

  @Override
  public HttpHeaders getHeaders() {
    return headers;
  }

  @Override
  public Map<String, Object> getAttributes() {
    return attributes;
  }
}
