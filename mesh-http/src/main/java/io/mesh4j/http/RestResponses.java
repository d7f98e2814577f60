package io.mesh4j.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpResponse;

/**
 * The responses RestClient and RestTemplate get from the mesh instead of, or around, the
 * server's: a route's redirect, and the final answer with the route's changes to its headers or
 * the engine's reason for not retrying it. Stateless.
 */
final class RestResponses {

  private RestResponses() {}

  /** The redirect the application gets instead of a response; nothing is sent. */
  static ClientHttpResponse redirect(int status, String location) {
    HttpHeaders headers = new HttpHeaders();
    headers.set(HttpHeaders.LOCATION, location);
    return new Made(HttpStatusCode.valueOf(status), headers);
  }

  private record Made(HttpStatusCode status, HttpHeaders headers) implements ClientHttpResponse {
    @Override
    public HttpStatusCode getStatusCode() {
      return status;
    }

    @Override
    public String getStatusText() {
      return "mesh4j: redirected by the route";
    }

    @Override
    public HttpHeaders getHeaders() {
      return headers;
    }

    @Override
    public InputStream getBody() {
      return new ByteArrayInputStream(new byte[0]);
    }

    @Override
    public void close() {}
  }

  /** The server's answer with other headers or another reason phrase. */
  record Edited(ClientHttpResponse response, HttpHeaders headers, String statusText)
      implements ClientHttpResponse {
    @Override
    public HttpStatusCode getStatusCode() throws IOException {
      return response.getStatusCode();
    }

    @Override
    public String getStatusText() {
      return statusText;
    }

    @Override
    public HttpHeaders getHeaders() {
      return headers;
    }

    @Override
    public InputStream getBody() throws IOException {
      return response.getBody();
    }

    @Override
    public void close() {
      response.close();
    }
  }
}
