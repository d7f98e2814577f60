package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.core.policy.AuthorizationPolicy;
import io.mesh4j.core.policy.DestinationPolicy;
import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.TrafficRoute;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CRDs under {@code deploy/crds} are the generator's output for the model completed by {@link
 * CrdSchemas} from the model's {@code @Field} annotations, so schema and code never drift.
 *
 * <p>After a model change, {@code -Dmesh4j.crds.write=true} on this test rewrites the files
 * (keeping their leading comment).
 */
class CrdFilesTest {

  static final Map<String, Class<? extends Record>> SPECS =
      Map.of(
          "trafficroutes", TrafficRoute.Spec.class,
          "destinationpolicies", DestinationPolicy.Spec.class,
          "authorizationpolicies", AuthorizationPolicy.Spec.class,
          "meshconfigs", MeshConfig.Spec.class);

  @ParameterizedTest
  @ValueSource(strings = {"trafficroutes", "destinationpolicies", "authorizationpolicies", "meshconfigs"})
  void deployedCrdIsTheGeneratedOneCompletedFromTheModel(String plural) throws IOException {
    String generated;
    try (InputStream in = getClass().getResourceAsStream("/META-INF/fabric8/" + plural + ".mesh4j.io-v1.yml")) {
      assertThat(in).as("generated CRD for %s", plural).isNotNull();
      generated = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String expected = CrdSchemas.complete(generated, SPECS.get(plural));

    Path file = Path.of("deploy", "crds", plural + ".yaml");
    String text = Files.readString(file);
    String header =
        text.lines().takeWhile(l -> l.startsWith("#")).collect(Collectors.joining("\n", "", "\n"));
    if (Boolean.getBoolean("mesh4j.crds.write")) {
      Files.writeString(file, header + expected);
    }
    String deployed =
        Files.readString(file).lines()
            .filter(l -> !l.startsWith("#"))
            .collect(Collectors.joining("\n", "", "\n"));

    assertThat(deployed)
        .as("deploy/crds/%s.yaml must equal the generated CRD completed by CrdSchemas;"
            + " rerun this test with -Dmesh4j.crds.write=true", plural)
        .isEqualTo(expected);
  }
}
