package io.mesh4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PolicyWriterTest {

  @Test
  void writtenYamlReadsBackIntoEqualResources() {
    PolicySet original = PolicyResult.load(PolicySetTest.resource("valid/full-example.yaml")).orElseThrow();

    String yaml = PolicyWriter.toYaml(original.resources());

    assertThat(PolicySet.parse(yaml).resources()).isEqualTo(original.resources());
  }

  @Test
  void equalResourcesGiveTheSameText() {
    PolicySet a = PolicyResult.load(PolicySetTest.resource("valid/full-example.yaml")).orElseThrow();
    PolicySet b = PolicySet.parse(PolicyWriter.toYaml(a.resources()));

    assertThat(PolicyWriter.toYaml(b.resources())).isEqualTo(PolicyWriter.toYaml(a.resources()));
  }

  @Test
  void stringsThatLookLikeNumbersOrBooleansAreQuoted() {
    PolicySet set =
        PolicySet.parse(
            """
            apiVersion: mesh4j.io/v1alpha1
            kind: TrafficRoute
            metadata: {name: catalog, namespace: shop}
            spec:
              destination: catalog
              rules:
                - matches:
                    - headers: [{name: x-canary, exact: "true"}]
                  backends: [{weight: 3}]
                  retries: {attempts: 2, retryOn: ["503"]}
            """);

    String yaml = PolicyWriter.toYaml(set.resources().get(0));

    assertThat(yaml).contains("exact: 'true'").contains("- '503'").contains("weight: 3");
  }
}
