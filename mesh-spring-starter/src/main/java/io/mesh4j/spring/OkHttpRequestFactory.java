package io.mesh4j.spring;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import okhttp3.Call;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.AbstractClientHttpRequest;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.ClientHttpResponse;

/**
 * A {@link ClientHttpRequestFactory} that sends Spring's requests ({@code RestClient}, {@code
 * RestTemplate}) through an {@link OkHttpClient}, so that a mesh client's interceptor routes them.
 * Spring's own OkHttp factory is deprecated for removal, hence this small one.
 *
 * <p>Request bodies are buffered, which is what Spring's JSON and form converters produce anyway;
 * response bodies are streamed. Thread-safe; the client's pools are shared by every request.
 */
public final class OkHttpRequestFactory implements ClientHttpRequestFactory {

  private final OkHttpClient client;

  /** A factory sending every request through {@code client}. */
  public OkHttpRequestFactory(OkHttpClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  public ClientHttpRequest createRequest(URI uri, org.springframework.http.HttpMethod method) {
    return new OkHttpRequest(client, uri, method);
  }

  private static final class OkHttpRequest extends AbstractClientHttpRequest {
    private final OkHttpClient client;
    private final URI uri;
    private final org.springframework.http.HttpMethod method;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream(256);

    OkHttpRequest(OkHttpClient client, URI uri, org.springframework.http.HttpMethod method) {
      this.client = client;
      this.uri = uri;
      this.method = method;
    }

    @Override
    public org.springframework.http.HttpMethod getMethod() {
      return method;
    }

    @Override
    public URI getURI() {
      return uri;
    }

    @Override
    protected OutputStream getBodyInternal(HttpHeaders headers) {
      return body;
    }

    @Override
    protected ClientHttpResponse executeInternal(HttpHeaders headers) throws IOException {
      byte[] bytes = body.toByteArray();
      String name = method.name();
      @Nullable String contentType = headers.getFirst(HttpHeaders.CONTENT_TYPE);
      RequestBody requestBody = null;
      // OkHttp refuses a body on GET/HEAD and requires one on POST/PUT/PATCH
      if (bytes.length > 0 || requiresBody(name)) {
        requestBody =
            RequestBody.create(bytes, contentType == null ? null : MediaType.parse(contentType));
      }
      Request.Builder request = new Request.Builder().url(uri.toURL()).method(name, requestBody);
      for (Map.Entry<String, List<String>> header : headers.headerSet()) {
        for (String value : header.getValue()) {
          request.addHeader(header.getKey(), value);
        }
      }
      Call call = client.newCall(request.build());
      return new OkHttpResponse(call.execute());
    }
  }

  /** The methods OkHttp insists carry a body, empty or not. */
  private static boolean requiresBody(String method) {
    return switch (method) {
      case "POST", "PUT", "PATCH", "PROPPATCH", "REPORT" -> true;
      default -> false;
    };
  }

  private static final class OkHttpResponse implements ClientHttpResponse {
    private final Response response;
    private @Nullable HttpHeaders headers;

    OkHttpResponse(Response response) {
      this.response = response;
    }

    @Override
    public HttpStatusCode getStatusCode() {
      return HttpStatusCode.valueOf(response.code());
    }

    @Override
    public String getStatusText() {
      return response.message();
    }

    @Override
    public HttpHeaders getHeaders() {
      HttpHeaders h = headers;
      if (h == null) {
        h = new HttpHeaders();
        Headers raw = response.headers();
        for (int i = 0; i < raw.size(); i++) {
          h.add(raw.name(i), raw.value(i));
        }
        headers = h;
      }
      return h;
    }

    @Override
    public InputStream getBody() {
      ResponseBody b = response.body();
      return b.byteStream();
    }

    @Override
    public void close() {
      response.close();
    }
  }
}
