package io.mesh4j.http;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.tls.MeshTls;
import java.net.http.HttpClient;
import java.util.Objects;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;

/**
 * Entry points for meshed clients of Spring's {@link RestClient} and {@link RestTemplate}, with
 * any request factory (Java's HttpClient, Reactor Netty, Jetty, Apache HttpComponents, {@code
 * HttpURLConnection}). Requests whose host is a destination of the mesh ({@code
 * http://catalog.shop/items}) are routed by the engine; requests to other hosts pass through
 * untouched.
 *
 * <pre>{@code
 * RestClient client = MeshRestClient.install(mesh, RestClient.builder()).build();
 * RestTemplate template = MeshRestClient.install(mesh, new RestTemplate());
 * }</pre>
 *
 * <p>The call runs on the caller's thread. Every body is replayed for a retry (Spring buffers it
 * before interceptors run). A per-try timeout interrupts the calling thread, which aborts the
 * exchange of the factories on Java's HttpClient and Reactor Netty; {@code HttpURLConnection}
 * does not answer interrupts, so use {@link #simpleRequestFactory()} rather than a plain {@code
 * SimpleClientHttpRequestFactory}. Interrupting the caller cancels the call, waits included.
 */
public final class MeshRestClient {

  private MeshRestClient() {}

  /**
   * The mesh's interceptor. Add it after the interceptors that should see each logical call once:
   * it executes the rest of the chain once per attempt, and once more for a mirror copy.
   */
  public static ClientHttpRequestInterceptor interceptor(Mesh mesh) {
    return new MeshRestInterceptor(mesh.outbound(), false);
  }

  /** Adds the mesh's interceptor to {@code builder}, after the interceptors it has. */
  public static RestClient.Builder install(Mesh mesh, RestClient.Builder builder) {
    return builder.requestInterceptor(interceptor(mesh));
  }

  /** Adds the mesh's interceptor to {@code template}, after the interceptors it has. */
  public static RestTemplate install(Mesh mesh, RestTemplate template) {
    template.getInterceptors().add(interceptor(mesh));
    return template;
  }

  /**
   * A {@link SimpleClientHttpRequestFactory} ({@code HttpURLConnection}) that bounds each meshed
   * attempt by its per-try timeout: it sets the attempt's timeout as the connection's connect and
   * read timeout, where it is shorter than the factory's own ({@code setConnectTimeout}, {@code
   * setReadTimeout}), since {@code HttpURLConnection} answers no interrupt.
   */
  public static SimpleClientHttpRequestFactory simpleRequestFactory() {
    return new MeshSimpleRequestFactory();
  }

  /**
   * The mesh's interceptor for mutual TLS to mesh destinations: each attempt goes to its endpoint
   * over {@code https} (the application keeps writing {@code http://catalog.shop/...}). The
   * request factory must present the workload's certificate and check the server's SPIFFE ID:
   * {@link #mtlsRequestFactory(MeshTls)}, or one of your own on {@code tls}'s SSL context.
   */
  public static ClientHttpRequestInterceptor mtlsInterceptor(Mesh mesh) {
    return new MeshRestInterceptor(mesh.outbound(), true);
  }

  /**
   * A request factory on Java's HttpClient with {@code tls}'s SSL context: it presents the
   * workload's current certificate, and the server must present the SPIFFE ID the policy gives
   * the endpoint (any ID of the trust domain when it names none), which {@code tls}'s trust
   * manager checks during the handshake. Requests to hosts outside the mesh use the same TLS
   * settings, so give them a client of their own.
   */
  public static JdkClientHttpRequestFactory mtlsRequestFactory(MeshTls tls) {
    Objects.requireNonNull(tls, "tls");
    return new JdkClientHttpRequestFactory(
        HttpClient.newBuilder().sslContext(tls.clientContext(tls.expectedPeers())).build());
  }

  /**
   * {@code builder} with mutual TLS to mesh destinations: {@link #mtlsRequestFactory(MeshTls)}
   * replaces its request factory, and {@link #mtlsInterceptor(Mesh)} is added.
   */
  public static RestClient.Builder installMtls(Mesh mesh, MeshTls tls, RestClient.Builder builder) {
    return builder.requestFactory(mtlsRequestFactory(tls)).requestInterceptor(mtlsInterceptor(mesh));
  }
}
