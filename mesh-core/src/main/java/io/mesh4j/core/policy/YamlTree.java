package io.mesh4j.core.policy;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Turns YAML text into a plain tree: {@code Map<String, Object>} (insertion-ordered), {@code
 * List<Object>}, {@link Scalar} leaves and {@code null}. Only SnakeYAML's composer runs, so no
 * Java object is ever constructed from a tag; scalars keep their text, which lets the binder
 * decide what a value means from the field it lands in (a plain {@code 503} is a fine string).
 *
 * <p>Stateless and thread-safe.
 */
final class YamlTree {

  private YamlTree() {}

  /** A scalar as written, with the kind YAML's implicit resolution gave it. */
  record Scalar(String text, Kind kind) {
    /** What YAML resolved a plain scalar to; quoted scalars are always {@code STRING}. */
    enum Kind {
      STRING,
      INT,
      FLOAT,
      BOOL
    }

    static Scalar string(String text) {
      return new Scalar(text, Kind.STRING);
    }

    @Override
    public String toString() {
      return text;
    }
  }

  /**
   * One YAML document: its tree, or why it could not be read.
   *
   * @param error what the document must be, phrased as a rule, with the position it concerns
   * @param found what was found instead, when that adds anything
   */
  record Document(int number, @Nullable Object tree, @Nullable String error, @Nullable String found) {}

  /**
   * How many nodes a whole read may still build, aliases counted as the nodes they repeat. One
   * budget is shared by every document (and file) of a read, so splitting a large expansion over
   * many documents gains nothing. Not thread-safe: one read at a time.
   */
  static final class Budget {
    private final long max;
    private final int maxDocuments;
    private long used;
    private int documents;

    Budget(long maxNodes, int maxDocuments) {
      this.max = maxNodes;
      this.maxDocuments = maxDocuments;
    }

    /** True once a limit was passed: the read is refused and the rest of its input is not read. */
    boolean spent() {
      return used > max || documents > maxDocuments;
    }

    /** The limits of {@link PolicyReader}. */
    static Budget standard() {
      return new Budget(PolicyReader.MAX_NODES, PolicyReader.MAX_DOCUMENTS);
    }
  }

  /** Thrown only for defaults written into the model, which are trusted to be valid YAML. */
  static final class MalformedSnippetException extends IllegalStateException {
    MalformedSnippetException(String message) {
      super(message);
    }
  }

  // Built once: its table of implicit tags is filled by the constructor and only read afterwards.
  private static final Resolver RESOLVER = new Resolver();

  /**
   * Every document of {@code text}. A document that cannot be parsed, or that passes a limit of
   * {@link PolicyReader}, is returned with its error and ends the list, since the parser cannot
   * find the start of the next one reliably and the budget is spent. Empty documents (a lone
   * {@code ---}, comments only) are skipped. The caller bounds the length of {@code text}.
   */
  static List<Document> documents(String text, Budget budget) {
    List<Document> out = new ArrayList<>();
    int number = 0;
    LoaderOptions options = loaderOptions();
    StreamReader stream = new StreamReader(new StringReader(text));
    Composer composer = new Composer(new ParserImpl(stream, options), RESOLVER, options);
    try {
      while (composer.checkNode()) {
        Node node = composer.getNode();
        number++;
        if (node == null) {
          continue;
        }
        try {
          Object tree = new Converter(budget).convert(node, null, 0).tree;
          if (tree == null) {
            continue;
          }
          if (++budget.documents > budget.maxDocuments) {
            out.add(
                new Document(
                    number,
                    null,
                    "YAML at " + position(node) + ": must have at most " + budget.maxDocuments + " non-empty documents per read",
                    null));
            return out;
          }
          out.add(new Document(number, tree, null, null));
        } catch (TreeException e) {
          out.add(new Document(number, null, e.getMessage(), e.found));
          if (e.endsRead) {
            return out;
          }
        }
      }
    } catch (MarkedYAMLException e) {
      out.add(new Document(number + 1, null, describe(e), null));
    } catch (YAMLException e) {
      out.add(new Document(number + 1, null, describe(e, stream.getMark()), null));
    }
    return out;
  }

