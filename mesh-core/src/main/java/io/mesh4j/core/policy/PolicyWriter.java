package io.mesh4j.core.policy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Writes mesh4j resources as YAML documents that {@link PolicyReader} reads back into equal
 * resources. The text is canonical for a given resource: keys follow the model's order, absent
 * values are left out, durations and numbers have one spelling, so two equal resources always
 * give the same text. Resources taken from a {@link PolicySet} have their defaults filled in and
 * their service names qualified, so their text states everything explicitly; that is the form
 * the controller sends to applications.
 *
 * <p>Stateless and thread-safe.
 */
public final class PolicyWriter {

  private PolicyWriter() {}

  /** One resource as one YAML document ({@code apiVersion}, {@code kind}, {@code metadata}, {@code spec}). */
  public static String toYaml(MeshResource resource) {
    @SuppressWarnings("unchecked")
    Map<String, @Nullable Object> fields = (Map<String, @Nullable Object>) Binder.toTree(resource);
    Map<String, @Nullable Object> document = new LinkedHashMap<>();
    document.put("apiVersion", YamlTree.Scalar.string(resource.apiVersion()));
    document.put("kind", YamlTree.Scalar.string(resource.kind()));
    document.putAll(fields);
    return YamlTree.emit(document);
  }

  /** Several resources as a multi-document YAML text, in the given order. */
  public static String toYaml(List<? extends MeshResource> resources) {
    StringBuilder sb = new StringBuilder();
    for (MeshResource resource : resources) {
      sb.append("---\n").append(toYaml(resource));
    }
    return sb.toString();
  }
}
