package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.mesh4j.client.ControllerConfigSource;
import io.mesh4j.controller.resolve.PolicyResolver;
import io.mesh4j.controller.resolve.ResourceCondition;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.source.DirectoryConfigSource;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One rule for invalid input wherever it is read: the same edit (one resource made invalid, one
 * valid resource added) keeps the same resources and reports the same problems from a watched
 * directory, from the controller in local mode and from the controller in Kubernetes mode.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(90)
class OneConfigRuleTest {

  private static final String CATALOG_ROUTE =
      """
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
              - {subset: v2, weight: 10}
      """;
  private static final String PRICING_ROUTE =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: TrafficRoute
      metadata: {name: pricing, namespace: shop}
      spec:
        destination: pricing
        rules:
          - timeout: 2s
            backends: [{weight: 1}]
      """;
  private static final String PRICING_POLICY =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: DestinationPolicy
      metadata: {name: pricing, namespace: shop}
      spec:
        destination: pricing
        loadBalancer: {policy: ROUND_ROBIN}
      """;

  /** What a mode ends up with: the resources it serves and the problems it reports. */
  private record Outcome(List<String> served, List<String> refused) {}

  KubernetesClient client;
  @TempDir Path dir;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  @Test
  void theSameInvalidEditHasTheSameOutcomeFromADirectoryAndFromTheControllerInBothModes()
      throws Exception {
    Outcome directory = watchedDirectory(dir.resolve("app"));
    Outcome local = controllerInLocalMode(dir.resolve("controller"));
    Outcome kubernetes = controllerInKubernetesMode();

    // The invalid route keeps its last good weights, the new policy is served, one problem.
    assertThat(directory.served())
        .containsExactly(
            "DestinationPolicy shop/pricing",
            "TrafficRoute shop/catalog weights [90, 10]",
            "TrafficRoute shop/pricing weights [1]");
    assertThat(directory.refused())
        .containsExactly(
            "TrafficRoute shop/catalog: spec.rules[0].backends[0].weight: must be >= 0, got -5");
    assertThat(local).isEqualTo(directory);
    assertThat(kubernetes).isEqualTo(directory);
  }

  // --- the three modes, each taken through the same two edits

  private Outcome watchedDirectory(Path path) throws IOException {
    Files.createDirectories(path);
    writeValid(path);
    DirectoryConfigSource source = DirectoryConfigSource.watching(path);
    toClose.add(source);
    RecordingApplication app = new RecordingApplication();
    source.start(app);
    await().atMost(Duration.ofSeconds(10)).until(() -> served(app).size() == 2);

    writeInvalidEdit(path);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> served(app).size() == 3 && !app.rejected.isEmpty());
    PolicySet world = app.current();
    List<Problem> problems = app.rejected.get(app.rejected.size() - 1);
    return new Outcome(served(app), refused(PolicyResolver.conditions(world, problems)));
  }

  private Outcome controllerInLocalMode(Path path) throws IOException {
    Files.createDirectories(path);
    writeValid(path);
    MeshController controller =
        MeshController.startLocal(
            new MeshController.LocalOptions(
                path,
                new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.none()));
    toClose.add(controller);
    RecordingApplication app = connect(controller);
    await().atMost(Duration.ofSeconds(10)).until(() -> served(app).size() == 2);

    writeInvalidEdit(path);

    return settled(controller, app);
  }

  private Outcome controllerInKubernetesMode() throws IOException {
    for (String crd : List.of("trafficroutes", "destinationpolicies", "authorizationpolicies", "meshconfigs")) {
      try (InputStream in = Files.newInputStream(Path.of("deploy", "crds", crd + ".yaml"))) {
        client.resource(Serialization.unmarshal(in, CustomResourceDefinition.class)).create();
      }
    }
    apply(CATALOG_ROUTE.formatted(90));
    apply(PRICING_ROUTE);
    MeshController controller =
        MeshController.startKubernetes(
            new MeshController.KubernetesOptions(
                client,
                "mesh4j-system",
                "mesh4j-controller",
                "controller-a",
                Duration.ofSeconds(3),
                new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", 0),
                MeshController.Security.none()));
    toClose.add(controller);
    RecordingApplication app = connect(controller);
    await().atMost(Duration.ofSeconds(10)).until(() -> served(app).size() == 2);

    apply(CATALOG_ROUTE.formatted(-5));
    apply(PRICING_POLICY);

    return settled(controller, app);
  }

  // --- fixtures

  private static void writeValid(Path path) throws IOException {
    LocalDirectory.write(path, "catalog.yaml", CATALOG_ROUTE.formatted(90));
    LocalDirectory.write(path, "pricing.yaml", PRICING_ROUTE);
  }

  /** One resource made invalid, one valid resource added. */
  private static void writeInvalidEdit(Path path) throws IOException {
    LocalDirectory.write(path, "catalog.yaml", CATALOG_ROUTE.formatted(-5));
    LocalDirectory.write(path, "pricing-policy.yaml", PRICING_POLICY);
  }

  /**
   * Creates or replaces the custom resource {@code yaml} describes, as {@code kubectl apply}. The
   * controller may write the resource's status between the read and the write of a replacement,
   * which the API server answers with a conflict; like kubectl, read again.
   */
  private void apply(String yaml) {
    GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    String plural = r.getKind().equals("TrafficRoute") ? "trafficroutes" : "destinationpolicies";
    ResourceDefinitionContext context =
        new ResourceDefinitionContext.Builder()
            .withGroup("mesh4j.io")
            .withVersion("v1alpha1")
            .withKind(r.getKind())
            .withPlural(plural)
            .withNamespaced(true)
            .build();
    for (int attempt = 1; ; attempt++) {
      try {
        client.genericKubernetesResources(context).inNamespace("shop").resource(r).createOr(c -> c.update());
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 5) {
          throw e;
        }
      }
    }
  }

  private RecordingApplication connect(MeshController controller) {
    RecordingApplication app = new RecordingApplication();
    ControllerConfigSource source =
        ControllerConfigSource.builder("127.0.0.1:" + controller.grpcPort())
            .application("frontend")
            .namespace("shop")
            .calls("catalog", "pricing")
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .random(new SplittableRandom(42))
            .build();
    toClose.add(source);
    source.start(app);
    return app;
  }

  /** Waits for the edit to be served and its problem to be reported, then reads both. */
  private static Outcome settled(MeshController controller, RecordingApplication app) {
    Supplier<List<String>> refused = () -> refused(controller.distributor().conditions());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> served(app).size() == 3 && !refused.get().isEmpty());
    return new Outcome(served(app), refused.get());
  }

  /** The policy resources an application was last sent, each with what the test changes. */
  private static List<String> served(RecordingApplication app) {
    if (app.applied.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (MeshResource r : app.current().resources()) {
      if (r instanceof io.mesh4j.core.policy.TrafficRoute route) {
        List<Integer> weights =
            route.spec().rules().get(0).backends().stream().map(b -> b.weight()).toList();
        out.add(r.ref() + " weights " + weights);
      } else if (r instanceof io.mesh4j.core.policy.DestinationPolicy) {
        out.add(r.ref());
      }
    }
    out.sort(null);
    return out;
  }

  private static List<String> refused(List<ResourceCondition> conditions) {
    return conditions.stream()
        .filter(c -> !c.accepted())
        .map(c -> c.resource() + ": " + c.message())
        .sorted()
        .toList();
  }
}
