package io.mesh4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class DocumentCacheTest {

  private static final String MESH =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: MeshConfig
      metadata: {name: mesh, namespace: mesh4j-system}
      spec: {mtls: PERMISSIVE}
      """;

  private static final String BROKEN_MESH =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: MeshConfig
      metadata: {name: mesh, namespace: mesh4j-system}
      spec: {mtls: SOMETIMES}
      """;

  private static String route(int v1) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
          rules:
            - backends:
                - {subset: v1, weight: %d}
                - {subset: v2, weight: %d}
        """
        .formatted(v1, 100 - v1);
  }

  private static int v1Weight(PolicySet set) {
    return set.routes().get(0).spec().rules().get(0).backends().get(0).weight();
  }

  @Test
  void readsLikeTheDocumentsJoined() {
    PolicySet cached = new DocumentCache().parse(List.of(MESH, route(50))).orElseThrow();
    PolicySet joined = PolicyResult.parse(MESH + "---\n" + route(50)).orElseThrow();
    assertThat(cached.resources()).isEqualTo(joined.resources());
  }

  @Test
  void unchangedTextReusesItsResourceAndChangedTextIsReadAgain() {
    DocumentCache cache = new DocumentCache();
    PolicySet first = cache.parse(List.of(MESH, route(50))).orElseThrow();
    PolicySet second = cache.parse(List.of(MESH, route(60))).orElseThrow();

    assertThat(second.meshConfig().orElseThrow()).isSameAs(first.meshConfig().orElseThrow());
    assertThat(second.routes().get(0)).isNotSameAs(first.routes().get(0));
    assertThat(v1Weight(first)).isEqualTo(50);
    assertThat(v1Weight(second)).isEqualTo(60);
    // Only the last read's documents are kept: route(50) is gone.
    assertThat(cache.size()).isEqualTo(2);
  }

  @Test
  void refusedTextIsRefusedOnEveryReadAndNeverReplacesTheLastValidRead() {
    DocumentCache cache = new DocumentCache();
    PolicySet good = cache.parse(List.of(MESH, route(50))).orElseThrow();

    for (int i = 0; i < 2; i++) {
      PolicyResult refused = cache.parse(List.of(BROKEN_MESH, route(50)));
      assertThat(refused.isValid()).isFalse();
      assertThat(refused.problems())
          .extracting(Problem::message)
          .containsExactly(
              "MeshConfig mesh4j-system/mesh: spec.mtls: must be one of STRICT, PERMISSIVE, DISABLED, got SOMETIMES");
    }

    PolicySet again = cache.parse(List.of(MESH, route(50))).orElseThrow();
    assertThat(again.meshConfig().orElseThrow()).isSameAs(good.meshConfig().orElseThrow());
    assertThat(again.routes().get(0)).isSameAs(good.routes().get(0));
  }

  @Test
  void reusedResourcesAreStillValidatedTogether() {
    DocumentCache cache = new DocumentCache();
    cache.parse(List.of(route(50))).orElseThrow();

    PolicyResult twice = cache.parse(List.of(route(50), route(50)));

    assertThat(twice.isValid()).isFalse();
    assertThat(twice.problems())
        .extracting(Problem::message)
        .containsExactly("TrafficRoute shop/catalog: metadata.name: must be unique per kind and namespace, got catalog");
  }

  @Test
  void problemsNameTheDocumentTheyAreIn() {
    PolicyResult result = new DocumentCache().parse(List.of(MESH, "kind: [unclosed"));

    assertThat(result.isValid()).isFalse();
    assertThat(result.problems()).extracting(Problem::resource).containsExactly("resources[1] (document 1)");
  }

  @Test
  void aTextHoldingSeveralDocumentsIsReadWholeAndNotKept() {
    DocumentCache cache = new DocumentCache();
    PolicySet set = cache.parse(List.of(MESH + "---\n" + route(50))).orElseThrow();

    assertThat(set.resources()).extracting(MeshResource::ref)
        .containsExactly("MeshConfig mesh4j-system/mesh", "TrafficRoute shop/catalog");
    assertThat(cache.size()).isZero();
  }

  @Test
  void theWholeReadIsBoundedByTheReadersLimit() {
    String big = "# " + "x".repeat(PolicyReader.MAX_FILE_BYTES / 2) + "\n" + route(50);

    PolicyResult result = new DocumentCache().parse(List.of(big, big));

    assertThat(result.problems()).extracting(Problem::resource).containsExactly("input");
  }

  @Test
  void documentsReusedFromTheLastReadStillCountTowardsTheReadersLimit() {
    DocumentCache cache = new DocumentCache();
    assertThat(cache.parse(List.of(MESH)).isValid()).isTrue();

    PolicyResult result =
        cache.parse(java.util.Collections.nCopies(PolicyReader.MAX_DOCUMENTS + 1, MESH));

    assertThat(result.problems())
        .extracting(Problem::resource, Problem::expected)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "input", "must have at most " + PolicyReader.MAX_DOCUMENTS + " documents"));
  }
}
