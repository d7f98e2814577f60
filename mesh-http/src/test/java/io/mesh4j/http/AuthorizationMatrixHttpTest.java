package io.mesh4j.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.testing.AuthorizationMatrix;
import io.mesh4j.core.testing.AuthorizationMatrix.Case;
import io.mesh4j.core.testing.TestMesh;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.stream.Stream;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.FilterHolder;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The authorization matrix's HTTP cases through real requests to Jetty on 127.0.0.1 behind
 * {@link MeshServletFilter}: allowed requests reach the servlet ({@code 200}, and the body names
 * the path the container routed on), denied ones get {@code 403} with the policy's name. The
 * caller's identity comes from a test header here; the mTLS tests prove the certificate path.
 */
@Timeout(60)
class AuthorizationMatrixHttpTest {

  private static final String PEER_ATTRIBUTE = "test.peer";

  private static final TestMesh mesh = new TestMesh();
  private static final Server server = new Server();
  private static final OkHttpClient client =
      new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10)).build();
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    mesh.apply(AuthorizationMatrix.POLICIES);
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    // A lenient container that routes //admin like /admin (as Tomcat does): the filter, not the
    // container's strictness, must keep the DENY rule from being sidestepped.
    connector.getConnectionFactory(HttpConnectionFactory.class).getHttpConfiguration().setUriCompliance(UriCompliance.LEGACY);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
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
                mesh.mesh(), AuthorizationMatrix.HTTP_SERVICE, PeerIdentityResolver.fromAttribute(PEER_ATTRIBUTE))),
        "/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(
        new ServletHolder(
            new HttpServlet() {
              @Override
              protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                resp.setContentType("text/plain");
                resp.getWriter().write("served " + req.getPathInfo());
              }
            }),
        "/*");
    server.setHandler(context);
    server.start();
    port = connector.getLocalPort();
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
    mesh.close();
  }

  static Stream<Case> cases() {
    return AuthorizationMatrix.HTTP.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachCaseHasItsExactStatusAndBody(Case c) throws IOException {
    Request.Builder request =
        new Request.Builder()
            .url("http://127.0.0.1:" + port + c.path())
            .method(c.httpMethod(), c.httpMethod().equals("POST") ? RequestBody.create(new byte[0]) : null);
    if (c.peer() != null) {
      request.header("x-test-peer", c.peer());
    }
    try (Response response = client.newCall(request.build()).execute()) {
      String body = response.body().string().trim();
      if (c.denial() == null) {
        assertThat(response.code() + " " + body).isEqualTo("200 served " + c.path());
      } else {
        assertThat(response.code() + " " + body).isEqualTo("403 " + c.message());
      }
    }
  }
}
