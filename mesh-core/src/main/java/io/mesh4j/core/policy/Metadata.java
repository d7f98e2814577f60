package io.mesh4j.core.policy;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Kubernetes-style object metadata: the resource's name and namespace, plus labels. */
public record Metadata(
    @Field(doc = "Name of the resource, unique per kind and namespace.", required = true) String name,
    @Field(doc = "Namespace of the resource; also the namespace of short service names in it.",
            defaultValue = "default")
        String namespace,
    @Field(doc = "Free-form labels.") @Nullable Map<String, String> labels,
    @Field(doc = "Free-form annotations.") @Nullable Map<String, String> annotations) {

  /** Metadata with just a name and a namespace. */
  public static Metadata of(String namespace, String name) {
    return new Metadata(name, namespace, null, null);
  }
}
