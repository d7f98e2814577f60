package io.mesh4j.benchmarks;

import io.mesh4j.benchmarks.load.MeshPolicies;
import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import io.mesh4j.http.MeshJdkHttp;
import io.mesh4j.http.MeshRestClient;
import io.mesh4j.http.MeshWebClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeStrategies;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * One {@code GET} through Spring's RestClient, Spring's WebClient and Java's HttpClient, each with
 * and without the mesh's adapter ({@link MeshRestClient}'s interceptor, {@link MeshWebClient}'s
 * filter, {@link MeshJdkHttp}'s wrapper), against a canned 200 with a 100-byte body and no
 * socket: RestClient's request factory, WebClient's exchange function and the HttpClient the
 * mesh wraps answer in place of the network, so the difference is the adapter and the engine's
 * plan and settle. The mesh's policy is {@link OkHttpInterceptorBenchmark}'s (every client
 * feature on, a 2 s per-try timeout).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HttpClientAdaptersBenchmark {

  /**
   * The client; {@code REST_CLIENT_INTERCEPTED} is RestClient with one pass-through interceptor
   * (with {@code mesh=false} only): what any interceptor costs in Spring, the mesh's aside.
   */
  @Param({"REST_CLIENT", "WEB_CLIENT", "JDK_HTTP_CLIENT"})
  String client;

  @Param({"false", "true"})
  boolean mesh;

  private final byte[] payload = new byte[100];
  private StaticConfigSource source;
  private Mesh meshInstance;
  private URI uri;
  private RestClient restClient;
  private WebClient webClient;
  private HttpClient jdkClient;
  private HttpRequest jdkRequest;

  /** Builds the client for this trial. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    if (mesh) {
      source =
          StaticConfigSource.parse(
              MeshPolicies.yaml("echo-http", 8080, EnumSet.allOf(MeshPolicies.Feature.class), "5xx"));
      meshInstance = Mesh.builder().configSource(source).build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (meshInstance.appliedVersion() <= 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
    }
    uri = URI.create(mesh ? "http://echo-http.bench/echo" : "http://127.0.0.1:8080/echo");
    switch (client) {
      case "REST_CLIENT", "REST_CLIENT_INTERCEPTED" -> {
        RestClient.Builder b = RestClient.builder().requestFactory(new CannedFactory(payload));
        if (mesh) {
          MeshRestClient.install(meshInstance, b);
        } else if (client.equals("REST_CLIENT_INTERCEPTED")) {
          b.requestInterceptor((request, body, execution) -> execution.execute(request, body));
        }
        restClient = b.build();
      }
      case "WEB_CLIENT" -> {
        ExchangeStrategies strategies = ExchangeStrategies.withDefaults();
        WebClient.Builder b =
            WebClient.builder()
                .exchangeFunction(
                    request ->
                        Mono.just(
                            ClientResponse.create(HttpStatus.OK, strategies)
                                .header("Content-Length", "100")
                                .body(new String(payload, java.nio.charset.StandardCharsets.ISO_8859_1))
                                .build()));
        webClient = (mesh ? MeshWebClient.install(meshInstance, b) : b).build();
      }
      default -> {
        HttpClient canned = new CannedHttpClient(payload);
        jdkClient = mesh ? MeshJdkHttp.wrap(meshInstance, canned) : canned;
        jdkRequest = HttpRequest.newBuilder(uri).GET().build();
      }
    }
    call();
  }

  /** One call, its body read. */
  @Benchmark
  public int call() throws Exception {
    return switch (client) {
      case "REST_CLIENT", "REST_CLIENT_INTERCEPTED" -> restClient.get().uri(uri).retrieve().body(byte[].class).length;
      case "WEB_CLIENT" ->
          webClient.get().uri(uri).retrieve().bodyToMono(byte[].class).block().length;
      default -> jdkClient.send(jdkRequest, HttpResponse.BodyHandlers.ofByteArray()).body().length;
    };
  }

  /** Stops the mesh. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    if (meshInstance != null) {
      meshInstance.close();
      source.close();
    }
  }

  /** RestClient's request factory answering every request with a canned 200. */
  private static final class CannedFactory implements ClientHttpRequestFactory {
    private final byte[] payload;

    CannedFactory(byte[] payload) {
      this.payload = payload;
    }

    @Override
    public ClientHttpRequest createRequest(URI uri, HttpMethod method) {
      org.springframework.http.HttpHeaders headers = new org.springframework.http.HttpHeaders();
      Map<String, Object> attributes = new HashMap<>();
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      return new ClientHttpRequest() {
        @Override
        public ClientHttpResponse execute() {
          return new CannedResponse(payload);
        }

        @Override
        public OutputStream getBody() {
          return body;
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
        public org.springframework.http.HttpHeaders getHeaders() {
          return headers;
        }

        @Override
        public Map<String, Object> getAttributes() {
          return attributes;
        }
      };
    }
  }

  private static final class CannedResponse implements ClientHttpResponse {
    private final byte[] payload;

    CannedResponse(byte[] payload) {
      this.payload = payload;
    }

    @Override
    public HttpStatusCode getStatusCode() {
      return HttpStatus.OK;
    }

    @Override
    public String getStatusText() {
      return "OK";
    }

    @Override
    public org.springframework.http.HttpHeaders getHeaders() {
      org.springframework.http.HttpHeaders headers = new org.springframework.http.HttpHeaders();
      headers.setContentLength(payload.length);
      return headers;
    }

    @Override
    public InputStream getBody() {
      return new ByteArrayInputStream(payload);
    }

    @Override
    public void close() {}
  }

  /** Java's HttpClient answering every request with a canned 200, through the caller's body handler. */
  private static final class CannedHttpClient extends HttpClient {
    private static final HttpHeaders HEADERS =
        HttpHeaders.of(Map.of("content-length", List.of("100")), (n, v) -> true);
    private final byte[] payload;

    CannedHttpClient(byte[] payload) {
      this.payload = payload;
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      return sendAsync(request, handler).join();
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(
        HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      HttpResponse.ResponseInfo info =
          new HttpResponse.ResponseInfo() {
            @Override
            public int statusCode() {
              return 200;
            }

            @Override
            public HttpHeaders headers() {
              return HEADERS;
            }

            @Override
            public Version version() {
              return Version.HTTP_1_1;
            }
          };
      HttpResponse.BodySubscriber<T> body = handler.apply(info);
      body.onSubscribe(
          new Flow.Subscription() {
            @Override
            public void request(long n) {}

            @Override
            public void cancel() {}
          });
      body.onNext(List.of(ByteBuffer.wrap(payload)));
      body.onComplete();
      return body.getBody().toCompletableFuture().thenApply(value -> new Canned<>(request, value));
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(
        HttpRequest request,
        HttpResponse.BodyHandler<T> handler,
        HttpResponse.PushPromiseHandler<T> push) {
      return sendAsync(request, handler);
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
      return Optional.empty();
    }

    @Override
    public Optional<Duration> connectTimeout() {
      return Optional.empty();
    }

    @Override
    public Redirect followRedirects() {
      return Redirect.NEVER;
    }

    @Override
    public Optional<ProxySelector> proxy() {
      return Optional.empty();
    }

    @Override
    public SSLContext sslContext() {
      try {
        return SSLContext.getDefault();
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public SSLParameters sslParameters() {
      return new SSLParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
      return Optional.empty();
    }

    @Override
    public Version version() {
      return Version.HTTP_1_1;
    }

    @Override
    public Optional<Executor> executor() {
      return Optional.empty();
    }
  }

  private record Canned<T>(HttpRequest request, T body) implements HttpResponse<T> {
    @Override
    public int statusCode() {
      return 200;
    }

    @Override
    public Optional<HttpResponse<T>> previousResponse() {
      return Optional.empty();
    }

    @Override
    public HttpHeaders headers() {
      return CannedHttpClient.HEADERS;
    }

    @Override
    public Optional<SSLSession> sslSession() {
      return Optional.empty();
    }

    @Override
    public URI uri() {
      return request.uri();
    }

    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }
  }
}
