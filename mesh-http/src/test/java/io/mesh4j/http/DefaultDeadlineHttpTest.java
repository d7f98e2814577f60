package io.mesh4j.http;

import static io.mesh4j.core.testing.TestMesh.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.testing.TestMesh;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The mesh's default unary deadline through OkHttp, against a server that never answers. */
@Timeout(30)
class DefaultDeadlineHttpTest {

  private final TestMesh mesh = new TestMesh();
  private final OkHttpClient client = MeshOkHttp.client(mesh.mesh());
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private ServerSocket silent;

  @AfterEach
  void tearDown() throws IOException {
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
    mesh.close();
    if (silent != null) {
      silent.close();
    }
    for (Socket s : accepted) {
      s.close();
    }
  }

  /** Accepts connections and reads nothing, writes nothing. */
  private int startSilentServer() throws IOException {
    silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor =
        new Thread(
            () -> {
              try {
                while (true) {
                  accepted.add(silent.accept());
                }
              } catch (IOException closed) {
                // the test is over
              }
            },
            "silent-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    return silent.getLocalPort();
  }

  @Test
  void aCallToAServerThatNeverAnswersFailsWith504AtTheDefaultDeadline() throws IOException {
    int port = startSilentServer();
    mesh.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: MeshConfig
        metadata: {name: mesh}
        spec: {defaultUnaryTimeout: 300ms}
        ---
        """
            + endpoints(port, "v1")
            + """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog.shop
              rules:
                - {name: all, backends: [{}]}
            """);

    Request request = new Request.Builder().url("http://catalog.shop/items").build();
    assertThatThrownBy(() -> client.newCall(request).execute().close())
        .isInstanceOfSatisfying(
            MeshHttpException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(MeshFailure.Reason.DEADLINE_EXCEEDED);
              assertThat(e.httpStatus()).isEqualTo(504);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "mesh4j: deadline exceeded for catalog.shop (the mesh's default timeout of"
                          + " 300ms for unary calls expired; set a timeout on the route rule or a"
                          + " deadline on the call to change it)");
              assertThat(e.getCause()).isInstanceOf(InterruptedIOException.class);
            });
    await().untilAsserted(() -> assertThat(accepted).hasSize(1));
  }
}
