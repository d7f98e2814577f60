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
 * The shipped deployment is secure by default: the controller serves TLS and authenticates every
 * stream (the sample workloads' side is checked by the samples' own manifest test).
 */
class DeployManifestsTest {

  private static final Path DEPLOY = Path.of("deploy");

  @Test
  void theControllerServesTlsAndNeverPlaintext() throws IOException {
    Map<String, Object> container = containers(documents(DEPLOY.resolve("deployment.yaml")).get(0)).get(0);
    @SuppressWarnings("unchecked")
    List<String> args = (List<String>) container.get("args");

    assertThat(args).noneMatch(a -> a.startsWith("--plaintext")).contains("--mode=kubernetes", "--ca-secret=mesh4j-ca");
    // the admin port listens beyond loopback for the probes, so it must require a token
    assertThat(args).contains("--admin-address=0.0.0.0").anyMatch(a -> a.startsWith("--admin-token-file="));
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
