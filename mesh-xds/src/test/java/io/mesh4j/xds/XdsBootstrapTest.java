package io.mesh4j.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Reading the standard gRPC xDS bootstrap, and what a bad one is told. */
@Timeout(30)
class XdsBootstrapTest {

  private static final String ISTIO = """
      {
        "xds_servers": [{
          "server_uri": "istiod.istio-system.svc:15010",
          "channel_creds": [{"type": "google_default"}, {"type": "insecure"}],
          "server_features": ["xds_v3"]
        }],
        "node": {
          "id": "sidecar~10.0.0.7~frontend-1.shop~shop.svc.cluster.local",
          "cluster": "frontend",
          "locality": {"region": "eu", "zone": "eu-a", "sub_zone": "rack-1"},
          "metadata": {"GENERATOR": "grpc", "NAMESPACE": "shop", "LABELS": {"app": "frontend"}, "PORTS": [8080]}
        },
        "certificate_providers": {}
      }
      """;

  @Test
  void readsTheServerItsFirstSupportedCredentialsAndTheNode() {
    XdsBootstrap b = XdsBootstrap.parse(ISTIO, "test");
    assertThat(b.serverUri()).isEqualTo("istiod.istio-system.svc:15010");
    assertThat(b.credentials()).isEqualTo(XdsBootstrap.Credentials.INSECURE);
    assertThat(b.trustedRoots()).isNull();
    assertThat(b.node().getId()).isEqualTo("sidecar~10.0.0.7~frontend-1.shop~shop.svc.cluster.local");
    assertThat(b.node().getCluster()).isEqualTo("frontend");
    assertThat(b.node().getLocality().getZone()).isEqualTo("eu-a");
    assertThat(b.node().getLocality().getSubZone()).isEqualTo("rack-1");
    assertThat(b.node().getMetadata().getFieldsOrThrow("GENERATOR").getStringValue()).isEqualTo("grpc");
    assertThat(b.node().getMetadata().getFieldsOrThrow("LABELS").getStructValue().getFieldsOrThrow("app")
        .getStringValue()).isEqualTo("frontend");
    assertThat(b.node().getMetadata().getFieldsOrThrow("PORTS").getListValue().getValues(0).getNumberValue())
        .isEqualTo(8080.0);
    assertThat(b.node().getUserAgentName()).isEqualTo("mesh4j");
  }

  @Test
  void tlsCredentialsTakeTheirCaFile() {
    XdsBootstrap b = XdsBootstrap.parse("""
        {"xds_servers": [{"server_uri": "td:443", "channel_creds": [{"type": "tls",
          "config": {"ca_certificate_file": "/etc/ca.pem"}}]}]}
        """, "test");
    assertThat(b.credentials()).isEqualTo(XdsBootstrap.Credentials.TLS);
    assertThat(b.trustedRoots()).isEqualTo(Path.of("/etc/ca.pem"));
    assertThat(b.node().getId()).isEmpty();
  }

  @Test
  void badBootstrapsAreRefusedNamingTheField() {
    assertThatThrownBy(() -> XdsBootstrap.parse("{", "b.json"))
        .hasMessageStartingWith("xDS bootstrap b.json: not JSON");
    assertThatThrownBy(() -> XdsBootstrap.parse("{}", "b.json"))
        .hasMessage("xDS bootstrap b.json: xds_servers: is required");
    assertThatThrownBy(() -> XdsBootstrap.parse("{\"xds_servers\": []}", "b.json"))
        .hasMessage("xDS bootstrap b.json: xds_servers: must name at least one server, got []");
    assertThatThrownBy(() -> XdsBootstrap.parse("{\"xds_servers\": [{\"channel_creds\": []}]}", "b.json"))
        .hasMessage("xDS bootstrap b.json: xds_servers[0].server_uri: is required");
    assertThatThrownBy(() -> XdsBootstrap.parse("{\"xds_servers\": [{\"server_uri\": 5}]}", "b.json"))
        .hasMessage("xDS bootstrap b.json: xds_servers[0].server_uri: must be a string, got 5");
    assertThatThrownBy(() -> XdsBootstrap.parse("{\"xds_servers\": [{\"server_uri\": \"x:1\"}]}", "b.json"))
        .hasMessage("xDS bootstrap b.json: xds_servers[0].channel_creds: is required");
    assertThatThrownBy(() -> XdsBootstrap.parse(
            "{\"xds_servers\": [{\"server_uri\": \"x:1\", \"channel_creds\": [{\"type\": \"google_default\"}]}]}", "b.json"))
        .hasMessage("xDS bootstrap b.json: xds_servers[0].channel_creds: must include a type mesh4j supports"
            + " (insecure, tls), got [google_default]");
    assertThatThrownBy(() -> XdsBootstrap.parse(
            "{\"xds_servers\": [{\"server_uri\": \"x:1\", \"channel_creds\": [{\"type\": \"insecure\"}]}],"
                + " \"node\": {\"id\": 7}}", "b.json"))
        .hasMessage("xDS bootstrap b.json: node.id: must be a string, got 7");
  }

  @Test
  void theEnvironmentNamesAFileOrHoldsTheJson(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bootstrap.json");
    Files.writeString(file, ISTIO, StandardCharsets.UTF_8);
    assertThat(XdsBootstrap.fromEnvironment(Map.of("GRPC_XDS_BOOTSTRAP", file.toString())).serverUri())
        .isEqualTo("istiod.istio-system.svc:15010");
    assertThat(XdsBootstrap.fromEnvironment(Map.of("GRPC_XDS_BOOTSTRAP_CONFIG", ISTIO)).serverUri())
        .isEqualTo("istiod.istio-system.svc:15010");
    assertThatThrownBy(() -> XdsBootstrap.fromEnvironment(Map.of()))
        .hasMessageContaining("neither GRPC_XDS_BOOTSTRAP (a file) nor GRPC_XDS_BOOTSTRAP_CONFIG (JSON) is set");
    assertThatThrownBy(() -> XdsBootstrap.fromEnvironment(Map.of("GRPC_XDS_BOOTSTRAP", dir.resolve("none").toString())))
        .hasMessageContaining("cannot read it");
  }
}
