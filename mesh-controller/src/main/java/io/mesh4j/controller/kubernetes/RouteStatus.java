package io.mesh4j.controller.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.mesh4j.core.policy.Problem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The {@code status.parents[]} entries of a Gateway API route, as the specification's mesh
 * profile defines them: per parent Service, {@code Accepted} and {@code ResolvedRefs} with the
 * specification's reasons. Pure functions of the route, its problems, the backends no
 * ReferenceGrant permits, and which Services exist.
 */
final class RouteStatus {

  private RouteStatus() {}

  /** One entry per parent reference, without timestamps (so unchanged status is not rewritten). */
  static List<Map<String, Object>> parents(
      GenericKubernetesResource route,
      List<Problem> problems,
      List<String> notPermitted,
      Predicate<String> serviceExists,
      String controllerName) {
    String namespace = route.getMetadata().getNamespace();
    Long generation = route.getMetadata().getGeneration();
    Map<?, ?> spec = route.getAdditionalProperties().get("spec") instanceof Map<?, ?> m ? m : Map.of();

    // mesh4j serves a route whole or not at all: any problem, an invalid backend kind included,
    // keeps the route (its last good version, if any, stays served) from being accepted.
    List<Problem> kindProblems = new ArrayList<>();
    for (Problem p : problems) {
      if (p.path().contains(".backendRefs[") && (p.path().endsWith(".kind") || p.path().endsWith(".group"))) {
        kindProblems.add(p);
      }
    }
    Set<String> missingBackends = new LinkedHashSet<>();
    for (Object rule : list(spec.get("rules"))) {
      Map<?, ?> r = rule instanceof Map<?, ?> rm ? rm : Map.of();
      for (Object ref : list(r.get("backendRefs"))) {
        if (ref instanceof Map<?, ?> b && isService(b)) {
          String service = b.get("name") + "." + Objects.requireNonNullElse(b.get("namespace"), namespace);
          if (!serviceExists.test(service)) {
            missingBackends.add(service);
          }
        }
      }
    }
    Map<String, Object> resolved =
        !kindProblems.isEmpty()
            ? condition("ResolvedRefs", false, "InvalidKind", messages(kindProblems), generation)
            : !notPermitted.isEmpty()
                ? condition("ResolvedRefs", false, "RefNotPermitted", String.join("; ", notPermitted)
                    + "; calls their share would take fail with UNAVAILABLE / 503", generation)
            : !missingBackends.isEmpty()
                ? condition("ResolvedRefs", false, "BackendNotFound",
                    "backend Service(s) not found: " + String.join(", ", missingBackends)
                        + "; calls their share would take fail with UNAVAILABLE / 503", generation)
                : condition("ResolvedRefs", true, "ResolvedRefs", "every backend Service exists", generation);

    List<Map<String, Object>> out = new ArrayList<>();
    for (Object p : list(spec.get("parentRefs"))) {
      if (!(p instanceof Map<?, ?> parent)) {
        continue;
      }
      Map<String, Object> parentRef = new LinkedHashMap<>();
      parentRef.put("group", Objects.requireNonNullElse(parent.get("group"), ""));
      parentRef.put("kind", Objects.requireNonNullElse(parent.get("kind"), "Service"));
      parentRef.put("name", String.valueOf(parent.get("name")));
      String parentNamespace = String.valueOf(Objects.requireNonNullElse(parent.get("namespace"), namespace));
      parentRef.put("namespace", parentNamespace);
      if (parent.get("port") != null) {
        parentRef.put("port", parent.get("port"));
      }
      String service = parent.get("name") + "." + parentNamespace;
      Map<String, Object> accepted =
          !problems.isEmpty()
              ? condition("Accepted", false, "UnsupportedValue", messages(problems), generation)
              : isService(parent) && !serviceExists.test(service)
                  ? condition("Accepted", false, "NoMatchingParent", "Service " + parentNamespace + "/" + parent.get("name")
                      + " does not exist", generation)
                  : condition("Accepted", true, "Accepted", "routes meshed applications' calls to Service "
                      + parentNamespace + "/" + parent.get("name"), generation);
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("parentRef", parentRef);
      entry.put("controllerName", controllerName);
      entry.put("conditions", List.of(accepted, resolved));
      out.add(entry);
    }
    return out;
  }

  /** The entries with {@code lastTransitionTime} set on every condition. */
  static List<Map<String, Object>> stamped(List<Map<String, Object>> entries, String now) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> e : entries) {
      Map<String, Object> copy = new LinkedHashMap<>(e);
      List<Map<String, Object>> conditions = new ArrayList<>();
      for (Object c : list(e.get("conditions"))) {
        @SuppressWarnings("unchecked")
        Map<String, Object> withTime = new LinkedHashMap<>((Map<String, Object>) c);
        withTime.put("lastTransitionTime", now);
        conditions.add(withTime);
      }
      copy.put("conditions", conditions);
      out.add(copy);
    }
    return out;
  }

  /** {@code current} with this controller's entries replaced by {@code ours}; other controllers' kept. */
  static GenericKubernetesResource merged(GenericKubernetesResource current, List<Map<String, Object>> ours, String controllerName) {
    GenericKubernetesResource copy = Serialization.clone(current);
    Map<String, Object> status = new LinkedHashMap<>();
    if (copy.getAdditionalProperties().get("status") instanceof Map<?, ?> existing) {
      existing.forEach((k, v) -> status.put(String.valueOf(k), v));
    }
    List<Object> parents = new ArrayList<>();
    for (Object p : list(status.get("parents"))) {
      if (!(p instanceof Map<?, ?> m && controllerName.equals(m.get("controllerName")))) {
        parents.add(p);
      }
    }
    parents.addAll(ours);
    status.put("parents", parents);
    copy.setAdditionalProperty("status", status);
    return copy;
  }

  private static boolean isService(Map<?, ?> ref) {
    Object group = ref.get("group");
    Object kind = ref.get("kind");
    return (group == null || "".equals(group) || "core".equals(group)) && (kind == null || "Service".equals(kind));
  }

  private static Map<String, Object> condition(String type, boolean ok, String reason, String message, @Nullable Long generation) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("type", type);
    c.put("status", ok ? "True" : "False");
    c.put("reason", reason);
    c.put("message", message);
    if (generation != null) {
      c.put("observedGeneration", generation);
    }
    return c;
  }

  private static String messages(List<Problem> problems) {
    List<String> out = new ArrayList<>();
    for (Problem p : problems) {
      String m = p.message();
      // The route names itself; the message starts at the field.
      out.add(m.startsWith(p.resource() + ": ") ? m.substring(p.resource().length() + 2) : m);
    }
    String all = String.join("; ", out);
    // A condition's message is at most 32768 characters in the API.
    return all.length() <= MAX_MESSAGE ? all : all.substring(0, MAX_MESSAGE - 20) + "... (" + problems.size() + " problems)";
  }

  private static final int MAX_MESSAGE = 32_000;

  private static List<?> list(@Nullable Object o) {
    return o instanceof List<?> l ? l : List.of();
  }
}
