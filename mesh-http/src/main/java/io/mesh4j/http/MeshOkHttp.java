package io.mesh4j.http;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.tls.MeshTls;
import io.mesh4j.core.tls.MeshTrustManager;
import java.util.Objects;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;

/**
 * Entry points for meshed OkHttp clients. Requests whose host is a destination of the mesh
 * ({@code http://catalog.shop/items}) are routed by the engine; requests to other hosts pass
 * through untouched.
 *
 * <pre>{@code
 * OkHttpClient client = MeshOkHttp.client(mesh);
 * // or, on a builder of your own:
 * OkHttpClient client = MeshOkHttp.install(mesh, new OkHttpClient.Builder()).build();
 * }</pre>
 */
public final class MeshOkHttp {

  private MeshOkHttp() {}

  /**
   * The mesh's application interceptor. Add it after the application interceptors that should see
   * each logical call once (OkHttp runs application interceptors in the order they were added);
   * it calls {@code proceed} once per attempt.
   */
  public static Interceptor interceptor(Mesh mesh) {
    return new MeshInterceptor(mesh.outbound(), false);
  }

  /**
   * Adds the mesh's interceptor to {@code builder} and turns off OkHttp's own retry on connection
   * failure, so that every retry is one the mesh decided.
   */
  public static OkHttpClient.Builder install(Mesh mesh, OkHttpClient.Builder builder) {
    return builder.addInterceptor(interceptor(mesh)).retryOnConnectionFailure(false);
  }

  /**
   * Like {@link #install(Mesh, OkHttpClient.Builder)}, with mutual TLS to mesh destinations: each
   * attempt goes to its endpoint over {@code https} (the application keeps writing {@code
   * http://catalog.shop/...}), presenting the workload's current certificate, and the server
   * must present the SPIFFE ID the policy gives that endpoint (any ID of the trust domain when
   * it names none). Host names are not verified: the endpoint's identity is checked by {@code
   * tls}'s trust manager during the handshake, so the builder's host-name verifier is replaced
   * by one that accepts what the trust manager accepted. Requests to hosts outside the mesh use
   * the same TLS settings, so give them a client of their own.
   */
  public static OkHttpClient.Builder installMtls(
      Mesh mesh, MeshTls tls, OkHttpClient.Builder builder) {
    Objects.requireNonNull(tls, "tls");
    MeshTrustManager trust = tls.clientTrustManager(tls.expectedPeers());
    return builder
        .addInterceptor(new MeshInterceptor(mesh.outbound(), true))
        .retryOnConnectionFailure(false)
        .sslSocketFactory(tls.clientContext(tls.expectedPeers()).getSocketFactory(), trust)
        // The trust manager verified the peer's SPIFFE ID; endpoints are dialled by address.
        .hostnameVerifier((host, session) -> true);
  }

  /** A new client with OkHttp's defaults, the mesh, and mutual TLS to mesh destinations. */
  public static OkHttpClient clientWithMtls(Mesh mesh) {
    return installMtls(mesh, MeshTls.forMesh(mesh), new OkHttpClient.Builder()).build();
  }

  /** A new client with OkHttp's defaults and the mesh installed. */
  public static OkHttpClient client(Mesh mesh) {
    return install(mesh, new OkHttpClient.Builder()).build();
  }
}
