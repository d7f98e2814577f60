package io.mesh4j.http;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.tls.MeshTls;
import java.net.http.HttpClient;
import java.util.Objects;

/**
 * Entry points for meshed clients of Java's own {@link HttpClient}. Requests whose host is a
 * destination of the mesh ({@code http://catalog.shop/items}) are routed by the engine, with
 * {@code send} and {@code sendAsync} alike; requests to other hosts go to the wrapped client
 * untouched.
 *
 * <pre>{@code
 * HttpClient client = MeshJdkHttp.client(mesh);
 * // or around a client of your own:
 * HttpClient client = MeshJdkHttp.wrap(mesh, HttpClient.newBuilder().executor(pool).build());
 * }</pre>
 *
 * <p>Every retry is one the mesh decided: the JDK client itself retries only a request it could
 * not send at all on a pooled connection. A request body is replayed for a retry, or copied for a
 * mirror, only when its length is known ({@code BodyPublishers.ofString}, {@code ofByteArray},
 * {@code ofFile}, {@code noBody}): the JDK re-reads such a publisher for each subscription. One of
 * unknown length ({@code ofInputStream}, {@code fromPublisher}) is sent once. Cancelling the
 * future {@code sendAsync} returned cancels the call at once, waits included; so does
 * interrupting a thread blocked in {@code send}.
 */
public final class MeshJdkHttp {

  private MeshJdkHttp() {}

  /** {@code client} under the mesh; its settings (executor, version, TLS, proxy) are kept. */
  public static HttpClient wrap(Mesh mesh, HttpClient client) {
    Objects.requireNonNull(client, "client");
    return new MeshHttpClient(mesh.outbound(), client, false);
  }

  /** A new client with the JDK's defaults and the mesh. */
  public static HttpClient client(Mesh mesh) {
    return wrap(mesh, HttpClient.newHttpClient());
  }

  /**
   * {@code builder}'s client under the mesh, with mutual TLS to mesh destinations: each attempt
   * goes to its endpoint over {@code https} (the application keeps writing {@code
   * http://catalog.shop/...}), presenting the workload's current certificate, and the server must
   * present the SPIFFE ID the policy gives that endpoint (any ID of the trust domain when it
   * names none), which {@code tls}'s trust manager checks during the handshake. The builder's SSL
   * context is replaced, so requests to hosts outside the mesh use the same TLS settings; give
   * them a client of their own.
   */
  public static HttpClient wrapMtls(Mesh mesh, MeshTls tls, HttpClient.Builder builder) {
    Objects.requireNonNull(tls, "tls");
    HttpClient client = builder.sslContext(tls.clientContext(tls.expectedPeers())).build();
    return new MeshHttpClient(mesh.outbound(), client, true);
  }

  /** A new client with the JDK's defaults, the mesh, and mutual TLS to mesh destinations. */
  public static HttpClient clientWithMtls(Mesh mesh) {
    return wrapMtls(mesh, MeshTls.forMesh(mesh), HttpClient.newBuilder());
  }
}
