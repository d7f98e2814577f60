package io.mesh4j.core.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
    List<MeshResource> resources = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    readText("input", yaml, resources, problems);
    return new ReadResult(resources, problems);
  }

  /**
   * Reads one YAML file, or every {@code *.yaml} / {@code *.yml} file directly inside a directory,
   * in name order. Problems name documents as {@code routes.yaml (document N)}. A missing path or
   * an unreadable file is a problem, not an exception.
   */
  public static ReadResult read(Path fileOrDirectory) {
    List<MeshResource> resources = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
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
        return new ReadResult(resources, problems);
      }
    } else if (Files.exists(fileOrDirectory)) {
      files = List.of(fileOrDirectory);
    } else {
      problems.add(new Problem(fileOrDirectory.toString(), "", "does not exist", null));
      return new ReadResult(resources, problems);
    }
    for (Path file : files) {
      String origin = String.valueOf(file.getFileName());
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        problems.add(new Problem(origin, "", "cannot be read: " + e, null));
        continue;
      }
      readText(origin, text, resources, problems);
    }
    return new ReadResult(resources, problems);
  }

  /**
   * Normalizes code-built resources by the same rules as YAML: each is rendered to a tree and bound
   * again, so absent defaults are filled in, bounds are checked and service names are qualified.
   */
  static ReadResult normalize(List<? extends @Nullable MeshResource> input) {
    List<MeshResource> resources = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    for (int i = 0; i < input.size(); i++) {
      MeshResource resource = input.get(i);
      String origin = "resources[" + i + "]";
      if (resource == null) {
        problems.add(new Problem(origin, "", "must not be null", null));
        continue;
      }
      @SuppressWarnings("unchecked")
      Map<String, @Nullable Object> fields = (Map<String, @Nullable Object>) Binder.toTree(resource);
      Map<String, @Nullable Object> document = new LinkedHashMap<>();
      document.put("apiVersion", YamlTree.Scalar.string(MeshResource.API_VERSION));
      document.put("kind", YamlTree.Scalar.string(resource.kind()));
      document.putAll(fields);
      bindDocument(document, origin + " (" + resource.kind() + ")", resources, problems);
    }
    return new ReadResult(resources, problems);
  }

  private static boolean isPolicyFile(Path path) {
    String name = String.valueOf(path.getFileName());
    return !name.startsWith(".")
        && (name.endsWith(".yaml") || name.endsWith(".yml"))
        && Files.isRegularFile(path);
  }

  private static void readText(
      String origin, String text, List<MeshResource> resources, List<Problem> problems) {
    for (YamlTree.Document doc : YamlTree.documents(text)) {
      String where = origin + " (document " + doc.number() + ")";
      if (doc.error() != null) {
        problems.add(new Problem(where, "", doc.error(), null));
      } else {
        bindDocument(doc.tree(), where, resources, problems);
      }
    }
  }

  private static void bindDocument(
      @Nullable Object tree, String origin, List<MeshResource> resources, List<Problem> problems) {
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
    List<Problem> metadataProblems = new ArrayList<>();
    Metadata metadata =
        new Binder(origin, "", metadataProblems).bindRecord(document.get("metadata"), Metadata.class, "metadata");
    String ref = type != null && metadata != null
        ? type.getSimpleName() + " " + metadata.namespace() + "/" + metadata.name()
        : origin;

    int before = problems.size();
    Object apiVersion = document.get("apiVersion");
    if (apiVersion == null) {
      problems.add(new Problem(ref, "apiVersion", "is required", null));
    } else if (!MeshResource.API_VERSION.equals(apiVersion.toString())) {
      problems.add(
          new Problem(ref, "apiVersion", "must be " + MeshResource.API_VERSION, Binder.describeNode(apiVersion)));
    }
    if (kindNode == null) {
      problems.add(new Problem(ref, "kind", "is required", null));
    } else if (type == null) {
      problems.add(
          new Problem(ref, "kind", "must be one of " + String.join(", ", KINDS.keySet()), Binder.describeNode(kindNode)));
    }
    if (type == null) {
      problems.addAll(metadataProblems);
      return;
    }
    if (metadata == null) {
      // Bind the rest anyway so every problem is reported at once; metadata's own problems are
      // already known, and binding it again would only repeat them.
      problems.addAll(metadataProblems);
      List<Problem> rest = new ArrayList<>();
      new Binder(origin, "", rest).bindResource(document, type);
      for (Problem p : rest) {
        if (!p.path().equals("metadata") && !p.path().startsWith("metadata.")) {
          problems.add(p);
        }
      }
      return;
    }
    MeshResource resource = new Binder(ref, metadata.namespace(), problems).bindResource(document, type);
    if (resource != null && problems.size() == before) {
      resources.add(resource);
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
