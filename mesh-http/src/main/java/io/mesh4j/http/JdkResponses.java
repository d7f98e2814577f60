package io.mesh4j.http;

import io.mesh4j.core.call.CallPlan;
import io.mesh4j.core.call.CallStatus;
import io.mesh4j.core.call.HeaderEdits;
import io.mesh4j.core.call.HttpRedirect;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import javax.net.ssl.SSLSession;

/**
 * Java's HttpClient keeps requests, responses and headers immutable: a route's header changes and
 * a redirect the mesh answers itself are made here as copies and small views. Stateless.
 */
final class JdkResponses {

  private JdkResponses() {}

  /** Headers as a case-insensitive map that a {@link HeaderEdits.Editor} can change. */
  static Map<String, List<String>> mutable(HttpHeaders headers) {
    TreeMap<String, List<String>> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.map().forEach((name, values) -> map.put(name, new ArrayList<>(values)));
    return map;
  }

  /** {@code headers} with {@code edits} applied. */
  static HttpHeaders edited(HttpHeaders headers, HeaderEdits edits) {
    Map<String, List<String>> map = mutable(headers);
    edits.applyTo(new MapEditor(map));
    return HttpHeaders.of(map, (name, value) -> true);
  }

  /** Applies a route's header changes to a case-insensitive map of header values. */
  record MapEditor(Map<String, List<String>> headers) implements HeaderEdits.Editor {
    @Override
    public void set(String name, String value) {
      List<String> values = new ArrayList<>(1);
      values.add(value);
      headers.put(name, values);
    }

    @Override
    public void add(String name, String value) {
      headers.computeIfAbsent(name, n -> new ArrayList<>(1)).add(value);
    }

    @Override
    public void remove(String name) {
      headers.remove(name);
    }
  }

  /** What the caller's body handler learns of a response whose headers the route changed. */
  record Info(int statusCode, HttpHeaders headers, HttpClient.Version version)
      implements HttpResponse.ResponseInfo {}

  /**
   * The redirect the application gets instead of a response; nothing is sent. The caller's body
   * handler reads its empty body, so the answer has the type the caller asked for.
   */
  static <T> CompletableFuture<HttpResponse<T>> redirect(
      CallPlan plan, HttpRequest request, HttpRedirect redirect, HttpResponse.BodyHandler<T> handler) {
    String location = TargetUris.location(request.uri(), redirect);
    HttpHeaders headers =
        HttpHeaders.of(Map.of("location", List.of(location)), (name, value) -> true);
    Info info = new Info(redirect.status(), headers, HttpClient.Version.HTTP_1_1);
    plan.end(CallStatus.http(redirect.status()), 0, 0);
    try {
      HttpResponse.BodySubscriber<T> body = handler.apply(info);
      body.onSubscribe(NO_DATA);
      body.onComplete();
      return body.getBody()
          .toCompletableFuture()
          .thenApply(value -> new Answer<>(info, request, value));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The subscription of a body with no bytes. */
  private static final Flow.Subscription NO_DATA =
      new Flow.Subscription() {
        @Override
        public void request(long n) {}

        @Override
        public void cancel() {}
      };

  /** A response the mesh made itself. */
  private record Answer<T>(Info info, HttpRequest request, T body) implements HttpResponse<T> {
    @Override
    public int statusCode() {
      return info.statusCode();
    }

    @Override
    public Optional<HttpResponse<T>> previousResponse() {
      return Optional.empty();
    }

    @Override
    public HttpHeaders headers() {
      return info.headers();
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
      return info.version();
    }
  }

  /** The final attempt's response with the route's changes to its headers. */
  record Edited<T>(HttpResponse<T> response, HttpHeaders headers) implements HttpResponse<T> {
    @Override
    public int statusCode() {
      return response.statusCode();
    }

    @Override
    public HttpRequest request() {
      return response.request();
    }

    @Override
    public Optional<HttpResponse<T>> previousResponse() {
      return response.previousResponse();
    }

    @Override
    public T body() {
      return response.body();
    }

    @Override
    public Optional<SSLSession> sslSession() {
      return response.sslSession();
    }

    @Override
    public URI uri() {
      return response.uri();
    }

    @Override
    public HttpClient.Version version() {
      return response.version();
    }
  }
}
