package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.testing.TestMesh;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.EnumSet;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.FilterHolder;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The filter in a real Jetty 11 servlet container on 127.0.0.1. */
class MeshServletFilterTest {

  private static final String PEER_ATTRIBUTE = "test.peer";
  private static final String FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";
  private static final String BATCH = "spiffe://cluster.local/ns/jobs/sa/batch";

  private final TestMesh mesh = new TestMesh();
  private final OkHttpClient client = new OkHttpClient();
  private final Server server = new Server();
  private int port;

  @BeforeEach
  void startServer() throws Exception {
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    // Stands in for mTLS: the test names the caller in a header, copied into the attribute the
    // mesh filter's resolver reads.
    Filter testIdentity =
        (request, response, chain) -> {
          String peer = ((HttpServletRequest) request).getHeader("x-test-peer");
          if (peer != null) {
            request.setAttribute(PEER_ATTRIBUTE, peer);
          }
          chain.doFilter(request, response);
        };
    context.addFilter(new FilterHolder(testIdentity), "/*", EnumSet.of(DispatcherType.REQUEST));
    context.addFilter(
        new FilterHolder(
            MeshServletFilter.forService(
                mesh.mesh(), "pricing.shop", PeerIdentityResolver.fromAttribute(PEER_ATTRIBUTE))),
        "/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(
        new ServletHolder(
            new HttpServlet() {
              @Override
              protected void service(HttpServletRequest req, HttpServletResponse resp)
                  throws IOException {
                resp.setContentType("text/plain");
                resp.getWriter().write("price");
              }
            }),
        "/*");
    server.setHandler(context);
    server.start();
    port = connector.getLocalPort();
  }

  @AfterEach
  void stopServer() throws Exception {
    server.stop();
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
    mesh.close();
  }

  private String call(String method, String path, String peer) throws IOException {
    Request.Builder request =
        new Request.Builder()
            .url("http://127.0.0.1:" + port + path)
            .method(method, method.equals("POST") ? okhttp3.RequestBody.create(new byte[0]) : null);
    if (peer != null) {
      request.header("x-test-peer", peer);
    }
    try (Response response = client.newCall(request.build()).execute()) {
      return response.code() + " " + response.body().string().trim();
    }
  }

  @Test
  @Timeout(30)
  void deniedRequestsGet403NamingThePolicy() throws IOException {
    mesh.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: pricing-readers, namespace: shop}
        spec:
          service: pricing.shop
          action: ALLOW
          rules:
            - principals: ["spiffe://cluster.local/ns/shop/*"]
              httpMethods: [GET]
              paths: ["/prices/*"]
        """);

    assertThat(call("GET", "/prices/42", FRONTEND)).isEqualTo("200 price");
    assertThat(call("GET", "/prices/42", BATCH))
        .isEqualTo(
            "403 mesh4j: denied for pricing.shop (no rule of AuthorizationPolicy"
                + " shop/pricing-readers allows " + BATCH + ")");
    assertThat(call("POST", "/prices/42", FRONTEND))
        .startsWith("403 ")
        .contains("AuthorizationPolicy shop/pricing-readers");
    assertThat(call("GET", "/prices/42", null))
        .isEqualTo(
            "403 mesh4j: denied for pricing.shop (no rule of AuthorizationPolicy"
                + " shop/pricing-readers allows an unauthenticated caller)");
  }

  @Test
  @Timeout(30)
  void denyPolicyIsNamedInTheBody() throws IOException {
    mesh.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: AuthorizationPolicy
        metadata: {name: no-jobs, namespace: shop}
        spec:
          service: pricing.shop
          action: DENY
          rules:
            - namespaces: [jobs]
        """);

    assertThat(call("GET", "/prices/1", FRONTEND)).isEqualTo("200 price");
    assertThat(call("GET", "/prices/1", BATCH))
        .isEqualTo("403 mesh4j: denied for pricing.shop (AuthorizationPolicy shop/no-jobs denies " + BATCH + ")");
  }

  @Test
  @Timeout(30)
  void requestsOverTheServerRateLimitGet429WithTheMeshMessage() throws IOException {
    mesh.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: DestinationPolicy
        metadata: {name: pricing, namespace: shop}
        spec:
          destination: pricing.shop
          serverRateLimit: {requestsPerSecond: 0.001, burst: 3}
        """);

    for (int i = 0; i < 3; i++) {
      assertThat(call("GET", "/prices/1", FRONTEND)).isEqualTo("200 price");
    }
    assertThat(call("GET", "/prices/1", FRONTEND))
        .startsWith("429 mesh4j: rate limited for pricing.shop (server limit");
  }
}
