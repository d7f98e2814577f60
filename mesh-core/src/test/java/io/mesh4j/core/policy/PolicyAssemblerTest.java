package io.mesh4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyAssemblerTest {

  private static PolicyAssembler.Document route(String name, String destination, int weight) {
    return PolicyAssembler.Document.parse(
        "TrafficRoute shop/" + name,
        """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: %s, namespace: shop}
        spec:
          destination: %s
          rules:
            - backends: [{weight: %d}]
        """
            .formatted(name, destination, weight));
  }

  private static int weight(PolicyAssembler.Assembly a, String name) {
    return a.world().routes().stream()
        .filter(r -> r.metadata().name().equals(name))
        .map(r -> r.spec().rules().get(0).backends().get(0).weight())
        .findFirst()
        .orElseThrow();
  }

  @Test
  void anInvalidResourceDoesNotBlockItsValidNeighbours() {
    PolicyAssembler.Assembly a =
        PolicyAssembler.assemble(List.of(route("catalog", "catalog", -1), route("pricing", "pricing", 3)), List.of(), Map.of());

    assertThat(a.world().routes()).extracting(r -> r.metadata().name()).containsExactly("pricing");
    assertThat(a.problems())
        .extracting(Problem::message)
        .containsExactly("TrafficRoute shop/catalog: spec.rules[0].backends[0].weight: must be >= 0, got -1");
  }

  @Test
  void theLastGoodVersionOfAnInvalidResourceKeepsBeingServed() {
    PolicyAssembler.Assembly good = PolicyAssembler.assemble(List.of(route("catalog", "catalog", 5)), List.of(), Map.of());

    PolicyAssembler.Assembly bad = PolicyAssembler.assemble(List.of(route("catalog", "catalog", -1)), List.of(), good.byRef());

    assertThat(weight(bad, "catalog")).isEqualTo(5);
    assertThat(bad.problems()).hasSize(1);
  }

  @Test
  void aCrossResourceConflictRevertsOnlyTheResourcesItNames() {
    PolicyAssembler.Assembly good =
        PolicyAssembler.assemble(List.of(route("catalog", "catalog", 5), route("pricing", "pricing", 3)), List.of(), Map.of());

    // A second route for catalog: both routes that name it are refused, the rest is untouched.
    PolicyAssembler.Assembly next =
        PolicyAssembler.assemble(
            List.of(route("catalog", "catalog", 6), route("catalog-2", "catalog", 1), route("pricing", "pricing", 4)),
            List.of(),
            good.byRef());

    assertThat(weight(next, "pricing")).isEqualTo(4);
    assertThat(next.world().routes()).extracting(TrafficRoute::ref).doesNotContain("TrafficRoute shop/catalog-2");
    assertThat(next.problems()).isNotEmpty();
    List<MeshResource> catalogRoutes =
        next.world().resources().stream().filter(r -> r.ref().startsWith("TrafficRoute shop/catalog")).toList();
    assertThat(catalogRoutes).hasSizeLessThanOrEqualTo(1);
  }

  @Test
  void unreadableDocumentsAreNamedAfterWhereTheyCameFrom() {
    PolicyAssembler.Assembly a =
        PolicyAssembler.assemble(
            List.of(PolicyAssembler.Document.parse("ConfigMap shop/mesh routes.yaml", "kind: [")), List.of(), Map.of());

    assertThat(a.problems()).extracting(Problem::resource).containsExactly("ConfigMap shop/mesh routes.yaml (document 1)");
  }

  @Test
  void aDocumentThatCannotBeReadDropsNothingThatWasServed() {
    PolicyAssembler.Assembly good =
        PolicyAssembler.assemble(
            List.of(route("catalog", "catalog", 5), route("pricing", "pricing", 3)), List.of(), Map.of());

    // The document that held pricing is now broken YAML: pricing cannot be judged, so it stays.
    PolicyAssembler.Assembly next =
        PolicyAssembler.assemble(
            List.of(
                route("catalog", "catalog", 6),
                PolicyAssembler.Document.parse("TrafficRoute shop/pricing", "kind: [")),
            List.of(),
            good.byRef());

    assertThat(weight(next, "catalog")).isEqualTo(6);
    assertThat(weight(next, "pricing")).isEqualTo(3);
    assertThat(next.problems()).hasSize(1);
  }
}
