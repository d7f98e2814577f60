package io.mesh4j.http;

import static io.mesh4j.core.testing.MtlsWorkload.endpoints;
import static io.mesh4j.core.testing.MtlsWorkload.meshConfig;
import static io.mesh4j.http.MtlsHttpTest.CATALOG_ID;
import static io.mesh4j.http.MtlsHttpTest.PRICING_ID;
import static io.mesh4j.http.MtlsHttpTest.WEB_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.mesh4j.core.testing.MtlsWorkload;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Mutual TLS from Java's HttpClient under the mesh to the servlet container of {@link
 * MtlsHttpTest}, on loopback: the application writes {@code http://catalog.shop}, the attempt
 * goes over TLS with the workload's certificate, and a server with the wrong identity is refused.
 */
@Timeout(60)
class MtlsJdkHttpTest {

  private final MtlsHttpTest tls = new MtlsHttpTest();

  @AfterEach
  void close() throws Exception {
    tls.close();
  }

  private static HttpResponse<String> get(HttpClient client) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://catalog.shop/items"))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aCallToAMeshDestinationGoesOverMutualTls() throws Exception {
    MtlsWorkload catalog =
        tls.workload(CATALOG_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    int port = tls.server(catalog);
    MtlsWorkload web =
        tls.workload(WEB_ID, Duration.ofMinutes(10))
            .apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, port));

    HttpResponse<String> response = get(MeshJdkHttp.clientWithMtls(web.mesh()));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("catalog:/items");
    assertThat(response.uri().getScheme()).isEqualTo("https");
    // the server saw the client's certificate: the TLS was mutual
    assertThat(tls.clientSerials).hasSize(1);
  }

  @Test
  void aServerWhoseIdentityIsNotTheExpectedDestinationIsRefused() throws Exception {
    MtlsWorkload pricing =
        tls.workload(PRICING_ID, Duration.ofMinutes(10)).apply(meshConfig("STRICT"));
    int port = tls.server(pricing);
    MtlsWorkload web =
        tls.workload(WEB_ID, Duration.ofMinutes(10))
            .apply(meshConfig("STRICT") + endpoints("catalog.shop", CATALOG_ID, port));

    Throwable t = catchThrowable(() -> get(MeshJdkHttp.clientWithMtls(web.mesh())));

    assertThat(MtlsHttpTest.causes(t))
        .contains(
            "mesh4j: peer 127.0.0.1:" + port + " presented " + PRICING_ID + ", expected " + CATALOG_ID);
    assertThat(tls.served).hasValue(0);
  }
}
