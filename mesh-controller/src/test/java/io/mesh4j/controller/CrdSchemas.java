package io.mesh4j.controller;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.databind.node.TextNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.mesh4j.core.policy.Field;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Completes a CRD from the fabric8 generator with what the model's {@link Field} annotations say,
 * so the API server checks at {@code kubectl apply} what the binder checks: a {@code required}
 * field without default is in its parent's {@code required} list, finite {@code min}/{@code max}
 * become {@code minimum}/{@code maximum}, enums list their constants, and every property without a
 * description gets the field's {@code doc}. Durations stay plain strings (the generator marks them
 * {@code date-time}, which the API server would enforce), and the {@code Age} printer column goes
 * last, where kubectl shows it by default.
 *
 * <p>The deployed files under {@code deploy/crds} are the result; {@link CrdFilesTest} keeps them
 * equal to it. The annotations stay in mesh-core, which knows nothing of Kubernetes.
 */
final class CrdSchemas {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** The generator's YAML style, with long descriptions kept on one line. */
  private static final ObjectMapper YAML =
      new ObjectMapper(
              YAMLFactory.builder()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .disable(YAMLGenerator.Feature.SPLIT_LINES)
                  .build())
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private CrdSchemas() {}

  /**
   * The deployed CRD for the generator's {@code generatedYaml}, whose resource's spec is the model
   * record {@code spec} (a nested record of the resource's model type).
   */
  static String complete(String generatedYaml, Class<? extends Record> spec) {
    CustomResourceDefinition crd = SERIALIZATION.unmarshal(generatedYaml, CustomResourceDefinition.class);
    for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
      JSONSchemaProps root = version.getSchema().getOpenAPIV3Schema();
      JSONSchemaProps specSchema = root.getProperties().get("spec");
      if (specSchema == null) {
        throw new IllegalStateException("no spec in the schema of " + crd.getMetadata().getName());
      }
      Class<?> resource = spec.getEnclosingClass();
      if (resource != null && resource.isRecord()) {
        for (RecordComponent c : resource.getRecordComponents()) {
          if (c.getName().equals("spec")) {
            describe(root, "spec", specSchema, c.getAnnotation(Field.class));
          }
        }
      }
      complete(specSchema, spec);
      List<CustomResourceColumnDefinition> columns = version.getAdditionalPrinterColumns();
      if (columns != null) {
        List<CustomResourceColumnDefinition> ordered = new ArrayList<>(columns);
        ordered.sort(Comparator.comparing(col -> col.getName().equals("Age")));
        version.setAdditionalPrinterColumns(ordered);
      }
    }
    try {
      return YAML.writeValueAsString(crd);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void complete(JSONSchemaProps schema, Type type) {
    if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
      Type[] args = p.getActualTypeArguments();
      if (Collection.class.isAssignableFrom(raw) && schema.getItems() != null
          && schema.getItems().getSchema() != null) {
        complete(schema.getItems().getSchema(), args[0]);
      } else if (Map.class.isAssignableFrom(raw) && schema.getAdditionalProperties() != null
          && schema.getAdditionalProperties().getSchema() != null) {
        complete(schema.getAdditionalProperties().getSchema(), args[1]);
      }
      return;
    }
    if (!(type instanceof Class<?> c)) {
      return;
    }
    if ("date-time".equals(schema.getFormat()) && Duration.class.equals(c)) {
      schema.setFormat(null);
    }
    if (c.isEnum() && (schema.getEnum() == null || schema.getEnum().isEmpty())) {
      schema.setEnum(
          Arrays.stream(c.getEnumConstants())
              .map(e -> (JsonNode) TextNode.valueOf(((Enum<?>) e).name()))
              .toList());
    }
    if (!c.isRecord()) {
      return;
    }
    for (RecordComponent component : c.getRecordComponents()) {
      @Nullable JSONSchemaProps property = schema.getProperties() == null ? null : schema.getProperties().get(component.getName());
      if (property == null) {
        throw new IllegalStateException(
            "the schema of " + c.getName() + " has no property " + component.getName());
      }
      Field field = component.getAnnotation(Field.class);
      describe(schema, component.getName(), property, field);
      if (field != null) {
        if (Double.isFinite(field.min())) {
          property.setMinimum(field.min());
        }
        if (Double.isFinite(field.max())) {
          property.setMaximum(field.max());
        }
      }
      complete(property, component.getGenericType());
    }
  }

  /** The field's doc as the property's description, and the property required when the field is. */
  private static void describe(JSONSchemaProps parent, String name, JSONSchemaProps property, @Nullable Field field) {
    if (field == null) {
      return;
    }
    if (property.getDescription() == null || property.getDescription().isEmpty()) {
      property.setDescription(field.doc());
    }
    if (field.required() && field.defaultValue().isEmpty()) {
      List<String> required = parent.getRequired() == null ? new ArrayList<>() : new ArrayList<>(parent.getRequired());
      if (!required.contains(name)) {
        required.add(name);
      }
      parent.setRequired(required);
    }
  }
}
