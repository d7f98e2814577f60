package io.mesh4j.http;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.MeshFailure;
import io.mesh4j.core.testing.conformance.ServerAdapterConformance;
import jakarta.servlet.DispatcherType;
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

/** The server conformance kit against the servlet filter, in a real Jetty on loopback. */
class ServletConformanceTest extends ServerAdapterConformance {

  @Override
  protected Service serve(Mesh mesh) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.addFilter(
        new FilterHolder(MeshServletFilter.forService(mesh, "pricing.shop")),
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
    int port = connector.getLocalPort();
    OkHttpClient client = new OkHttpClient();
    return new Service() {
      @Override
      public Result call(Operation operation) throws IOException {
        String path = operation == Operation.READ ? "/read" : "/admin";
        Request request = new Request.Builder().url("http://127.0.0.1:" + port + path).build();
        try (Response response = client.newCall(request).execute()) {
          return new Result(Integer.toString(response.code()), response.body().string().strip());
        }
      }

      @Override
      public void close() throws Exception {
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
        server.stop();
      }
    };
  }

  @Override
  protected String rule(Operation operation) {
    return operation == Operation.READ ? "paths: [/read]" : "paths: [/admin]";
  }

  @Override
  protected String status(MeshFailure.Reason reason) {
    return Integer.toString(MeshFailure.of(reason, "pricing.shop", null, "").httpStatus());
  }

  @Override
  protected String okStatus() {
    return "200";
  }
}
