package io.mesh4j.core.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Reads mesh4j resources from YAML: a string with one or more documents, one file, or a directory
 * of {@code *.yaml} and {@code *.yml} files (read in name order; hidden files are skipped). YAML
 * is loaded safely into a plain tree and bound onto the model records by their {@link Field}
 * descriptions; every problem in the input is reported, each naming its resource and field path.
 *
 * <p>This checks each resource on its own; {@link PolicySet#tryParse} and {@link PolicySet#load}
 * add the semantic and cross-resource checks. Stateless and thread-safe.
 */
public final class PolicyReader {

  private static final Map<String, Class<? extends MeshResource>> KINDS = kinds();

  private PolicyReader() {}

  /** Reads every document of {@code yaml}; problems name documents as {@code input (document N)}. */
  public static ReadResult read(String yaml) {
    Reading reading = new Reading();
    readText("input", yaml, reading);
    return reading.result();
  }

  /**
   * Reads one YAML file, or every {@code *.yaml} / {@code *.yml} file directly inside a directory,
   * in name order. Problems name documents as {@code routes.yaml (document N)}. A missing path or
   * an unreadable file is a problem, not an exception.
   */
  public static ReadResult read(Path fileOrDirectory) {
    return readPath(fileOrDirectory).result();
  }

  static Reading readPath(Path fileOrDirectory) {
    Reading reading = new Reading();
    List<Problem> problems = reading.problems;
    List<Path> files;
    if (Files.isDirectory(fileOrDirectory)) {
      try (Stream<Path> entries = Files.list(fileOrDirectory)) {
        files =
            entries
                .filter(PolicyReader::isPolicyFile)
                .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                .collect(Collectors.toList());
      } catch (IOException e) {
        problems.add(new Problem(fileOrDirectory.toString(), "", "cannot be listed: " + e, null));
        return reading;
      }
    } else if (Files.exists(fileOrDirectory)) {
      files = List.of(fileOrDirectory);
    } else {
      problems.add(new Problem(fileOrDirectory.toString(), "", "does not exist", null));
      return reading;
    }
    for (Path file : files) {
      String origin = String.valueOf(file.getFileName());
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        reading.order.add(origin);
        problems.add(new Problem(origin, "", "cannot be read: " + e, null));
        continue;
      }
      readText(origin, text, reading);
    }
    return reading;
  }

  /**
   * Normalizes code-built resources by the same rules as YAML: each is rendered to a tree and bound
   * again, so absent defaults are filled in, bounds are checked and service names are qualified.
   */
  static Reading normalize(List<? extends @Nullable MeshResource> input) {
    Reading reading = new Reading();
    for (int i = 0; i < input.size(); i++) {
      MeshResource resource = input.get(i);
      String origin = "resources[" + i + "]";
      if (resource == null) {
        reading.problems.add(new Problem(origin, "", "must not be null", null));
        continue;
      }
      @SuppressWarnings("unchecked")
      Map<String, @Nullable Object> fields = (Map<String, @Nullable Object>) Binder.toTree(resource);
      Map<String, @Nullable Object> document = new LinkedHashMap<>();
      document.put("apiVersion", YamlTree.Scalar.string(MeshResource.API_VERSION));
      document.put("kind", YamlTree.Scalar.string(resource.kind()));
      document.putAll(fields);
      bindDocument(document, origin + " (" + resource.kind() + ")", reading);
    }
    return reading;
  }

  private static boolean isPolicyFile(Path path) {
    String name = String.valueOf(path.getFileName());
    return !name.startsWith(".")
        && (name.endsWith(".yaml") || name.endsWith(".yml"))
        && Files.isRegularFile(path);
  }

  /** Reads {@code yaml} keeping the input order of resources, for {@link PolicySet}. */
  static Reading readString(String yaml) {
    Reading reading = new Reading();
    readText("input", yaml, reading);
    return reading;
  }

  private static void readText(String origin, String text, Reading reading) {
    List<Problem> problems = reading.problems;
    for (YamlTree.Document doc : YamlTree.documents(text)) {
      String where = origin + " (document " + doc.number() + ")";
      if (doc.error() != null) {
        reading.order.add(where);
        problems.add(new Problem(where, "", doc.error(), null));
      } else {
        bindDocument(doc.tree(), where, reading);
      }
    }
  }

  private static void bindDocument(@Nullable Object tree, String origin, Reading reading) {
    List<Problem> problems = reading.problems;
    if (!(tree instanceof Map<?, ?> map)) {
      problems.add(
          new Problem(
              origin,
              "",
              "must be a mapping with apiVersion, kind, metadata and spec",
              tree == null ? null : Binder.describeNode(tree)));
      return;
    }
    @SuppressWarnings("unchecked")
    Map<String, @Nullable Object> document = (Map<String, @Nullable Object>) map;

    Object kindNode = document.get("kind");
    Class<? extends MeshResource> type = kindNode == null ? null : KINDS.get(kindNode.toString());
    // Name the resource from the raw tree, so that a problem in metadata itself (an unknown
    // key, a bad label) is still reported against the resource rather than its file.
    Object metadata = document.get("metadata");
    Object name = metadata instanceof Map<?, ?> m ? m.get("name") : null;
    Object namespaceNode = metadata instanceof Map<?, ?> m ? m.get("namespace") : null;
    if (namespaceNode == null) {
      namespaceNode = Binder.defaultTree(Metadata.class, "namespace");
    }
    String namespace = namespaceNode instanceof YamlTree.Scalar s ? s.text() : "";
    boolean named = name instanceof YamlTree.Scalar n && !n.text().isEmpty() && !namespace.isEmpty();
    String ref = type != null && named ? type.getSimpleName() + " " + namespace + "/" + name : origin;
    reading.order.add(ref);

    int before = problems.size();
    Object apiVersion = document.get("apiVersion");
    if (apiVersion == null || !MeshResource.API_VERSION.equals(apiVersion.toString())) {
      problems.add(
          new Problem(
              ref,
              "apiVersion",
              "must be " + MeshResource.API_VERSION,
              apiVersion == null ? null : Binder.describeNode(apiVersion)));
    }
    if (kindNode == null) {
      problems.add(new Problem(ref, "kind", "is required", null));
    } else if (type == null) {
      problems.add(
          new Problem(
              ref,
              "kind",
              "must be one of " + String.join(", ", KINDS.keySet()),
              Binder.describeNode(kindNode)));
      return;
    }
    if (type == null) {
      return;
    }
    MeshResource resource = new Binder(ref, namespace, problems).bindResource(document, type);
    if (resource != null) {
      reading.bound.add(resource);
      if (problems.size() > before) {
        List<Problem> own = problems.subList(before, problems.size());
        reading.refused.put(resource, own.stream().map(Problem::path).toList());
      }
    }
  }

  /**
   * What a read produced so far, plus how each document was named in input order, so that
   * problems found later by the validator can be listed next to the reader's for the same input.
   */
  static final class Reading {
    /** Every resource whose record could be built, in input order; the semantic checks see these. */
    final List<MeshResource> bound = new ArrayList<>();
    /** The bound resources that had problems all the same, with those problems' paths. */
    final Map<MeshResource, List<String>> refused = new IdentityHashMap<>();
    final List<Problem> problems = new ArrayList<>();
    final List<String> order = new ArrayList<>();

    /** The bound resources without any problem: the only ones that may reach a policy set. */
    List<MeshResource> resources() {
      return bound.stream().filter(r -> !refused.containsKey(r)).toList();
    }

    ReadResult result() {
      return new ReadResult(resources(), problems);
    }
  }

  private static Map<String, Class<? extends MeshResource>> kinds() {
    Map<String, Class<? extends MeshResource>> kinds = new LinkedHashMap<>();
    for (Class<?> c : MeshResource.class.getPermittedSubclasses()) {
      kinds.put(c.getSimpleName(), c.asSubclass(MeshResource.class));
    }
    return kinds;
  }

  /** Kinds in the order {@link MeshResource} permits them; used by the reference as well. */
  static List<Class<? extends MeshResource>> kindClasses() {
    return List.copyOf(KINDS.values());
  }
}
