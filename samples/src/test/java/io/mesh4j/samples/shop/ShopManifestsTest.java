package io.mesh4j.samples.shop;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicyReader;
import io.mesh4j.core.policy.ReadResult;
import io.mesh4j.core.policy.ServiceEndpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.Yaml;

/** The shop's YAML for local mode and its Kubernetes manifests say the same thing, and both are valid. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ShopManifestsTest {

  private static final Path LOCAL = Path.of("mesh");
  private static final Path K8S = Path.of("k8s");

  @Test
  void theLocalDirectoryIsValidAndHasWhatTheDemoEdits() throws IOException {
    ReadResult local = PolicyReader.read(LOCAL);
    assertThat(local.problems()).isEmpty();
    assertThat(local.resources()).extracting(r -> r.getClass().getSimpleName())
        .contains("TrafficRoute", "DestinationPolicy", "ServiceEndpoints", "MeshConfig");
    // the demo's live edits must find the weights they change
    String catalog = Files.readString(LOCAL.resolve("catalog.yaml"));
    assertThat(ShopDemo.allToV2(ShopDemo.fiftyFifty(catalog))).contains("weight: 0").contains("weight: 100");
  }

  @Test
  void theClusterPolicyIsTheLocalPolicyWithoutHandWrittenEndpoints() throws IOException {
    ReadResult cluster = PolicyReader.read(K8S.resolve("policy.yaml"));
    assertThat(cluster.problems()).isEmpty();
    List<MeshResource> local = PolicyReader.read(LOCAL).resources().stream()
        .filter(r -> !(r instanceof ServiceEndpoints) && !(r instanceof MeshConfig))
        .toList();
    assertThat(cluster.resources()).containsExactlyInAnyOrderElementsOf(local);
  }

  @Test
  void everyDeploymentProvesItselfWithAProjectedTokenAndTrustsThePublishedRoot() throws IOException {
    int deployments = 0;
    for (String file : List.of("catalog.yaml", "pricing.yaml", "frontend.yaml")) {
      for (Object doc : new Yaml().loadAll(Files.readString(K8S.resolve(file)))) {
        Map<?, ?> resource = (Map<?, ?>) doc;
        if (!"Deployment".equals(resource.get("kind"))) {
          continue;
        }
        deployments++;
        Map<?, ?> pod = (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) resource.get("spec")).get("template")).get("spec");
        Map<?, ?> container = (Map<?, ?>) ((List<?>) pod.get("containers")).get(0);
        assertThat(pod.get("automountServiceAccountToken")).as(file).isEqualTo(false);
        assertThat(String.valueOf(pod.get("volumes")))
            .contains("serviceAccountToken={path=token, audience=mesh4j-controller")
            .contains("configMap={name=mesh4j-ca-root}");
        assertThat(String.valueOf(container.get("env")))
            .contains("{name=MESH4J_IDENTITY_TOKEN_FILE, value=/var/run/secrets/mesh4j/token}")
            .contains("{name=MESH4J_IDENTITY_TRUSTED_ROOTS, value=/var/run/secrets/mesh4j-ca/ca.crt}");
      }
    }
    assertThat(deployments).isEqualTo(4);
  }

  @Test
  void everyDeploymentRunsAShopMainClassWithItsOwnServiceAccount() throws Exception {
    for (String file : List.of("catalog.yaml", "pricing.yaml", "frontend.yaml")) {
      for (Object doc : new Yaml().loadAll(Files.readString(K8S.resolve(file)))) {
        Map<?, ?> resource = (Map<?, ?>) doc;
        if (!"Deployment".equals(resource.get("kind"))) {
          continue;
        }
        Map<?, ?> pod = (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) resource.get("spec")).get("template")).get("spec");
        Map<?, ?> container = (Map<?, ?>) ((List<?>) pod.get("containers")).get(0);
        String main = (String) ((List<?>) container.get("args")).get(0);
        Class<?> app = Class.forName(main);
        assertThat(app.getMethod("main", String[].class)).as(file + ": " + main).isNotNull();
        assertThat(pod.get("serviceAccountName")).as(file).isNotNull();
      }
    }
    assertThat(Files.readString(K8S.resolve("kustomization.yaml")))
        .contains("catalog.yaml", "pricing.yaml", "frontend.yaml", "policy.yaml", "serviceaccounts.yaml");
  }

  @Test
  void theCatalogDeploymentsCarryTheLabelsTheSubsetsSelect() throws IOException {
    String catalog = Files.readString(K8S.resolve("catalog.yaml"));
    Matcher labels = Pattern.compile("version: (v[0-9])").matcher(catalog);
    List<String> versions = labels.results().map(m -> m.group(1)).distinct().toList();
    assertThat(versions).containsExactlyInAnyOrder("v1", "v2");
  }

  @Test
  void theGatewayApiOverlayReplacesTheCatalogTrafficRouteWithAValidGrpcRoute() throws IOException {
    Path overlay = K8S.resolve("gateway-api");
    StringBuilder routes = new StringBuilder();
    List<String> services = new java.util.ArrayList<>();
    for (Object doc : new Yaml().loadAll(Files.readString(overlay.resolve("catalog-canary.yaml")))) {
      Map<?, ?> resource = (Map<?, ?>) doc;
      if ("GRPCRoute".equals(resource.get("kind"))) {
        routes.append("---\n").append(new Yaml().dump(resource));
      } else if ("Service".equals(resource.get("kind"))) {
        Map<?, ?> selector = (Map<?, ?>) ((Map<?, ?>) resource.get("spec")).get("selector");
        services.add(((Map<?, ?>) resource.get("metadata")).get("name") + " " + selector.get("version"));
      }
    }
    assertThat(services).containsExactly("catalog-v1 v1", "catalog-v2 v2");
    // The cluster policy without the catalog TrafficRoute, plus the GRPCRoute: one valid set.
    List<MeshResource> policy = new java.util.ArrayList<>(PolicyReader.read(K8S.resolve("policy.yaml")).resources().stream()
        .filter(r -> !r.ref().equals("TrafficRoute shop/catalog"))
        .toList());
    ReadResult grpcRoutes = PolicyReader.read(routes.toString());
    assertThat(grpcRoutes.problems()).isEmpty();
    policy.addAll(grpcRoutes.resources());
    assertThat(io.mesh4j.core.policy.PolicyResult.of(policy).problems()).isEmpty();
    assertThat(Files.readString(overlay.resolve("kustomization.yaml")))
        .contains("- ..", "catalog-canary.yaml", "$patch: delete", "kind: TrafficRoute", "name: catalog");
  }

  @Test
  void theLocalGatewayApiVariantIsValidInPlaceOfTheCatalogTrafficRoute() throws IOException {
    List<MeshResource> set = new java.util.ArrayList<>(PolicyReader.read(LOCAL).resources().stream()
        .filter(r -> !r.ref().equals("TrafficRoute shop/catalog") && !r.ref().equals("DestinationPolicy shop/catalog"))
        .toList());
    ReadResult gateway = PolicyReader.read(LOCAL.resolve("gateway-api").resolve("catalog.yaml"));
    assertThat(gateway.problems()).isEmpty();
    assertThat(gateway.resources()).extracting(MeshResource::ref)
        .containsExactly("GRPCRoute shop/catalog", "DestinationPolicy shop/catalog-v1", "DestinationPolicy shop/catalog-v2");
    set.addAll(gateway.resources());
    assertThat(io.mesh4j.core.policy.PolicyResult.of(set).problems()).isEmpty();
  }
}
