package io.mesh4j.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.source.StaticConfigSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The SPIFFE ID the policy requires of an endpoint, as TLS trust managers look it up. */
@Timeout(10)
class EndpointIdentityTest {

  static String endpoints(String name, String identity, int port) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: %s, namespace: shop}
        spec:
          service: %s.shop
          endpoints:
            - {address: 127.0.0.1, port: %d, identity: "%s"}
        ---
        """.formatted(name, name, port, identity);
  }

  @Test
  void looksUpTheIdentityOverAllDestinationsAndEnforcesNoneWhenTheyDisagree() {
    StaticConfigSource source = StaticConfigSource.empty();
    try (Mesh mesh = Mesh.builder().configSource(source).build()) {
      assertThat(mesh.endpointIdentity("127.0.0.1", 7001)).isNull();
      assertThat(
              source.push(
                      endpoints("catalog", "spiffe://cluster.local/ns/shop/sa/catalog", 7001)
                          + endpoints("pricing", "spiffe://cluster.local/ns/shop/sa/pricing", 7002)
                          + endpoints("catalog-admin", "spiffe://cluster.local/ns/shop/sa/catalog", 7001))
                  .problems())
          .isEmpty();
      assertThat(mesh.endpointIdentity("127.0.0.1", 7001))
          .isEqualTo("spiffe://cluster.local/ns/shop/sa/catalog");
      assertThat(mesh.endpointIdentity("127.0.0.1", 7002))
          .isEqualTo("spiffe://cluster.local/ns/shop/sa/pricing");
      assertThat(mesh.endpointIdentity("127.0.0.1", 7003)).isNull();

      assertThat(
              source.push(
                      endpoints("catalog", "spiffe://cluster.local/ns/shop/sa/catalog", 7001)
                          + endpoints("pricing", "spiffe://cluster.local/ns/shop/sa/pricing", 7001))
                  .problems())
          .isEmpty();
      assertThat(mesh.endpointIdentity("127.0.0.1", 7001)).as("two destinations disagree").isNull();
    }
  }
}
