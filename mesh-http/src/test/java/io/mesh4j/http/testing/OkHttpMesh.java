package io.mesh4j.http.testing;

import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.http.MeshOkHttp;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One test's mesh, its WireMock servers and a mesh OkHttp client, all closed after the test:
 * register it with {@code @RegisterExtension}.
 */
public final class OkHttpMesh implements AfterEachCallback {

  private final TestMesh mesh = new TestMesh();
  private final Servers servers = new Servers();
  private final OkHttpClient client = MeshOkHttp.client(mesh.mesh());

  public TestMesh mesh() {
    return mesh;
  }

  public Servers servers() {
    return servers;
  }

  public OkHttpClient client() {
    return client;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
    servers.close();
    mesh.close();
  }
}
