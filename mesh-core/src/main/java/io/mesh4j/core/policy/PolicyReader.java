package io.mesh4j.core.policy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
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
 * <p>This checks each resource on its own; {@link PolicyResult#parse} and {@link PolicyResult#load}
 * add the semantic and cross-resource checks. Stateless and thread-safe.
 */
public final class PolicyReader {

  /**
   * The largest file (or string, in characters) read. Kubernetes caps a whole ConfigMap at 1 MiB,
   * so every input that could also live in a cluster fits; the shipped samples are a few KiB.
   * Checked before anything is parsed, from the file's size where there is one.
   */
  public static final int MAX_FILE_BYTES = 1024 * 1024;

  /**
   * The most YAML all files of one directory may hold together: room for a few thousand
   * resources, while a directory of many large files cannot make one read unbounded.
   */
  public static final long MAX_DIRECTORY_BYTES = 8L * 1024 * 1024;

  /**
   * The most YAML nodes (scalars, sequences, mappings and mapping keys) one read may build, an
   * alias counting as every node it repeats. About what {@link #MAX_DIRECTORY_BYTES} of plain
   * YAML holds, so aliases buy no more work than the bytes alone would; a legitimate resource has
   * tens to hundreds of nodes.
   */
  public static final int MAX_NODES = 1_000_000;

  /**
   * The most non-empty YAML documents one read may hold: a resource per document, so a directory
   * can describe thousands of services, while an input of nothing but {@code ---} separators
   * cannot produce a problem per few bytes without end.
   */
  public static final int MAX_DOCUMENTS = 10_000;

  /**
   * The deepest nesting of mappings and sequences. The model's deepest field is about ten levels
   * down ({@code spec.rules[].match.headers[].value.exact}); the rest is slack for comments-free
   * hand-written YAML, while recursion stays far from the stack's end.
   */
  public static final int MAX_DEPTH = 64;

  /**
   * The most aliases of mappings or sequences in one file. Expansion is bounded by {@link
   * #MAX_NODES} whatever the count; this bounds the merge keys ({@code <<}) that the parser
   * resolves itself, before the node limit can see them. No mesh4j resource needs aliases at all.
   */
  public static final int MAX_ALIASES = 50;

  private static final Map<String, Class<? extends MeshResource>> KINDS = kinds();

  private PolicyReader() {}

  /** Whether {@code kind} is one of the resource kinds, e.g. {@code TrafficRoute}. */
  static boolean isKind(String kind) {
    return KINDS.containsKey(kind);
  }

  /** Reads every document of {@code yaml}; problems name documents as {@code input (document N)}. */
  public static ReadResult read(String yaml) {
    return readString(yaml).result();
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
      } catch (IOException | UncheckedIOException e) {
        problems.add(new Problem(fileOrDirectory.toString(), "", "cannot be listed: " + e, null));
        return reading;
      }
      long total = 0;
      for (Path file : files) {
        try {
          total += Files.size(file);
        } catch (IOException e) {
          // reported when the file itself is read
        }
      }
      if (total > MAX_DIRECTORY_BYTES) {
        reading.order.add(fileOrDirectory.toString());
        problems.add(
            new Problem(
                fileOrDirectory.toString(),
                "",
                "must hold at most " + MAX_DIRECTORY_BYTES + " bytes of YAML in all",
                total + " bytes in " + files.size() + " files"));
        return reading;
      }
    } else if (Files.exists(fileOrDirectory)) {
      files = List.of(fileOrDirectory);
    } else {
      problems.add(new Problem(fileOrDirectory.toString(), "", "does not exist", null));
      return reading;
    }
    readFiles(files, false, reading);
    return reading;
  }

  /**
   * Reads {@code files} together, as if they were the files of one directory, in the order given;
   * problems that name no resource name the file by its path as given. The same limits hold as
   * for a directory.
   */
  static Reading readFiles(List<Path> files) {
    Reading reading = new Reading();
    long total = 0;
    for (Path file : files) {
      try {
        total += Files.size(file);
      } catch (IOException e) {
        // reported when the file itself is read
      }
    }
    if (total > MAX_DIRECTORY_BYTES) {
      reading.order.add("input");
      reading.problems.add(
          new Problem(
              "input", "", "must hold at most " + MAX_DIRECTORY_BYTES + " bytes of YAML in all", total + " bytes in " + files.size() + " files"));
      return reading;
    }
    readFiles(files, true, reading);
    return reading;
  }

  private static void readFiles(List<Path> files, boolean fullPaths, Reading reading) {
    List<Problem> problems = reading.problems;
    YamlTree.Budget budget = YamlTree.Budget.standard();
    for (Path file : files) {
      if (budget.spent()) {
        // The read is refused already; the files left would only add problems of the same limit.
        break;
      }
      String origin = fullPaths ? file.toString() : String.valueOf(file.getFileName());
      try {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
          // Refused by its size alone: the content is never read.
          reading.order.add(origin);
          problems.add(tooLarge(origin, size));
          continue;
        }
        try (InputStream in = Files.newInputStream(file)) {
          readStream(origin, in, reading, budget);
        }
      } catch (IOException | UncheckedIOException e) {
        reading.order.add(origin);
        problems.add(new Problem(origin, "", "cannot be read: " + e, null));
      }
    }
  }

  /**
   * Reads UTF-8 YAML from {@code in}, at most {@link #MAX_FILE_BYTES} of it: a longer stream is
   * refused after reading one byte more than the limit, whatever its real length (a file can grow
   * between its size check and its reading).
   */
  static void readStream(String origin, InputStream in, Reading reading, YamlTree.Budget budget)
      throws IOException {
    byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    if (bytes.length > MAX_FILE_BYTES) {
      reading.order.add(origin);
      reading.problems.add(tooLarge(origin, -1));
      return;
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    CharBuffer text = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(buffer, text, true);
    if (!result.isError()) {
      result = decoder.flush(text);
    }
    if (result.isError()) {
      int offset = buffer.position();
      reading.order.add(origin);
      reading.problems.add(
          new Problem(
              origin,
              "",
              "must be UTF-8 text",
              String.format("byte 0x%02X at offset %d", bytes[offset] & 0xff, offset)));
      return;
    }
    text.flip();
    readText(origin, text.toString(), reading, budget);
  }

  private static Problem tooLarge(String origin, long size) {
    return new Problem(
        origin,
        "",
        "must be at most " + MAX_FILE_BYTES + " bytes",
        size < 0 ? "more" : size + " bytes");
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
      document.put("apiVersion", YamlTree.Scalar.string(resource.apiVersion()));
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
    if (yaml.length() > MAX_FILE_BYTES) {
      // Checked on the length alone, before any parsing.
      reading.order.add("input");
      reading.problems.add(
          new Problem("input", "", "must be at most " + MAX_FILE_BYTES + " characters", yaml.length() + " characters"));
      return reading;
    }
    readText("input", yaml, reading, YamlTree.Budget.standard());
    return reading;
  }

  /**
   * Reads each of {@code documents} on its own ({@code resources[i]} names the i-th in problems),
   * taking the resource a text was bound to from {@code known} instead of parsing it again when
   * that exact text is there. Puts into {@code bound} every text that, on its own, made exactly
   * one resource and no problem, for the caller to keep. Texts found in {@code known} are not
   * parsed, so they spend nothing of the read's budget.
   */
  static Reading readDocuments(List<String> documents, Map<String, Known> known, Map<String, Known> bound) {
    Reading reading = new Reading();
    // reused texts cost no parsing, but each is still a resource to validate
    if (documents.size() > MAX_DOCUMENTS) {
      reading.order.add("input");
      reading.problems.add(
          new Problem("input", "", "must have at most " + MAX_DOCUMENTS + " documents", documents.size() + " documents"));
      return reading;
    }
    long length = 0;
    for (String text : documents) {
      length += text.length();
    }
    if (length > MAX_FILE_BYTES) {
      reading.order.add("input");
      reading.problems.add(
          new Problem("input", "", "must be at most " + MAX_FILE_BYTES + " characters", length + " characters"));
      return reading;
    }
    YamlTree.Budget budget = YamlTree.Budget.standard();
    for (int i = 0; i < documents.size(); i++) {
      if (budget.spent()) {
        // The read is refused already; the texts left would only add problems of the same limit.
        break;
      }
      String text = documents.get(i);
      Known k = known.get(text);
      if (k == null) {
        int problems = reading.problems.size();
        int resources = reading.bound.size();
        int order = reading.order.size();
        readText("resources[" + i + "]", text, reading, budget);
        if (reading.problems.size() == problems && reading.bound.size() == resources + 1 && reading.order.size() == order + 1) {
          k = new Known(reading.order.get(order), reading.bound.get(resources));
        }
      } else {
        reading.order.add(k.ref());
        reading.bound.add(k.resource());
      }
      if (k != null) {
        bound.put(text, k);
      }
    }
    return reading;
  }

  /** The resource one document's text was bound to, without any problem, and how it was named. */
  record Known(String ref, MeshResource resource) {}

  private static void readText(String origin, String text, Reading reading, YamlTree.Budget budget) {
    List<Problem> problems = reading.problems;
    for (YamlTree.Document doc : YamlTree.documents(text, budget)) {
      String where = origin + " (document " + doc.number() + ")";
      if (doc.error() != null) {
        reading.order.add(where);
        problems.add(new Problem(where, "", doc.error(), doc.found()));
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
    String expectedVersion = type == null ? MeshResource.API_VERSION : apiVersion(type);
    if (apiVersion == null || !expectedVersion.equals(apiVersion.toString())) {
      problems.add(
          new Problem(
              ref,
              "apiVersion",
              "must be " + expectedVersion,
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
    final IdentityHashMap<MeshResource, List<String>> refused = new IdentityHashMap<>();
    final List<Problem> problems = new ArrayList<>();
    final List<String> order = new ArrayList<>();

    /** The bound resources without any problem: the only ones that may reach a policy set. */
    List<MeshResource> resources() {
      if (refused.isEmpty()) {
        return List.copyOf(bound);
      }
      List<MeshResource> kept = new ArrayList<>(bound.size());
      for (MeshResource r : bound) {
        if (!refused.containsKey(r)) {
          kept.add(r);
        }
      }
      return List.copyOf(kept);
    }

    ReadResult result() {
      return new ReadResult(resources(), problems);
    }
  }

  /**
   * As {@link MeshResource} permits them, in that order (a test checks): listed rather than read
   * with {@code Class.getPermittedSubclasses}, whose streams a fresh JVM would load on its way to
   * the first call.
   */
  private static Map<String, Class<? extends MeshResource>> kinds() {
    Map<String, Class<? extends MeshResource>> kinds = new LinkedHashMap<>();
    for (Class<? extends MeshResource> c :
        List.of(
            TrafficRoute.class,
            DestinationPolicy.class,
            AuthorizationPolicy.class,
            MeshConfig.class,
            ServiceEndpoints.class,
            HTTPRoute.class,
            GRPCRoute.class,
            ReferenceGrant.class)) {
      kinds.put(c.getSimpleName(), c);
    }
    return kinds;
  }

  /** The API group and version documents of {@code kind} must declare. */
  static String apiVersion(Class<? extends MeshResource> kind) {
    if (kind == ReferenceGrant.class) {
      return ReferenceGrant.API_VERSION;
    }
    return kind == HTTPRoute.class || kind == GRPCRoute.class ? HTTPRoute.GATEWAY_API_VERSION : MeshResource.API_VERSION;
  }

  /** Kinds in the order {@link MeshResource} permits them; used by the reference as well. */
  static List<Class<? extends MeshResource>> kindClasses() {
    return List.copyOf(KINDS.values());
  }
}
