package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The shipped manifests are secure by default: the controller serves TLS and authenticates every
 * stream, and every sample workload proves itself with a projected token and trusts the CA root
 * the controller publishes, so nothing crosses the pod network in clear.
 */
class DeployManifestsTest {

  private static final Path DEPLOY = Path.of("deploy");
  private static final Path SAMPLES = Path.of("..", "samples", "k8s");

  @Test
  void theControllerServesTlsAndNeverPlaintext() throws IOException {
    Map<String, Object> container = containers(documents(DEPLOY.resolve("deployment.yaml")).get(0)).get(0);
    @SuppressWarnings("unchecked")
    List<String> args = (List<String>) container.get("args");

    assertThat(args).noneMatch(a -> a.startsWith("--plaintext")).contains("--mode=kubernetes", "--ca-secret=mesh4j-ca");
  }

  @Test
  void everySampleWorkloadSendsAProjectedTokenAndTrustsThePublishedRoot() throws IOException {
    List<Map<String, Object>> deployments = new ArrayList<>();
    try (var files = Files.list(SAMPLES)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        documents(f).stream().filter(d -> "Deployment".equals(d.get("kind"))).forEach(deployments::add);
      }
    }
    assertThat(deployments).hasSize(4);
    for (Map<String, Object> d : deployments) {
      Map<String, Object> pod = map(map(map(d, "spec"), "template"), "spec");
      String volumes = String.valueOf(pod.get("volumes"));
      Map<String, Object> container = containers(d).get(0);
      String env = String.valueOf(container.get("env"));
      assertThat(pod.get("automountServiceAccountToken")).as("%s", d).isEqualTo(false);
      assertThat(volumes).contains("serviceAccountToken={path=token, audience=mesh4j-controller").contains("configMap={name=mesh4j-ca-root}");
      assertThat(env)
          .contains("{name=MESH4J_IDENTITY_TOKEN_FILE, value=/var/run/secrets/mesh4j/token}")
          .contains("{name=MESH4J_IDENTITY_TRUSTED_ROOTS, value=/var/run/secrets/mesh4j-ca/ca.crt}");
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> documents(Path file) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(file))) {
      if (doc != null) {
        out.add((Map<String, Object>) doc);
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> m, String key) {
    return (Map<String, Object>) m.get(key);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> containers(Map<String, Object> deployment) {
    return (List<Map<String, Object>>) map(map(map(deployment, "spec"), "template"), "spec").get("containers");
  }
}
