package io.mesh4j.core.engine;

import static io.mesh4j.core.testing.Policies.endpoints;
import static io.mesh4j.core.testing.Policies.ep;
import static io.mesh4j.core.testing.Policies.route;
import static io.mesh4j.core.testing.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.mesh4j.core.Mesh;
import io.mesh4j.core.call.Endpoint;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.testing.MeshHarness;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class EndpointWatchTest {

  private static List<String> addresses(List<Endpoint> endpoints) {
    return endpoints.stream().map(Endpoint::address).collect(Collectors.toList());
  }

  @Test
  void endpointsOfADestinationAreTheCurrentImmutableList() {
    try (MeshHarness h = new MeshHarness()) {
      assertThat(h.mesh.endpoints("catalog.shop")).isEmpty();
      h.apply(endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")));

      List<Endpoint> now = h.mesh.endpoints("catalog.shop");
      assertThat(addresses(now)).containsExactly("10.0.0.1", "10.0.0.2");
      assertThatThrownBy(() -> now.remove(0)).isInstanceOf(UnsupportedOperationException.class);
      assertThat(h.mesh.endpoints("unknown.shop")).isEmpty();
    }
  }

  @Test
  void watcherHearsTheCurrentListThenEachChangeButNoUpdateThatLeavesItEqual() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(endpoints("catalog.shop", ep("10.0.0.1")));
      List<List<String>> heard = new CopyOnWriteArrayList<>();

      h.mesh.watchEndpoints("catalog.shop", eps -> heard.add(addresses(eps)));
      assertThat(heard).containsExactly(List.of("10.0.0.1"));

      h.apply(endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")));
      // a change elsewhere in the policy leaves this destination's endpoints as they were
      h.apply(
          endpoints("catalog.shop", ep("10.0.0.1"), ep("10.0.0.2")),
          route("catalog.shop", List.of(), rule().build()));
      h.apply(endpoints("catalog.shop", ep("10.0.0.2")));

      assertThat(heard)
          .containsExactly(
              List.of("10.0.0.1"), List.of("10.0.0.1", "10.0.0.2"), List.of("10.0.0.2"));
    }
  }

  @Test
  void closedWatchHearsNothingMoreAndClosingTheMeshReportsNoEndpoints() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(endpoints("catalog.shop", ep("10.0.0.1")));
      List<List<String>> closedHeard = new CopyOnWriteArrayList<>();
      List<List<String>> openHeard = new CopyOnWriteArrayList<>();
      Mesh.EndpointWatch closed =
          h.mesh.watchEndpoints("catalog.shop", eps -> closedHeard.add(addresses(eps)));
      h.mesh.watchEndpoints("catalog.shop", eps -> openHeard.add(addresses(eps)));

      closed.close();
      closed.close();
      h.apply(endpoints("catalog.shop", ep("10.0.0.2")));
      h.mesh.close();

      assertThat(closedHeard).containsExactly(List.of("10.0.0.1"));
      assertThat(openHeard)
          .containsExactly(List.of("10.0.0.1"), List.of("10.0.0.2"), List.of());
    }
  }

  @Test
  void watcherThatThrowsKeepsBeingTold() {
    try (MeshHarness h = new MeshHarness()) {
      List<List<String>> heard = new CopyOnWriteArrayList<>();
      h.mesh.watchEndpoints(
          "catalog.shop",
          eps -> {
            heard.add(addresses(eps));
            throw new IllegalStateException("boom");
          });
      h.apply(endpoints("catalog.shop", ep("10.0.0.1")));

      assertThat(heard).containsExactly(List.of(), List.of("10.0.0.1"));
    }
  }

  @Test
  void aGrpcPortIsTheEndpointsGrpcDialPortWhileItsNameKeepsThePortAndChangingItIsReported() {
    try (MeshHarness h = new MeshHarness()) {
      h.apply(
          endpoints(
              "catalog.shop",
              new ServiceEndpoints.Endpoint("10.0.0.1", 8080, null, null, 1, null, 7070),
              new ServiceEndpoints.Endpoint("10.0.0.2", 8080, null, null, 1, null, 8080),
              ep("10.0.0.3")));
      List<List<Integer>> heard = new CopyOnWriteArrayList<>();
      h.mesh.watchEndpoints(
          "catalog.shop",
          eps -> heard.add(eps.stream().map(Endpoint::grpcDialPort).collect(Collectors.toList())));

      List<Endpoint> now = h.mesh.endpoints("catalog.shop");
      assertThat(now)
          .extracting(Endpoint::authority, Endpoint::port, Endpoint::grpcPort, Endpoint::grpcDialPort)
          .containsExactly(
              tuple("10.0.0.1:8080", 8080, 7070, 7070),
              tuple("10.0.0.2:8080", 8080, 0, 8080),
              tuple("10.0.0.3:8080", 8080, 0, 8080));

      h.apply(
          endpoints(
              "catalog.shop",
              new ServiceEndpoints.Endpoint("10.0.0.1", 8080, null, null, 1, null, 9090),
              new ServiceEndpoints.Endpoint("10.0.0.2", 8080, null, null, 1, null, 8080),
              ep("10.0.0.3")));

      assertThat(heard).containsExactly(List.of(7070, 8080, 8080), List.of(9090, 8080, 8080));
    }
  }
}
