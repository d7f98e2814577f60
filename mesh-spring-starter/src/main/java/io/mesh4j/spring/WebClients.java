package io.mesh4j.spring;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.tls.MeshTls;
import io.mesh4j.http.MeshWebClient;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.util.ClassUtils;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The {@code WebClient} half of {@link MeshClientPostProcessor}, in a class of its own so that
 * Spring's reactive client is loaded only when a field asks for one.
 */
final class WebClients {

  private WebClients() {}

  /**
   * A {@code WebClient} with the mesh's filter, built from a clone of the application's {@code
   * WebClient.Builder} (Boot's carries its codecs, connector and observations) when it has one.
   * With a destination, relative URIs go to {@code http://<destination>}.
   */
  static Object client(BeanFactory beans, Mesh mesh, String destination, boolean mtls) {
    WebClient.Builder builder =
        beans.getBeanProvider(WebClient.Builder.class).getIfAvailable(WebClient::builder).clone();
    if (mtls) {
      MeshWebClient.installMtls(mesh, MeshTls.forMesh(mesh), builder);
    } else if (javaHttpClientOnly()) {
      // the connector Spring would pick; it refuses a Host header, so the filter must know
      MeshWebClient.install(mesh, builder, new JdkClientHttpConnector());
    } else {
      MeshWebClient.install(mesh, builder);
    }
    if (!destination.isBlank()) {
      builder.baseUrl("http://" + destination);
    }
    return builder.build();
  }

  /** Whether none of the connectors Spring prefers to Java's HttpClient is on the class path. */
  private static boolean javaHttpClientOnly() {
    ClassLoader loader = WebClients.class.getClassLoader();
    return !ClassUtils.isPresent("reactor.netty.http.client.HttpClient", loader)
        && !ClassUtils.isPresent("org.eclipse.jetty.client.HttpClient", loader)
        && !ClassUtils.isPresent("org.apache.hc.client5.http.impl.async.HttpAsyncClients", loader);
  }
}
