package io.mesh4j.http;

import static io.mesh4j.core.testing.MtlsWorkload.endpoints;
import static io.mesh4j.core.testing.MtlsWorkload.meshConfig;
import static io.mesh4j.http.MtlsHttpTest.CATALOG_ID;
import static io.mesh4j.http.MtlsHttpTest.PRICING_ID;
import static io.mesh4j.http.MtlsHttpTest.WEB_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.mesh4j.core.testing.MtlsWorkload;
import io.mesh4j.core.tls.MeshTls;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;

/**
 * Mutual TLS from RestClient and WebClient under the mesh to the servlet container of {@link
 * MtlsHttpTest}, on loopback: the application writes {@code http://catalog.shop}, the attempt
 * goes over TLS with the workload's certificate (on Java's HttpClient with the mesh's SSL
 * context, and WebClient also on Reactor Netty), and a server with the wrong identity is refused.
 */
@Timeout(60)
class MtlsSpringHttpTest {

  private final MtlsHttpTest tls = new MtlsHttpTest();

  @AfterEach
  void close() throws Exception {
    tls.close();
  }

  private MtlsWorkload web(MtlsWorkload server) throws Exception {
    int port = tls.server(server);
    return tls.workload(WEB_ID, Duration.ofMinutes(10))
        .apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, port));
  }

  private static RestClient restClient(MtlsWorkload web) {
    return MeshRestClient.installMtls(web.mesh(), MeshTls.forMesh(web.mesh()), RestClient.builder())
        .build();
  }

  private static WebClient webClient(MtlsWorkload web) {
    return MeshWebClient.installMtls(web.mesh(), MeshTls.forMesh(web.mesh()), WebClient.builder())
        .build();
  }

  @Test
  void aRestClientCallToAMeshDestinationGoesOverMutualTls() throws Exception {
    MtlsWorkload web =
        web(tls.workload(CATALOG_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT")));

    String body = restClient(web).get().uri("http://catalog.shop/items").retrieve().body(String.class);

    assertThat(body).isEqualTo("catalog:/items");
    // the server saw the client's certificate: the TLS was mutual
    assertThat(tls.clientSerials).hasSize(1);
  }

  @Test
  void aWebClientCallToAMeshDestinationGoesOverMutualTls() throws Exception {
    MtlsWorkload web =
        web(tls.workload(CATALOG_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT")));

    String body =
        webClient(web)
            .get()
            .uri("http://catalog.shop/items")
            .retrieve()
            .bodyToMono(String.class)
            .block(Duration.ofSeconds(10));

    assertThat(body).isEqualTo("catalog:/items");
    assertThat(tls.clientSerials).hasSize(1);
  }

  @Test
  void aWebClientOnReactorNettyWithTheMeshsSslContextGoesOverMutualTls() throws Exception {
    MtlsWorkload web =
        web(tls.workload(CATALOG_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT")));
    MeshTls meshTls = MeshTls.forMesh(web.mesh());
    SslContext ssl =
        SslContextBuilder.forClient()
            .keyManager(meshTls.keyManager())
            .trustManager(meshTls.clientTrustManager(meshTls.expectedPeers()))
            .build();
    WebClient client =
        WebClient.builder()
            .clientConnector(
                new ReactorClientHttpConnector(HttpClient.create().secure(spec -> spec.sslContext(ssl))))
            .filter(MeshWebClient.mtlsFilter(web.mesh()))
            .build();

    String body =
        client.get().uri("http://catalog.shop/items").retrieve().bodyToMono(String.class).block(Duration.ofSeconds(10));

    assertThat(body).isEqualTo("catalog:/items");
    assertThat(tls.clientSerials).hasSize(1);
  }

  @Test
  void aServerWhoseIdentityIsNotTheExpectedDestinationIsRefusedByBoth() throws Exception {
    MtlsWorkload web =
        web(tls.workload(PRICING_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT")));
    String refusal = "presented " + PRICING_ID + ", expected " + CATALOG_ID;

    Throwable rest =
        catchThrowable(() -> restClient(web).get().uri("http://catalog.shop/items").retrieve().toBodilessEntity());
    Throwable reactive =
        catchThrowable(
            () ->
                webClient(web)
                    .get()
                    .uri("http://catalog.shop/items")
                    .retrieve()
                    .toBodilessEntity()
                    .block(Duration.ofSeconds(10)));

    assertThat(MtlsHttpTest.causes(rest)).contains(refusal);
    assertThat(MtlsHttpTest.causes(reactive)).contains(refusal);
    assertThat(tls.served).hasValue(0);
  }
}