  /** {@link #documents(String, Budget)} with a budget of its own, for one trusted snippet. */
  static List<Document> documents(String text) {
    return documents(text, Budget.standard());
  }

  /** The tree of a single trusted snippet, such as a {@link Field#defaultValue()}. */
  static @Nullable Object snippet(String text) {
    // Most defaults are one plain word, '' or {}: read directly (as the parser reads them), so a
    // cold start's binding parses almost none.
    if (isPlainWord(text)) {
      return scalar(RESOLVER.resolve(NodeId.scalar, text, true), text);
    }
    return switch (text) {
      case "''" -> Scalar.string("");
      case "{}" -> Collections.unmodifiableMap(new LinkedHashMap<String, @Nullable Object>());
      default -> parsedSnippet(text);
    };
  }

  /** {@link #snippet} through the whole parser. */
  static @Nullable Object parsedSnippet(String text) {
    List<Document> docs = documents(text);
    if (docs.size() > 1 || (docs.size() == 1 && docs.get(0).error() != null)) {
      throw new MalformedSnippetException("not a single YAML value: " + text);
    }
    return docs.isEmpty() ? null : docs.get(0).tree();
  }

  /**
   * The YAML text of a tree made of maps, lists and {@link Scalar}s, in block style. A string
   * scalar that YAML would otherwise read as a number or a boolean is quoted, so reading the text
   * back gives the same tree.
   */
  static String emit(Object tree) {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setIndicatorIndent(0);
    options.setWidth(Integer.MAX_VALUE);
    StringWriter out = new StringWriter();
    new Yaml(options).serialize(node(tree, RESOLVER), out);
    return out.toString();
  }

  private static Node node(@Nullable Object tree, Resolver resolver) {
    if (tree instanceof Map<?, ?> map) {
      List<NodeTuple> tuples = new ArrayList<>();
      map.forEach(
          (k, v) ->
              tuples.add(
                  new NodeTuple(
                      new ScalarNode(Tag.STR, String.valueOf(k), null, null, DumperOptions.ScalarStyle.PLAIN),
                      node(v, resolver))));
      return new MappingNode(Tag.MAP, tuples, DumperOptions.FlowStyle.BLOCK);
    }
    if (tree instanceof List<?> list) {
      List<Node> items = new ArrayList<>();
      for (Object item : list) {
        items.add(node(item, resolver));
      }
      return new SequenceNode(Tag.SEQ, items, DumperOptions.FlowStyle.BLOCK);
    }
    if (tree == null) {
      return new ScalarNode(Tag.NULL, "null", null, null, DumperOptions.ScalarStyle.PLAIN);
    }
    Scalar scalar = (Scalar) tree;
    // A number or boolean keeps the tag its text resolves to, so it is written plain.
    Tag tag =
        scalar.kind() == Scalar.Kind.STRING
            ? Tag.STR
            : resolver.resolve(NodeId.scalar, scalar.text(), true);
    return new ScalarNode(tag, scalar.text(), null, null, DumperOptions.ScalarStyle.PLAIN);
  }

