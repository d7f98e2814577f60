package io.mesh4j.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The deployed CRDs' schemas refuse at {@code kubectl apply} what the model refuses: values out of
 * bounds, unknown enum constants, missing required fields; and accept every sample. The OpenAPI v3
 * schema is checked as JSON Schema draft 4, whose validator ignores Kubernetes' {@code x-kubernetes-*}
 * keywords as unknown ones.
 */
class CrdSchemaTest {

  private static final YAMLMapper YAML = new YAMLMapper();

  private static final Map<String, String> PLURALS =
      Map.of(
          "TrafficRoute", "trafficroutes",
          "DestinationPolicy", "destinationpolicies",
          "AuthorizationPolicy", "authorizationpolicies",
          "MeshConfig", "meshconfigs");

  private static final Path SAMPLES = Path.of("..", "samples");

  @Test
  void negativeBackendWeightIsRejected() throws IOException {
    assertThat(errors("""
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends:
                - weight: -1
        """))
        .anySatisfy(m -> assertThat(m).contains("weight").contains("minimum"));
  }

  @Test
  void unknownLoadBalancerPolicyIsRejected() throws IOException {
    assertThat(errors("""
        apiVersion: mesh4j.io/v1alpha1
        kind: DestinationPolicy
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          loadBalancer:
            policy: FASTEST
        """))
        .anySatisfy(m -> assertThat(m).contains("policy").contains("enum"));
  }

  @Test
  void trafficRouteWithoutDestinationIsRejected() throws IOException {
    assertThat(errors("""
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          rules:
            - backends:
                - weight: 1
        """))
        .anySatisfy(m -> assertThat(m).contains("destination").contains("required"));
  }

  @Test
  void percentAboveHundredIsRejected() throws IOException {
    assertThat(errors("""
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - fault:
                abort: {percent: 150, httpStatus: 503}
              mirror: {destination: catalog-shadow, percent: 101}
        """))
        .anySatisfy(m -> assertThat(m).contains("abort.percent").contains("maximum"))
        .anySatisfy(m -> assertThat(m).contains("mirror.percent").contains("maximum"));
  }

  @Test
  void faultWithoutItsRequiredPercentIsRejected() throws IOException {
    assertThat(errors("""
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - fault:
                delay: {duration: 2s}
        """))
        .anySatisfy(m -> assertThat(m).contains("percent").contains("required"));
  }

  @Test
  void aWellFormedRouteWithDurationsIsAccepted() throws IOException {
    assertThat(errors("""
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          rules:
            - timeout: 6s
              retries: {attempts: 3, perTryTimeout: 2s}
              fault:
                delay: {percent: 100, duration: 250ms}
              backends:
                - weight: 0
        """))
        .isEmpty();
  }

  @Test
  void kubernetesExtensionKeywordsAreIgnored() throws IOException {
    JsonNode schema = YAML.readTree("""
        type: object
        properties:
          port: {x-kubernetes-int-or-string: true}
          extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
        x-kubernetes-validations: [{rule: "self.port != 0"}]
        """);
    JsonNode document = YAML.readTree("{port: http, extra: {any: 1}}");
    assertThat(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(schema).validate(document))
        .isEmpty();
  }

  static Stream<Path> samples() throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path dir : List.of(SAMPLES.resolve("mesh"), SAMPLES.resolve("k8s"))) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.filter(p -> p.toString().endsWith(".yaml")).sorted().forEach(files::add);
      }
    }
    return files.stream();
  }

  @ParameterizedTest
  @MethodSource("samples")
  void everySampleOfTheseKindsIsAccepted(Path file) throws IOException {
    List<JsonNode> documents;
    try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(Files.readString(file))) {
      documents = it.readAll();
    }
    for (JsonNode document : documents) {
      if (document == null || !PLURALS.containsKey(document.path("kind").asText())) {
        continue;
      }
      assertThat(validate(document))
          .as("%s %s in %s", document.path("kind").asText(), document.path("metadata").path("name").asText(), file)
          .isEmpty();
    }
  }

  @Test
  void theSamplesCoverRoutesPoliciesAndTheMeshConfig() throws IOException {
    Set<String> kinds;
    try (Stream<Path> files = samples()) {
      kinds =
          files.flatMap(f -> {
                try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(Files.readString(f))) {
                  return it.readAll().stream();
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              })
              .filter(d -> d != null)
              .map(d -> d.path("kind").asText())
              .collect(Collectors.toSet());
    }
    assertThat(kinds).contains("TrafficRoute", "DestinationPolicy", "MeshConfig");
  }

  private static List<String> errors(String yaml) throws IOException {
    return validate(YAML.readTree(yaml));
  }

  private static List<String> validate(JsonNode document) throws IOException {
    String plural = PLURALS.get(document.path("kind").asText());
    assertThat(plural).as("kind %s", document.path("kind")).isNotNull();
    JsonNode crd = YAML.readTree(Files.readString(Path.of("deploy", "crds", plural + ".yaml")));
    JsonNode schema = crd.path("spec").path("versions").path(0).path("schema").path("openAPIV3Schema");
    assertThat(schema.isObject()).as("openAPIV3Schema of %s", plural).isTrue();
    JsonSchema validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(schema);
    Set<ValidationMessage> messages = validator.validate(document);
    return messages.stream().map(ValidationMessage::toString).sorted().toList();
  }
}
