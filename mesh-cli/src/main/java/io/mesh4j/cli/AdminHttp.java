package io.mesh4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * GETs JSON documents from a controller's admin endpoint or an application's actuator. What comes
 * back is read as hostile: bodies over {@link #MAX_BODY} are refused rather than buffered, and
 * JSON is parsed with a safe, bounded YAML loader.
 */
final class AdminHttp {

  /** Far above any real answer (a /status of 5,000 applications is a few MiB). */
  static final int MAX_BODY = 32 * 1024 * 1024;

  private final HttpClient client;
  private final Duration timeout;
  private final @Nullable String token;

  AdminHttp(Duration timeout, @Nullable String token) {
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
    this.timeout = timeout;
    this.token = token;
  }

  /** A failure to get an answer, with a message for the operator. */
  static final class Failure extends Exception {
    Failure(String message) {
      super(message);
    }
  }

  /**
   * The body of {@code GET uri} when it answers 200.
   *
   * @param what names the peer in messages, e.g. "the controller at http://127.0.0.1:15014"
   * @throws Failure when it cannot be reached, answers another status, or sends too much
   */
  String get(URI uri, String what) throws Failure, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<InputStream> response;
    String body;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      body = read(response.body(), uri);
    } catch (IOException e) {
      throw new Failure("mesh4j: cannot reach " + what + " (" + describe(e) + ")");
    }
    if (response.statusCode() != 200) {
      String message = "mesh4j: " + what + " answered " + response.statusCode() + ": " + body.strip();
      if (response.statusCode() == 401) {
        message += "\nmesh4j: give a token from the controller's --admin-token-file with --token-file";
      }
      throw new Failure(message);
    }
    return body;
  }

  /** {@code GET uri} read as a JSON object. */
  Map<?, ?> getJson(URI uri, String what) throws Failure, InterruptedException {
    String body = get(uri, what);
    try {
      return parse(body);
    } catch (YAMLException | ClassCastException e) {
      throw new Failure("mesh4j: " + what + " sent a document that is not a JSON object for " + uri.getPath() + ": " + e.getMessage());
    }
  }

  private static String read(InputStream in, URI uri) throws IOException {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) != -1) {
        if (out.size() + n > MAX_BODY) {
          throw new IOException("the answer to " + uri.getPath() + " is larger than " + (MAX_BODY >> 20) + " MiB; refused");
        }
        out.write(buffer, 0, n);
      }
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  /** JSON is YAML: the parser mesh4j already carries reads it, safely. */
  static Map<?, ?> parse(String json) {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(MAX_BODY);
    options.setAllowDuplicateKeys(false);
    Object doc = new Yaml(new SafeConstructor(options)).load(json);
    return (Map<?, ?>) doc;
  }

  /**
   * {@code base} (http://HOST:PORT, or HOST:PORT meaning plain HTTP) with {@code path} appended.
   *
   * @throws IllegalArgumentException naming what is wrong with {@code base}
   */
  static URI resolve(String base, String path) {
    String address = base.contains("://") ? base : "http://" + base;
    String trimmed = address.endsWith("/") ? address.substring(0, address.length() - 1) : address;
    try {
      URI uri = new URI(trimmed + path);
      if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new IllegalArgumentException("'" + base + "' is not an http:// or https:// address, e.g. http://127.0.0.1:15014");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + base + "' is not an address (" + e.getMessage() + ")");
    }
  }

  static String describe(Exception e) {
    if (e instanceof java.net.ConnectException && e.getMessage() == null) {
      return "connection refused: nothing listens there";
    }
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
  }

  static long number(@Nullable Object o) {
    return o instanceof Number n ? n.longValue() : 0;
  }

  static String text(@Nullable Object o) {
    return o == null ? "" : o.toString();
  }
}
