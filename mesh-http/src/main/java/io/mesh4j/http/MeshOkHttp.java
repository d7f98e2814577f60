package io.mesh4j.http;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.Ticker;
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
    return new MeshInterceptor(mesh.outbound(), Ticker.system(), mesh.telemetry());
  }

  /**
   * Adds the mesh's interceptor to {@code builder} and turns off OkHttp's own retry on connection
   * failure, so that every retry is one the mesh decided.
   */
  public static OkHttpClient.Builder install(Mesh mesh, OkHttpClient.Builder builder) {
    return builder.addInterceptor(interceptor(mesh)).retryOnConnectionFailure(false);
  }

  /** A new client with OkHttp's defaults and the mesh installed. */
  public static OkHttpClient client(Mesh mesh) {
    return install(mesh, new OkHttpClient.Builder()).build();
  }
}
