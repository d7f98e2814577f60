package io.mesh4j.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.mesh4j.core.testing.TestMesh;
import io.mesh4j.http.testing.OkHttpMesh;
import java.io.IOException;
import java.util.List;
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
    echoWith(
        server,
        """
        - filters:
            - type: ResponseHeaderModifier
              responseHeaderModifier:
                set: [{name: x-server, value: mesh}]
                add: [{name: x-route, value: echo}]
                remove: [x-internal]
          backendRefs: [{name: echo, port: 80}]
        """);

    try (Response response =
        http.client().newCall(new Request.Builder().url("http://echo.shop/items").build()).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.headers("x-server")).containsExactly("mesh");
      assertThat(response.headers("x-route")).containsExactly("echo");
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

  @Test
  void anHttpRoutesRetryReplaysAGetAnsweredWithAListedStatusAndNothingElse() throws IOException {
    WireMockServer server = http.servers().start("ok");
    // Each path's first request fails, the next succeeds.
    for (String path : List.of("/listed", "/unlisted")) {
      server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(path).inScenario(path)
          .whenScenarioStateIs(com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED)
          .willReturn(aResponse().withStatus(path.equals("/listed") ? 500 : 502)).willSetStateTo("recovered"));
      server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(path).inScenario(path)
          .whenScenarioStateIs("recovered").willReturn(aResponse().withStatus(200).withBody("recovered")));
    }
    echoWith(
        server,
        """
        - retry: {codes: [500, 503], attempts: 2, backoff: 1ms}
          backendRefs: [{name: echo, port: 80}]
        """);

    try (Response response = http.client().newCall(new Request.Builder().url("http://echo.shop/listed").build()).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.body().string()).isEqualTo("recovered");
    }
    try (Response response = http.client().newCall(new Request.Builder().url("http://echo.shop/unlisted").build()).execute()) {
      assertThat(response.code()).isEqualTo(502);
    }
    assertThat(server.findAll(RequestPatternBuilder.allRequests()))
        .extracting(LoggedRequest::getUrl).containsExactly("/listed", "/listed", "/unlisted");
  }

  private void echoWith(WireMockServer server, String rules) {
    echoWith(server, "", rules);
  }

  /** {@code echo.shop} on {@code server}, with {@code more} resources and an HTTPRoute of {@code rules}. */
  private void echoWith(WireMockServer server, String more, String rules) {
    mesh.apply(
        more
            + """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: echo, namespace: shop}
        spec: {service: echo, endpoints: [{address: 127.0.0.1, port: %d}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: echo, namespace: shop}
        spec:
          parentRefs: [{kind: Service, name: echo}]
          rules:
        """.formatted(server.port())
            + rules.indent(4));
  }

  @Test
  void aUrlRewriteSendsTheRequestWithTheNewPathAndHost() throws IOException {
    WireMockServer server = http.servers().start("echo");
    echoWith(
        server,
        """
        - matches: [{path: {type: PathPrefix, value: /prefix/one}}]
          filters:
            - type: URLRewrite
              urlRewrite: {hostname: one.example.org, path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}
          backendRefs: [{name: echo, port: 80}]
        - matches: [{path: {type: PathPrefix, value: /full}}]
          filters:
            - type: URLRewrite
              urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /replaced}}
          backendRefs: [{name: echo, port: 80}]
        """);

    assertThat(get("http://echo.shop/prefix/one/two?x=1")).isEqualTo("echo");
    assertThat(get("http://echo.shop/full/path")).isEqualTo("echo");

    List<LoggedRequest> seen = server.findAll(RequestPatternBuilder.allRequests());
    assertThat(seen).extracting(LoggedRequest::getUrl).containsExactly("/one/two?x=1", "/replaced");
    assertThat(seen).extracting(r -> r.getHeader("Host")).containsExactly("one.example.org", "echo.shop");
  }

  @Test
  void aRequestRedirectIsAnsweredToTheApplicationAndNothingIsSent() throws IOException {
    WireMockServer server = http.servers().start("echo");
    echoWith(
        server,
        """
        - matches: [{path: {type: PathPrefix, value: /moved}}]
          filters:
            - type: RequestRedirect
              requestRedirect: {hostname: example.org, statusCode: 301, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}
        - matches: [{path: {type: Exact, value: /secure}}]
          filters:
            - type: RequestRedirect
              requestRedirect: {scheme: https, statusCode: 308}
        - matches: [{path: {type: Exact, value: /port}}]
          filters:
            - type: RequestRedirect
              requestRedirect: {port: 8083, statusCode: 307}
        - matches: [{path: {type: Exact, value: /see-other}}]
          filters:
            - type: RequestRedirect
              requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /other}, statusCode: 303}
        - backendRefs: [{name: echo, port: 80}]
        """);

    assertRedirect("http://echo.shop/moved/a?b=c", 301, "http://example.org/new/a?b=c");
    assertRedirect("http://echo.shop:8080/secure", 308, "https://echo.shop/secure");
    assertRedirect("http://echo.shop/port", 307, "http://echo.shop:8083/port");
    assertRedirect("http://echo.shop/see-other", 303, "http://echo.shop/other");
    // The mesh never follows a redirect, and sends nothing for one.
    assertThat(server.findAll(RequestPatternBuilder.allRequests())).isEmpty();
    assertThat(get("http://echo.shop/elsewhere")).isEqualTo("echo");
  }

  @Test
  void aRouteForOneServicePortTakesOnlyCallsToThatPort() throws IOException {
    WireMockServer v1 = http.servers().start("v1");
    WireMockServer v2 = http.servers().start("v2");
    mesh.apply(
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: echo, namespace: shop}
        spec: {service: echo, endpoints: [{address: 127.0.0.1, port: %d}]}
        ---
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: echo-v2, namespace: shop}
        spec: {service: echo-v2, endpoints: [{address: 127.0.0.1, port: %d}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: echo-8080, namespace: shop}
        spec:
          parentRefs: [{group: "", kind: Service, name: echo, port: 8080}]
          rules: [{backendRefs: [{name: echo-v2, port: 8080}]}]
        """.formatted(v1.port(), v2.port()));

    assertThat(get("http://echo.shop:8080/")).isEqualTo("v2");
    // Port 80 has no route: the Service's own endpoints.
    assertThat(get("http://echo.shop/")).isEqualTo("v1");
  }

  @Test
  void aRouteAppliesToCallsToItsServiceNotToCallsStraightToAnEndpoint() throws IOException {
    WireMockServer server = http.servers().start("echo");
    echoWith(
        server,
        """
        - filters:
            - type: ResponseHeaderModifier
              responseHeaderModifier: {set: [{name: X-Header-Set, value: set}]}
          backendRefs: [{name: echo, port: 80}]
        """);

    try (Response viaService = http.client().newCall(new Request.Builder().url("http://echo.shop/").build()).execute();
        Response direct = http.client().newCall(
            new Request.Builder().url("http://127.0.0.1:" + server.port() + "/").build()).execute()) {
      assertThat(viaService.header("X-Header-Set")).isEqualTo("set");
      // An address the mesh does not know is not a destination: no route, no change.
      assertThat(direct.code()).isEqualTo(200);
      assertThat(direct.header("X-Header-Set")).isNull();
    }
  }

  @Test
  void aRequestMirrorCopiesCallsToAnotherServiceAndTheApplicationSeesOnlyTheRealAnswer() throws IOException {
    WireMockServer server = http.servers().start("echo");
    WireMockServer shadow = http.servers().start("shadow");
    echoWith(
        server,
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: echo-shadow, namespace: shop}
        spec: {service: echo-shadow, endpoints: [{address: 127.0.0.1, port: %d}]}
        ---
        """.formatted(shadow.port()),
        """
        - filters:
            - type: RequestMirror
              requestMirror: {backendRef: {name: echo-shadow, port: 80}}
          backendRefs: [{name: echo, port: 80}]
        """);

    assertThat(get("http://echo.shop/items")).isEqualTo("echo");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> shadow.findAll(RequestPatternBuilder.allRequests()).size() == 1);
    assertThat(shadow.findAll(RequestPatternBuilder.allRequests()).get(0).getUrl()).isEqualTo("/items");
  }

  private void assertRedirect(String url, int status, String location) throws IOException {
    try (Response response = http.client().newCall(new Request.Builder().url(url).build()).execute()) {
      assertThat(response.code()).as(url).isEqualTo(status);
      assertThat(response.header("Location")).as(url).isEqualTo(location);
    }
  }

  private String get(String url) throws IOException {
    try (Response response = http.client().newCall(new Request.Builder().url(url).build()).execute()) {
      return response.body().string();
    }
  }
}
