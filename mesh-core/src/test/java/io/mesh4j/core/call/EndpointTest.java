package io.mesh4j.core.call;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Endpoint}'s hand-written {@code equals} and {@code hashCode} keep a record's contract. */
class EndpointTest {

  private static final Endpoint BASE =
      new Endpoint("10.0.0.1", 8080, Map.of("version", "v1"), "zone-a", 10, "spiffe://cluster.local/ns/shop/sa/catalog", 9090);

  @Test
  void endpointsWithEqualComponentsAreEqualAndHashAlike() {
    Endpoint same =
        new Endpoint("10.0.0.1", 8080, Map.of("version", "v1"), "zone-a", 10, "spiffe://cluster.local/ns/shop/sa/catalog", 9090);

    assertThat(same).isEqualTo(BASE).hasSameHashCodeAs(BASE);
    Endpoint bare = new Endpoint("10.0.0.1", 8080, Map.of(), null, 1, null);
    assertThat(new Endpoint("10.0.0.1", 8080, Map.of(), null, 1, null)).isEqualTo(bare).hasSameHashCodeAs(bare);
  }

  @Test
  void endpointsThatDifferInAnyComponentAreNotEqual() {
    List<Endpoint> others =
        List.of(
            new Endpoint("10.0.0.2", 8080, Map.of("version", "v1"), "zone-a", 10, BASE.identity(), 9090),
            new Endpoint("10.0.0.1", 8081, Map.of("version", "v1"), "zone-a", 10, BASE.identity(), 9090),
            new Endpoint("10.0.0.1", 8080, Map.of("version", "v2"), "zone-a", 10, BASE.identity(), 9090),
            new Endpoint("10.0.0.1", 8080, Map.of("version", "v1"), "zone-b", 10, BASE.identity(), 9090),
            new Endpoint("10.0.0.1", 8080, Map.of("version", "v1"), null, 10, BASE.identity(), 9090),
            new Endpoint("10.0.0.1", 8080, Map.of("version", "v1"), "zone-a", 11, BASE.identity(), 9090),
            new Endpoint("10.0.0.1", 8080, Map.of("version", "v1"), "zone-a", 10, null, 9090),
            new Endpoint("10.0.0.1", 8080, Map.of("version", "v1"), "zone-a", 10, BASE.identity(), 0));

    assertThat(others).allSatisfy(other -> assertThat(other).isNotEqualTo(BASE));
    assertThat(BASE).isNotEqualTo("10.0.0.1:8080").isNotEqualTo(null);
  }
}
