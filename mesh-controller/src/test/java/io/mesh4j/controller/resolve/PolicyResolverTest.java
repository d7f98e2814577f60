package io.mesh4j.controller.resolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicyResult;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyResolverTest {

  private static final PolicySet WORLD =
      PolicySet.parse(
          """
          apiVersion: mesh4j.io/v1alpha1
          kind: MeshConfig
          metadata: {name: mesh, namespace: mesh4j-system}
          ---
          apiVersion: mesh4j.io/v1alpha1
          kind: TrafficRoute
          metadata: {name: catalog, namespace: shop}
          spec:
            destination: catalog
            rules:
              - backends: [{weight: 1}]
                mirror: {destination: catalog-shadow}
          ---
          apiVersion: mesh4j.io/v1alpha1
          kind: TrafficRoute
          metadata: {name: pricing, namespace: shop}
          spec:
            destination: pricing
            rules:
              - backends: [{weight: 1}]
          ---
          apiVersion: mesh4j.io/v1alpha1
          kind: ServiceEndpoints
          metadata: {name: catalog-shadow, namespace: shop}
          spec:
            service: catalog-shadow
            endpoints: [{address: 10.0.0.9, port: 80}]
          ---
          apiVersion: mesh4j.io/v1alpha1
          kind: DestinationPolicy
          metadata: {name: pricing, namespace: shop}
          spec:
            destination: pricing
          ---
          apiVersion: mesh4j.io/v1alpha1
          kind: AuthorizationPolicy
          metadata: {name: frontend-callers, namespace: shop}
          spec:
            service: frontend
            rules: [{namespaces: [shop]}]
          """);

  @Test
  void scopeQualifiesBareServiceNamesWithTheApplicationsNamespace() {
    Scope scope = PolicyResolver.scope("shop", List.of("catalog", "ledger.bank"), List.of("frontend"));

    assertThat(scope.calls()).containsExactly("catalog.shop", "ledger.bank");
    assertThat(scope.serves()).containsExactly("frontend.shop");
  }

  @Test
  void scopeRefusesAServiceNameThatIsNotADnsName() {
    assertThatThrownBy(() -> PolicyResolver.scope("shop", List.of("catalog", "Bad_Name"), List.of()))
        .hasMessage(
            "calls[1]: must be a service name `name` or `name.namespace` (lowercase letters, digits and '-'), got Bad_Name");
  }

  @Test
  void applicationGetsOnlyWhatItCallsAndWhatItsMirrorsCopyTo() {
    List<MeshResource> resolved = PolicyResolver.resolve(WORLD, PolicyResolver.scope("shop", List.of("catalog"), List.of()));

    assertThat(resolved)
        .extracting(MeshResource::ref)
        .containsExactly("MeshConfig mesh4j-system/mesh", "TrafficRoute shop/catalog", "ServiceEndpoints shop/catalog-shadow");
    assertThat(PolicyResult.of(resolved).isValid()).isTrue();
  }

  @Test
  void applicationGetsTheAuthorizationPoliciesOfTheServicesItServes() {
    List<MeshResource> resolved =
        PolicyResolver.resolve(WORLD, PolicyResolver.scope("shop", List.of("pricing"), List.of("frontend")));

    assertThat(resolved)
        .extracting(MeshResource::ref)
        .containsExactly(
            "MeshConfig mesh4j-system/mesh",
            "TrafficRoute shop/pricing",
            "DestinationPolicy shop/pricing",
            "AuthorizationPolicy shop/frontend-callers");
  }

  @Test
  void refusedResourcesAreNotAcceptedAndTheirConditionNamesTheFieldPath() {
    List<ResourceCondition> conditions =
        PolicyResolver.conditions(
            WORLD,
            List.of(new Problem("TrafficRoute shop/pricing", "spec.rules[0].backends[0].weight", "must be >= 0", "-5")));

    assertThat(PolicyResolver.find(conditions, "TrafficRoute shop/pricing"))
        .contains(new ResourceCondition("TrafficRoute shop/pricing", false, "Invalid", "spec.rules[0].backends[0].weight: must be >= 0, got -5"));
    assertThat(PolicyResolver.find(conditions, "TrafficRoute shop/catalog"))
        .contains(new ResourceCondition("TrafficRoute shop/catalog", true, "Accepted", ""));
  }

  private static final PolicySet GATEWAY_WORLD =
      PolicySet.parse(
          """
          apiVersion: gateway.networking.k8s.io/v1
          kind: HTTPRoute
          metadata: {name: producer, namespace: shop}
          spec:
            parentRefs: [{kind: Service, name: catalog}]
            rules: [{backendRefs: [{name: catalog-v2, port: 80}]}]
          ---
          apiVersion: gateway.networking.k8s.io/v1
          kind: GRPCRoute
          metadata: {name: consumer, namespace: web}
          spec:
            parentRefs: [{kind: Service, name: catalog, namespace: shop}]
            rules: [{backendRefs: [{name: catalog-v1, namespace: shop, port: 80}]}]
          ---
          apiVersion: gateway.networking.k8s.io/v1
          kind: HTTPRoute
          metadata: {name: stranger, namespace: other}
          spec:
            parentRefs: [{kind: Service, name: catalog, namespace: shop}]
            rules: [{backendRefs: [{name: catalog-v3, namespace: shop, port: 80}]}]
          ---
          apiVersion: mesh4j.io/v1alpha1
          kind: ServiceEndpoints
          metadata: {name: catalog-v1, namespace: shop}
          spec: {service: catalog-v1, endpoints: [{address: 10.0.0.1, port: 80}]}
          ---
          apiVersion: mesh4j.io/v1alpha1
          kind: ServiceEndpoints
          metadata: {name: catalog-v2, namespace: shop}
          spec: {service: catalog-v2, endpoints: [{address: 10.0.0.2, port: 80}]}
          """);

  @Test
  void aClientGetsItsOwnNamespacesRoutesForAServiceElseTheServicesNamespacesAndTheirBackends() {
    // In the Service's namespace: the producer route, and the endpoints of its backend.
    assertThat(PolicyResolver.resolve(GATEWAY_WORLD, PolicyResolver.scope("shop", List.of("catalog"), List.of())))
        .extracting(MeshResource::ref)
        .containsExactly("HTTPRoute shop/producer", "ServiceEndpoints shop/catalog-v2");
    // A namespace with its own route for the Service: that consumer route replaces the producer's.
    assertThat(PolicyResolver.resolve(GATEWAY_WORLD, PolicyResolver.scope("web", List.of("catalog.shop"), List.of())))
        .extracting(MeshResource::ref)
        .containsExactly("GRPCRoute web/consumer", "ServiceEndpoints shop/catalog-v1");
    // Any other namespace: the producer route; a third namespace's route never applies.
    assertThat(PolicyResolver.resolve(GATEWAY_WORLD, PolicyResolver.scope("batch", List.of("catalog.shop"), List.of())))
        .extracting(MeshResource::ref)
        .containsExactly("HTTPRoute shop/producer", "ServiceEndpoints shop/catalog-v2");
  }
}
