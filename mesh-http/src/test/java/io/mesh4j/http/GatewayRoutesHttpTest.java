package io.mesh4j.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.http.testing.OkHttpMesh;
import java.io.IOException;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Gateway API routes on real OkHttp calls: what only HTTP has (query parameters, responses' headers). */
@Timeout(30)
class GatewayRoutesHttpTest {

  @RegisterExtension final OkHttpMesh http = new OkHttpMesh();
  private final TestMesh mesh = http.mesh();

  @Test
  void anHttpRoutesResponseHeaderModifierChangesTheResponseBeforeTheApplicationReadsIt() throws IOException {
    WireMockServer server =
        http.servers().start(aResponse().withStatus(200).withHeader("x-server", "origin").withHeader("x-internal", "secret").withBody("ok"));
    mesh.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec: {service: catalog, endpoints: [{address: 127.0.0.1, port: %d}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          parentRefs: [{kind: Service, name: catalog}]
          rules:
            - filters:
                - type: ResponseHeaderModifier
                  responseHeaderModifier:
                    set: [{name: x-server, value: mesh}]
                    add: [{name: x-route, value: catalog}]
                    remove: [x-internal]
              backendRefs: [{name: catalog, port: %d}]
        """.formatted(server.port(), server.port()));

    try (Response response =
        http.client().newCall(new Request.Builder().url("http://catalog.shop/items").build()).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.headers("x-server")).containsExactly("mesh");
      assertThat(response.headers("x-route")).containsExactly("catalog");
      assertThat(response.header("x-internal")).isNull();
      assertThat(response.body().string()).isEqualTo("ok");
    }
  }

  @Test
  void aQueryParameterMatchSendsTheCallToItsBackendService() throws IOException {
    WireMockServer whales = http.servers().start("whales");
    WireMockServer others = http.servers().start("others");
    mesh.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog-whales, namespace: shop}
        spec: {service: catalog-whales, endpoints: [{address: 127.0.0.1, port: %d}]}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: catalog, namespace: shop}
        spec: {service: catalog, endpoints: [{address: 127.0.0.1, port: %d}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          parentRefs: [{kind: Service, name: catalog}]
          rules:
            - backendRefs: [{name: catalog, port: 80}]
            - matches: [{queryParams: [{name: animal, value: whale}]}]
              backendRefs: [{name: catalog-whales, port: 80}]
        """.formatted(whales.port(), others.port()));

    assertThat(get("http://catalog.shop/items?animal=whale&animal=dolphin")).isEqualTo("whales");
    assertThat(get("http://catalog.shop/items?animal=dolphin&animal=whale")).isEqualTo("others");
    assertThat(get("http://catalog.shop/items")).isEqualTo("others");
  }

  private String get(String url) throws IOException {
    try (Response response = http.client().newCall(new Request.Builder().url(url).build()).execute()) {
      return response.body().string();
    }
  }
}
