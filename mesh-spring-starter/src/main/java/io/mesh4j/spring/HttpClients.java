package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import io.mesh4j.http.MeshOkHttp;
import okhttp3.OkHttpClient;

/**
 * The OkHttp half of {@link MeshClientPostProcessor}, in a class of its own so that OkHttp is
 * loaded only when a field asks for a client.
 */
final class HttpClients {

  private HttpClients() {}

  static Object client(Mesh mesh, boolean mtls) {
    return mtls ? MeshOkHttp.clientWithMtls(mesh) : MeshOkHttp.client(mesh);
  }

  /** Releases the client's dispatcher threads and pooled connections, as OkHttp documents. */
  static void shutdown(Object client) {
    OkHttpClient c = (OkHttpClient) client;
    c.dispatcher().executorService().shutdown();
    c.connectionPool().evictAll();
  }
}
