package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.mesh4j.controller.serve.ApplicationStatus;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.ServiceEndpoints;
import io.mesh4j.core.policy.TrafficRoute;
import io.mesh4j.client.ControllerConfigSource;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The controller against fabric8's mock API server in CRUD mode, with a real application on loopback. */
@EnableKubernetesMockClient(crud = true)
@Timeout(60)
class KubernetesModeTest {

  static final ResourceDefinitionContext ROUTES =
      new ResourceDefinitionContext.Builder()
          .withGroup("mesh4j.io")
          .withVersion("v1alpha1")
          .withKind("TrafficRoute")
          .withPlural("trafficroutes")
          .withNamespaced(true)
          .build();

  static final ResourceDefinitionContext HTTP_ROUTES =
      new ResourceDefinitionContext.Builder()
          .withGroup("gateway.networking.k8s.io")
          .withVersion("v1")
          .withKind("HTTPRoute")
          .withPlural("httproutes")
          .withNamespaced(true)
          .build();

  KubernetesClient client;

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private @Nullable MeshController controller;

  @BeforeEach
  void installCrdsAndWorkloads() throws IOException {
    for (String crd : List.of("trafficroutes", "destinationpolicies", "authorizationpolicies", "meshconfigs")) {
      try (InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of("deploy", "crds", crd + ".yaml"))) {
        client.resource(Serialization.unmarshal(in, CustomResourceDefinition.class)).create();
      }
    }
    client.services().inNamespace("shop").resource(
        new ServiceBuilder().withNewMetadata().withName("catalog").withNamespace("shop").endMetadata()
            .withNewSpec().addNewPort().withPort(8080).endPort().endSpec().build()).create();
    pod("catalog-v1-abc", "v1");
    pod("catalog-v2-def", "v2");
    client.discovery().v1().endpointSlices().inNamespace("shop").resource(
        new EndpointSliceBuilder()
            .withNewMetadata().withName("catalog-x1").withNamespace("shop")
                .addToLabels("kubernetes.io/service-name", "catalog").endMetadata()
            .withAddressType("IPv4")
            .addNewPort().withPort(8080).endPort()
            .addToEndpoints(endpoint("10.1.0.1", "catalog-v1-abc", "zone-a"), endpoint("10.1.0.2", "catalog-v2-def", "zone-b"))
            .build()).create();
    client.genericKubernetesResources(ROUTES).inNamespace("shop").resource(route(90, 10)).create();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    if (controller != null) {
      controller.close();
    }
  }

  @Test
  void connectedApplicationReceivesEndpointsSubsetsAndIdentitiesResolvedFromTheCluster() throws IOException {
    controller = start("controller-a");
    RecordingApplication app = new RecordingApplication();
    connect(app);

    await().atMost(Duration.ofSeconds(10)).until(() -> !app.applied.isEmpty() && !app.current().endpoints().isEmpty());

    PolicySet set = app.current();
    assertThat(set.routes().get(0).spec().subsets()).extracting(TrafficRoute.Subset::name).containsExactly("v1", "v2");
    assertThat(set.endpoints().get(0).spec().service()).isEqualTo("catalog.shop");
    assertThat(set.endpoints().get(0).spec().endpoints())
        .extracting(ServiceEndpoints.Endpoint::address, e -> e.labels().get("version"), ServiceEndpoints.Endpoint::zone,
            ServiceEndpoints.Endpoint::identity)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("10.1.0.1", "v1", "zone-a", "spiffe://cluster.local/ns/shop/sa/catalog"),
            org.assertj.core.groups.Tuple.tuple("10.1.0.2", "v2", "zone-b", "spiffe://cluster.local/ns/shop/sa/catalog"));
  }

  @Test
  void changedRouteWeightsArriveAndAreAckedWithinOneSecondAndADeletedPodsEndpointDisappears() throws IOException {
    controller = start("controller-a");
    RecordingApplication app = new RecordingApplication();
    ControllerConfigSource source = connect(app);
    await().atMost(Duration.ofSeconds(10)).until(() -> !app.applied.isEmpty() && statusOf("frontend").inSync());
    long before = source.status().version();

    editRoute(50, 50);

    await().atMost(Duration.ofSeconds(1))
        .until(() -> statusOf("frontend").ackedVersion() > before && statusOf("frontend").ackedVersion() == source.status().version());
    assertThat(app.current().routes().get(0).spec().rules().get(0).backends())
        .extracting(TrafficRoute.Backend::weight).containsExactly(50, 50);

    client.pods().inNamespace("shop").withName("catalog-v2-def").delete();

    await().atMost(Duration.ofSeconds(2))
        .until(() -> app.current().endpoints().get(0).spec().endpoints().size() == 1);
    assertThat(app.current().endpoints().get(0).spec().endpoints())
        .extracting(ServiceEndpoints.Endpoint::address).containsExactly("10.1.0.1");
  }

  @Test
  void invalidResourceGetsAcceptedFalseWithTheFieldPathAndIsNeverSent() throws IOException {
    controller = start("controller-a");
    RecordingApplication app = new RecordingApplication();
    connect(app);
    await().atMost(Duration.ofSeconds(10)).until(() -> controller.isLeader() && statusOf("frontend").inSync());
    await().atMost(Duration.ofSeconds(5)).until(() -> "True".equals(acceptedStatus()));
    int applied = app.applied.size();

    editRoute(-5, 10);

    await().atMost(Duration.ofSeconds(5)).until(() -> "False".equals(acceptedStatus()));
    Map<String, Object> condition = acceptedCondition();
    assertThat(condition.get("reason")).isEqualTo("Invalid");
    assertThat((String) condition.get("message")).isEqualTo("spec.rules[0].backends[0].weight: must be >= 0, got -5");
    assertThat(app.applied).hasSize(applied);
    assertThat(app.current().routes().get(0).spec().rules().get(0).backends())
        .extracting(TrafficRoute.Backend::weight).containsExactly(90, 10);
  }

  @Test
  void aRouteThatAnApplicationRefusesShowsAppliedFalseWithTheApplicationsReason() throws IOException {
    controller = start("controller-a");
    RecordingApplication app = new RecordingApplication();
    connect(app);
    await().atMost(Duration.ofSeconds(10)).until(() -> controller.isLeader() && statusOf("frontend").inSync());
    app.refuseWithProblem(
        p -> p.routes().get(0).spec().rules().get(0).backends().get(0).weight() == 70
            ? new io.mesh4j.core.policy.Problem("TrafficRoute shop/catalog", "spec.rules[0]", "must compile in this engine", null)
            : null);

    editRoute(70, 30);

    await().atMost(Duration.ofSeconds(5)).until(() -> condition("Applied") != null);
    Map<String, Object> applied = condition("Applied");
    assertThat(applied.get("status")).isEqualTo("False");
    assertThat(applied.get("reason")).isEqualTo("RefusedByApplication");
    assertThat((String) applied.get("message"))
        .matches("shop/frontend refused version \\d+: spec\\.rules\\[0\\]: must compile in this engine");
    assertThat(condition("Accepted").get("status")).isEqualTo("True");
    assertThat(statusOf("frontend").lastNack().reasons())
        .containsExactly("TrafficRoute shop/catalog: spec.rules[0]: must compile in this engine");

    // Once the application applies a later version, the refusal is over.
    app.refuseWithProblem(p -> null);
    editRoute(60, 40);
    await().atMost(Duration.ofSeconds(5)).until(() -> condition("Applied") == null);
  }

  @Test
  void documentsInALabelledConfigMapAreServedLikeCustomResources() throws IOException {
    client.configMaps().inNamespace("shop").resource(
        new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
            .withNewMetadata().withName("catalog-policy").withNamespace("shop")
                .addToLabels("mesh4j.io/config", "true").endMetadata()
            .addToData("policy.yaml", """
                apiVersion: mesh4j.io/v1alpha1
                kind: DestinationPolicy
                metadata: {name: catalog, namespace: shop}
                spec:
                  destination: catalog
                  loadBalancer: {policy: ROUND_ROBIN}
                """)
            .build()).create();
    controller = start("controller-a");
    RecordingApplication app = new RecordingApplication();
    connect(app);

    await().atMost(Duration.ofSeconds(10)).until(() -> !app.applied.isEmpty() && !app.current().destinationPolicies().isEmpty());

    assertThat(app.current().destinationPolicies().get(0).spec().loadBalancer().policy())
        .isEqualTo(io.mesh4j.core.policy.DestinationPolicy.LbPolicy.ROUND_ROBIN);
  }

  @Test
  void anHttpRouteAttachedToTheServiceSendsItsTrafficToTheBackendServicesEndpoints() throws IOException {
    client.services().inNamespace("shop").resource(
        new ServiceBuilder().withNewMetadata().withName("catalog-v2").withNamespace("shop").endMetadata()
            .withNewSpec().addNewPort().withPort(8080).endPort().endSpec().build()).create();
    client.discovery().v1().endpointSlices().inNamespace("shop").resource(
        new EndpointSliceBuilder()
            .withNewMetadata().withName("catalog-v2-x1").withNamespace("shop")
                .addToLabels("kubernetes.io/service-name", "catalog-v2").endMetadata()
            .withAddressType("IPv4")
            .addNewPort().withPort(8080).endPort()
            .addToEndpoints(endpoint("10.1.0.2", "catalog-v2-def", "zone-b"))
            .build()).create();
    client.genericKubernetesResources(ROUTES).inNamespace("shop").withName("catalog").delete();
    client.genericKubernetesResources(HTTP_ROUTES).inNamespace("shop").resource(
        new GenericKubernetesResourceBuilder()
            .withApiVersion("gateway.networking.k8s.io/v1")
            .withKind("HTTPRoute")
            .withNewMetadata().withName("catalog-canary").withNamespace("shop").endMetadata()
            .addToAdditionalProperties("spec", Map.of(
                "parentRefs", List.of(Map.of("group", "", "kind", "Service", "name", "catalog")),
                "rules", List.of(Map.of("backendRefs", List.of(
                    Map.of("name", "catalog", "port", 8080, "weight", 80),
                    Map.of("name", "catalog-v2", "port", 8080, "weight", 20))))))
            .build()).create();
    controller = start("controller-a");
    RecordingApplication app = new RecordingApplication();
    connect(app);

    await().atMost(Duration.ofSeconds(10)).until(() -> !app.applied.isEmpty() && app.current().httpRoutes().size() == 1);

    PolicySet set = app.current();
    assertThat(set.routes()).isEmpty();
    assertThat(set.httpRoutes().get(0).spec().rules().get(0).backendRefs())
        .extracting(io.mesh4j.core.policy.HTTPRoute.BackendRef::name, io.mesh4j.core.policy.HTTPRoute.BackendRef::weight)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("catalog", 80), org.assertj.core.groups.Tuple.tuple("catalog-v2", 20));
    assertThat(set.endpoints())
        .extracting(e -> e.spec().service())
        .containsExactlyInAnyOrder("catalog.shop", "catalog-v2.shop");
  }

  @Test
  void gatewayRoutesGetStatusPerParentServiceWithTheSpecificationsReasons() throws IOException {
    // catalog is routed by Gateway API routes here, not by the TrafficRoute the other tests use.
    client.genericKubernetesResources(ROUTES).inNamespace("shop").withName("catalog").delete();
    httpRoute("valid", "catalog", "catalog", null);
    httpRoute("missing-backend", "catalog", "catalog-v9", null);
    httpRoute("missing-parent", "nowhere", "catalog", null);
    httpRoute("unsupported", "catalog", "catalog", Map.of("type", "ExtensionRef"));
    client.genericKubernetesResources(HTTP_ROUTES).inNamespace("shop").resource(
        new GenericKubernetesResourceBuilder()
            .withApiVersion("gateway.networking.k8s.io/v1").withKind("HTTPRoute")
            .withNewMetadata().withName("other-controller").withNamespace("shop").endMetadata()
            .addToAdditionalProperties("spec", Map.of("parentRefs", List.of(Map.of("kind", "Service", "name", "catalog"))))
            .addToAdditionalProperties("status", Map.of("parents", List.of(Map.of(
                "controllerName", "example.com/other", "parentRef", Map.of("name", "catalog"), "conditions", List.of()))))
            .build()).create();
    controller = start("controller-a");

    await().atMost(Duration.ofSeconds(10)).until(() -> controller.isLeader() && routeCondition("unsupported", "Accepted") != null
        && routeCondition("missing-parent", "Accepted") != null && routeCondition("valid", "Accepted") != null
        && routeCondition("missing-backend", "ResolvedRefs") != null && routeParents("other-controller").size() == 2);

    assertThat(routeCondition("valid", "Accepted")).containsEntry("status", "True").containsEntry("reason", "Accepted");
    assertThat(routeCondition("valid", "ResolvedRefs")).containsEntry("status", "True");
    assertThat(routeCondition("missing-backend", "Accepted")).containsEntry("status", "True");
    assertThat(routeCondition("missing-backend", "ResolvedRefs"))
        .containsEntry("status", "False").containsEntry("reason", "BackendNotFound")
        .hasEntrySatisfying("message", m -> assertThat((String) m).contains("catalog-v9.shop"));
    assertThat(routeCondition("missing-parent", "Accepted"))
        .containsEntry("status", "False").containsEntry("reason", "NoMatchingParent");
    assertThat(routeCondition("unsupported", "Accepted"))
        .containsEntry("status", "False").containsEntry("reason", "UnsupportedValue")
        .hasEntrySatisfying("message", m -> assertThat((String) m).startsWith("spec.rules[0].filters[0].type: must be"));
    Map<?, ?> entry = (Map<?, ?>) routeParents("valid").get(0);
    assertThat(entry.get("controllerName")).isEqualTo("mesh4j.io/controller");
    assertThat(entry.get("parentRef")).isEqualTo(Map.of("group", "", "kind", "Service", "name", "catalog", "namespace", "shop"));
    // Another implementation's entry stays next to ours.
    assertThat(routeParents("other-controller").stream().map(p -> String.valueOf(((Map<?, ?>) p).get("controllerName"))).toList())
        .containsExactlyInAnyOrder("example.com/other", "mesh4j.io/controller");
  }

  private void httpRoute(String name, String parent, String backend, @Nullable Map<String, Object> filter) {
    Map<String, Object> rule = new java.util.LinkedHashMap<>();
    rule.put("backendRefs", List.of(Map.of("name", backend, "port", 8080)));
    if (filter != null) {
      rule.put("filters", List.of(filter));
    }
    client.genericKubernetesResources(HTTP_ROUTES).inNamespace("shop").resource(
        new GenericKubernetesResourceBuilder()
            .withApiVersion("gateway.networking.k8s.io/v1").withKind("HTTPRoute")
            .withNewMetadata().withName(name).withNamespace("shop").endMetadata()
            .addToAdditionalProperties("spec", Map.of(
                "parentRefs", List.of(Map.of("group", "", "kind", "Service", "name", parent)), "rules", List.of(rule)))
            .build()).create();
  }

  private List<?> routeParents(String name) {
    GenericKubernetesResource r = client.genericKubernetesResources(HTTP_ROUTES).inNamespace("shop").withName(name).get();
    Object status = r == null ? null : r.getAdditionalProperties().get("status");
    Object parents = status instanceof Map<?, ?> m ? m.get("parents") : null;
    return parents instanceof List<?> l ? l : List.of();
  }

  private @Nullable Map<String, Object> routeCondition(String name, String type) {
    for (Object p : routeParents(name)) {
      if (p instanceof Map<?, ?> entry && "mesh4j.io/controller".equals(entry.get("controllerName"))) {
        for (Object c : (List<?>) entry.get("conditions")) {
          @SuppressWarnings("unchecked")
          Map<String, Object> condition = (Map<String, Object>) c;
          if (type.equals(condition.get("type"))) {
            return condition;
          }
        }
      }
    }
    return null;
  }

  @Test
  void annotationChurnOnAPodSendsApplicationsNothing() throws IOException {
    controller = start("controller-a");
    RecordingApplication app = new RecordingApplication();
    connect(app);
    await().atMost(Duration.ofSeconds(10)).until(() -> !app.applied.isEmpty() && statusOf("frontend").inSync());
    long pushes = controller.distributor().pushCount();
    long computed = controller.distributor().computeCount();

    client.pods().inNamespace("shop").withName("catalog-v1-abc")
        .edit(p -> new PodBuilder(p).editMetadata().addToAnnotations("autoscaler/last-seen", "12:00:01").endMetadata().build());

    // The world was rebuilt and the application's snapshot recomputed, but it had not changed.
    await().atMost(Duration.ofSeconds(5)).until(() -> controller.distributor().computeCount() > computed);
    assertThat(controller.distributor().pushCount()).isEqualTo(pushes);
    assertThat(app.applied).hasSize(1);
  }

  @Test
  void exactlyOneOfTwoControllersLeadsAndTheOtherTakesOverWhenItStops() throws IOException {
    MeshController a = start("controller-a");
    controller = a;
    await().atMost(Duration.ofSeconds(10)).until(a::isLeader);
    MeshController b = start("controller-b");
    toClose.add(b);
    // b keeps trying for longer than a renewal period, and never leads while a does.
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> a.isLeader() && !b.isLeader());

    a.close();
    controller = null;

    await().atMost(Duration.ofSeconds(3)).until(b::isLeader);
  }

  @Test
  void aLeaderThatDiesWithoutReleasingItsLeaseIsReplacedWithinTheLeaseTime() throws IOException {
    // A's own client: closing it cuts A off from the API server the way a crash would, so A can
    // neither renew nor release its lease.
    KubernetesClient clientOfA = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(client.getConfiguration()).build();
    MeshController a = start("controller-a", clientOfA);
    toClose.add(a);
    await().atMost(Duration.ofSeconds(10)).until(a::isLeader);
    MeshController b = start("controller-b", client);
    controller = b;

    clientOfA.close();

    // Lease time (3 s) plus one retry period of the elector.
    await().atMost(Duration.ofSeconds(5)).until(b::isLeader);
  }

  // --- fixtures

  private MeshController start(String identity) throws IOException {
    return start(identity, client);
  }

  private MeshController start(String identity, KubernetesClient apiClient) throws IOException {
    return MeshController.startKubernetes(
        new MeshController.KubernetesOptions(
            apiClient, "mesh4j-system", "mesh4j-controller", identity, Duration.ofSeconds(3),
            new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0), MeshController.Security.none()));
  }

  private ControllerConfigSource connect(RecordingApplication app) {
    ControllerConfigSource source =
        ControllerConfigSource.builder("127.0.0.1:" + controller.grpcPort())
            .application("frontend")
            .namespace("shop")
            .calls("catalog")
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .random(new SplittableRandom(42))
            .build();
    toClose.add(source);
    source.start(app);
    return source;
  }

  /** Waits tolerate an application that has not connected yet (statusOf throws until it has). */
  private static ConditionFactory await() {
    return Awaitility.await().ignoreExceptionsInstanceOf(AssertionError.class);
  }

  private ApplicationStatus statusOf(String application) {
    return controller.distributor().applications().stream()
        .filter(a -> a.application().equals(application))
        .findFirst()
        .orElseThrow(() -> new AssertionError("not connected: " + application));
  }

  /**
   * Replaces the spec as {@code kubectl edit} would. The controller may write status between the
   * read and the write, which the API server answers with a conflict; like kubectl, read again.
   */
  private void editRoute(int v1, int v2) {
    Object spec = route(v1, v2).getAdditionalProperties().get("spec");
    for (int attempt = 1; ; attempt++) {
      try {
        client.genericKubernetesResources(ROUTES).inNamespace("shop").withName("catalog")
            .edit(r -> {
              GenericKubernetesResource copy = Serialization.clone(r);
              copy.setAdditionalProperty("spec", spec);
              return copy;
            });
        return;
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 5) {
          throw e;
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private @Nullable Map<String, Object> condition(String type) {
    GenericKubernetesResource r = client.genericKubernetesResources(ROUTES).inNamespace("shop").withName("catalog").get();
    Object status = r.getAdditionalProperties().get("status");
    if (!(status instanceof Map<?, ?> s) || !(s.get("conditions") instanceof List<?> list)) {
      return null;
    }
    return list.stream()
        .map(c -> (Map<String, Object>) c)
        .filter(c -> type.equals(c.get("type")))
        .findFirst()
        .orElse(null);
  }

  private @Nullable String acceptedStatus() {
    Map<String, Object> c = acceptedCondition();
    return c == null ? null : (String) c.get("status");
  }

  @SuppressWarnings("unchecked")
  private @Nullable Map<String, Object> acceptedCondition() {
    GenericKubernetesResource r = client.genericKubernetesResources(ROUTES).inNamespace("shop").withName("catalog").get();
    Object status = r.getAdditionalProperties().get("status");
    if (!(status instanceof Map<?, ?> s) || !(s.get("conditions") instanceof List<?> list) || list.isEmpty()) {
      return null;
    }
    return (Map<String, Object>) list.get(0);
  }

  private void pod(String name, String version) {
    client.pods().inNamespace("shop").resource(
        new PodBuilder()
            .withNewMetadata().withName(name).withNamespace("shop")
                .addToLabels("app", "catalog").addToLabels("version", version).endMetadata()
            .withNewSpec().withServiceAccountName("catalog").addNewContainer().withName("app").withImage("catalog").endContainer().endSpec()
            .build()).create();
  }

  private static io.fabric8.kubernetes.api.model.discovery.v1.Endpoint endpoint(String ip, String pod, String zone) {
    return new EndpointBuilder()
        .addToAddresses(ip)
        .withNewConditions().withReady(true).endConditions()
        .withNewTargetRef().withKind("Pod").withName(pod).withNamespace("shop").endTargetRef()
        .withZone(zone)
        .build();
  }

  private static GenericKubernetesResource route(int v1, int v2) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("mesh4j.io/v1alpha1")
        .withKind("TrafficRoute")
        .withNewMetadata().withName("catalog").withNamespace("shop").endMetadata()
        .addToAdditionalProperties(
            "spec",
            Map.of(
                "destination", "catalog",
                "subsets", List.of(
                    Map.of("name", "v1", "labels", Map.of("version", "v1")),
                    Map.of("name", "v2", "labels", Map.of("version", "v2"))),
                "rules", List.of(Map.of("backends", List.of(
                    Map.of("subset", "v1", "weight", v1),
                    Map.of("subset", "v2", "weight", v2))))))
        .build();
  }
}
