package io.mesh4j.http;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.tls.MeshTls;
import java.net.http.HttpClient;
import java.util.Objects;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Entry points for meshed clients of Spring's {@link WebClient}. Requests whose host is a
 * destination of the mesh ({@code http://catalog.shop/items}) are routed by the engine; requests
 * to other hosts pass through untouched. Nothing blocks: waits are scheduled on the mesh's timer
 * and per-try timeouts on Reactor's parallel scheduler, and cancelling the subscription cancels
 * the call at once, a pending wait included.
 *
 * <pre>{@code
 * WebClient client = MeshWebClient.install(mesh, WebClient.builder()).build();
 * }</pre>
 *
 * <p>A body is written again for a retry by the request's inserter: a value ({@code bodyValue})
 * always can be; a publisher is subscribed again, so it must be cold ({@code Flux.just}, {@code
 * Mono.fromCallable}). Mark a request whose body can be sent only once with {@link
 * #ONE_SHOT_BODY}: it is then neither retried nor mirrored.
 */
public final class MeshWebClient {

  /**
   * The request attribute ({@code .attribute(MeshWebClient.ONE_SHOT_BODY, true)}) of a request
   * whose body publisher cannot be subscribed twice.
   */
  public static final String ONE_SHOT_BODY = "io.mesh4j.http.oneShotBody";

  private MeshWebClient() {}

  /**
   * The mesh's filter. Each attempt names the logical authority in {@code Host}, which Reactor
   * Netty, Jetty and Apache HttpComponents send; Java's HttpClient refuses the header, so with
   * {@link JdkClientHttpConnector} use {@link #install(Mesh, WebClient.Builder,
   * ClientHttpConnector)}. Add it after the filters that should see each logical call once: it
   * exchanges the rest of the chain once per attempt, and once more for a mirror copy.
   */
  public static ExchangeFilterFunction filter(Mesh mesh) {
    return new MeshExchangeFilter(mesh.outbound(), false, true);
  }

  /** Adds the mesh's filter to {@code builder}, after the filters it has. */
  public static WebClient.Builder install(Mesh mesh, WebClient.Builder builder) {
    return builder.filter(filter(mesh));
  }

  /**
   * Sets {@code connector} on {@code builder} and adds the mesh's filter, naming the logical
   * authority in {@code Host} where the connector sends it (on Java's HttpClient only when the
   * JVM allows restricted headers).
   */
  public static WebClient.Builder install(
      Mesh mesh, WebClient.Builder builder, ClientHttpConnector connector) {
    return builder
        .clientConnector(connector)
        .filter(new MeshExchangeFilter(mesh.outbound(), false, keepsHost(connector)));
  }

  /**
   * The mesh's filter for mutual TLS to mesh destinations, naming the logical authority in {@code
   * Host}: each attempt goes to its endpoint over {@code https} (the application keeps writing
   * {@code http://catalog.shop/...}). The connector must present the workload's certificate and
   * check the server's SPIFFE ID: one built on {@code tls}'s key manager and {@code
   * tls.clientTrustManager(tls.expectedPeers())}, such as Reactor Netty's with Netty's {@code
   * SslContextBuilder}.
   */
  public static ExchangeFilterFunction mtlsFilter(Mesh mesh) {
    return new MeshExchangeFilter(mesh.outbound(), true, true);
  }

  /**
   * {@code builder} with mutual TLS to mesh destinations: its connector becomes Java's HttpClient
   * with {@code tls}'s SSL context, and each attempt goes to its endpoint over {@code https} (the
   * application keeps writing {@code http://catalog.shop/...}), presenting the workload's current
   * certificate; the server must present the SPIFFE ID the policy gives that endpoint (any ID of
   * the trust domain when it names none), which {@code tls}'s trust manager checks during the
   * handshake. Requests to hosts outside the mesh use the same TLS settings, so give them a
   * client of their own.
   */
  public static WebClient.Builder installMtls(Mesh mesh, MeshTls tls, WebClient.Builder builder) {
    Objects.requireNonNull(tls, "tls");
    ClientHttpConnector connector =
        new JdkClientHttpConnector(
            HttpClient.newBuilder().sslContext(tls.clientContext(tls.expectedPeers())).build());
    return builder
        .clientConnector(connector)
        .filter(new MeshExchangeFilter(mesh.outbound(), true, keepsHost(connector)));
  }

  private static boolean keepsHost(ClientHttpConnector connector) {
    return !(connector instanceof JdkClientHttpConnector) || MeshExchange.HOST_SETTABLE;
  }
}