  private static LoaderOptions loaderOptions() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowRecursiveKeys(false);
    // Merge keys are resolved by the Converter, where they are charged to the budget: SnakeYAML's
    // own merging runs before any limit and never returns from a mapping that merges itself.
    options.setMergeOnCompose(false);
    options.setMaxAliasesForCollections(PolicyReader.MAX_ALIASES);
    options.setNestingDepthLimit(PolicyReader.MAX_DEPTH);
    // The reader refuses longer input before parsing; this guards any other way in.
    options.setCodePointLimit(PolicyReader.MAX_FILE_BYTES);
    return options;
  }

  /** A refusal by SnakeYAML that carries no position of its own; the stream says how far it got. */
  private static String describe(YAMLException e, Mark mark) {
    String at = "YAML at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    String message = String.valueOf(e.getMessage());
    if (message.startsWith("Nesting Depth exceeded")) {
      return at + ": must nest at most " + PolicyReader.MAX_DEPTH + " levels deep";
    }
    if (message.startsWith("Number of aliases")) {
      return at + ": must use at most " + PolicyReader.MAX_ALIASES + " aliases of mappings or sequences";
    }
    if (message.startsWith("The incoming YAML document exceeds the limit")) {
      return at + ": must be at most " + PolicyReader.MAX_FILE_BYTES + " characters";
    }
    return "malformed " + at + ": " + message;
  }

  private static String describe(MarkedYAMLException e) {
    StringBuilder sb = new StringBuilder("malformed YAML");
    Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
    if (mark != null) {
      sb.append(" at line ").append(mark.getLine() + 1).append(", column ").append(mark.getColumn() + 1);
    }
    String problem = e.getProblem() != null ? e.getProblem() : e.getContext();
    if (problem != null) {
      sb.append(": ").append(problem);
    }
    Mark context = e.getContextMark();
    if (e.getProblem() != null && e.getContext() != null && context != null && context != mark) {
      sb.append(" (")
          .append(e.getContext())
          .append(" that starts at line ")
          .append(context.getLine() + 1)
          .append(", column ")
          .append(context.getColumn() + 1)
          .append(")");
    }
    return sb.toString();
  }

  /** What one node became: its tree, how many nodes that is, how many levels it nests. */
  private record Converted(@Nullable Object tree, long size, int levels) {}

  /**
   * Converts one document. An alias is the very node it names, so each node is converted once and
   * its tree reused: the work follows the text, not the expansion. Every use is still charged to
   * the budget at its expanded size and checked against the depth limit at the place it is used,
   * before anything more is built, so a small document cannot stand for a huge tree downstream.
   */
  private static final class Converter {
    /** Marks a node being converted; meeting it again means an alias inside its own anchor. */
    private static final Converted IN_PROGRESS = new Converted(null, 0, 0);

    private final Budget budget;
    private final IdentityHashMap<Node, Converted> done = new IdentityHashMap<>();

    Converter(Budget budget) {
      this.budget = budget;
    }

    // The marker is one instance, never equal to a real conversion by value.
    @SuppressWarnings("ReferenceEquality")
    private static boolean isInProgress(@Nullable Converted seen) {
      return seen == IN_PROGRESS;
    }

    /**
     * @param parent the collection holding {@code node}, null for the document's root
     * @param levels how many collections enclose {@code node}
     */
    Converted convert(Node node, @Nullable Node parent, int levels) {
      Converted seen = done.get(node);
      if (isInProgress(seen)) {
        Node where = parent == null ? node : parent;
        throw new TreeException(
            "malformed YAML at " + position(where) + ": an alias must not refer to a node that contains it",
            "an alias of the node at " + position(node),
            false);
      }
      if (seen != null) {
        Node where = parent == null ? node : parent;
        String alias = "the alias of the node at " + position(node);
        if (levels + seen.levels > PolicyReader.MAX_DEPTH) {
          throw TreeException.at(where, depthRule(), (levels + seen.levels) + " levels with " + alias, true);
        }
        charge(seen.size, where, " with " + alias + " (" + seen.size + " nodes)");
        return seen;
      }
      int own = node instanceof ScalarNode ? 0 : 1;
      if (levels + own > PolicyReader.MAX_DEPTH) {
        throw TreeException.at(node, depthRule(), (levels + own) + " levels", true);
      }
      long before = budget.used;
      charge(1, node, "");
      done.put(node, IN_PROGRESS);
      Converted result;
      if (node instanceof ScalarNode scalar) {
        result = new Converted(scalar(scalar), 1, 0);
      } else if (node instanceof SequenceNode sequence) {
        List<@Nullable Object> list = new ArrayList<>();
        int deepest = 0;
        for (Node item : sequence.getValue()) {
          Converted c = convert(item, node, levels + 1);
          list.add(c.tree);
          deepest = Math.max(deepest, c.levels);
        }
        result = new Converted(Collections.unmodifiableList(list), budget.used - before, deepest + 1);
      } else {
        MappingNode mapping = (MappingNode) node;
        Map<String, @Nullable Object> map = new LinkedHashMap<>();
        Set<String> explicit = new HashSet<>();
        for (NodeTuple tuple : mapping.getValue()) {
          if (tuple.getKeyNode() instanceof ScalarNode key && !isMerge(key)) {
            explicit.add(key.getValue());
          }
        }
        int deepest = 0;
        for (NodeTuple tuple : mapping.getValue()) {
          Node keyNode = tuple.getKeyNode();
          if (keyNode instanceof ScalarNode key && isMerge(key)) {
            // Keys written in the mapping win over merged ones, earlier merges over later ones.
            Node value = tuple.getValueNode();
            List<Node> sources = value instanceof SequenceNode s ? s.getValue() : List.of(value);
            for (Node source : sources) {
              if (!(source instanceof MappingNode)) {
                throw new TreeException(source, "a merge key (<<) must refer to a mapping or a list of mappings");
              }
              Converted merged = convert(source, node, levels + 1);
              deepest = Math.max(deepest, merged.levels - 1);
              @SuppressWarnings("unchecked")
              Map<String, @Nullable Object> entries =
                  (Map<String, @Nullable Object>) Objects.requireNonNull(merged.tree);
              entries.forEach(
                  (k, v) -> {
                    if (!explicit.contains(k) && !map.containsKey(k)) {
                      map.put(k, v);
                    }
                  });
            }
            continue;
          }
          if (!(keyNode instanceof ScalarNode key) || scalar(key) == null) {
            throw new TreeException(keyNode, "mapping keys must be plain strings");
          }
          String name = key.getValue();
          if (map.containsKey(name)) {
            throw new TreeException(keyNode, "duplicate key " + name);
          }
          charge(1, keyNode, "");
          Converted c = convert(tuple.getValueNode(), node, levels + 1);
          map.put(name, c.tree);
          deepest = Math.max(deepest, c.levels);
        }
        result = new Converted(Collections.unmodifiableMap(map), budget.used - before, deepest + 1);
      }
      done.put(node, result);
      return result;
    }

    private void charge(long nodes, Node where, String how) {
      budget.used += nodes;
      if (budget.used > budget.max) {
        throw TreeException.at(
            where,
            "must have at most " + budget.max + " nodes once aliases are expanded",
            budget.used + how,
            true);
      }
    }

    private static String depthRule() {
      return "must nest at most " + PolicyReader.MAX_DEPTH + " levels deep";
    }
  }

  private static boolean isMerge(ScalarNode key) {
    return key.getTag().equals(Tag.MERGE);
  }

  private static String position(Node node) {
    Mark mark = node.getStartMark();
    return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
  }

  /**
   * Letters, digits, {@code _}, {@code .} and {@code /}, not starting with {@code .} (which could
   * begin a document end marker): a plain scalar that no YAML indicator or comment can change.
   */
  static boolean isPlainWord(String text) {
    if (text.isEmpty() || text.charAt(0) == '.') {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_' || c == '.' || c == '/')) {
        return false;
      }
    }
    return true;
  }

  private static @Nullable Scalar scalar(ScalarNode node) {
    return scalar(node.getTag(), node.getValue());
  }

  private static @Nullable Scalar scalar(Tag tag, String text) {
    if (tag.equals(Tag.NULL)) {
      return null;
    }
    Scalar.Kind kind;
    if (tag.equals(Tag.INT)) {
      kind = Scalar.Kind.INT;
    } else if (tag.equals(Tag.FLOAT)) {
      kind = Scalar.Kind.FLOAT;
    } else if (tag.equals(Tag.BOOL)) {
      kind = Scalar.Kind.BOOL;
    } else {
      kind = Scalar.Kind.STRING;
    }
    return new Scalar(text, kind);
  }

  /** A problem found while converting; carries the node's position. */
  private static final class TreeException extends RuntimeException {
    private final @Nullable String found;
    /** True when the read cannot go on: a limit was passed, so the budget is spent. */
    private final boolean endsRead;

    TreeException(Node node, String message) {
      this("malformed YAML at " + position(node) + ": " + message, null, false);
    }

    private TreeException(String message, @Nullable String found, boolean endsRead) {
      super(message, null, false, false);
      this.found = found;
      this.endsRead = endsRead;
    }

    static TreeException at(Node node, String rule, @Nullable String found, boolean endsRead) {
      return new TreeException("YAML at " + position(node) + ": " + rule, found, endsRead);
    }
  }
}
