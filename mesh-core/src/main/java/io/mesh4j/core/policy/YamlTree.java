package io.mesh4j.core.policy;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
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

  /** Deeper nesting than any resource needs; also stops alias cycles from recursing forever. */
  private static final int MAX_DEPTH = 64;

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

  /** One YAML document: its tree, or why it could not be read. */
  record Document(int number, @Nullable Object tree, @Nullable String error) {}

  /** Thrown only for defaults written into the model, which are trusted to be valid YAML. */
  static final class MalformedSnippetException extends IllegalStateException {
    MalformedSnippetException(String message) {
      super(message);
    }
  }

  /**
   * Every document of {@code text}. A document that cannot be parsed is returned with its error
   * and ends the list, since the parser cannot find the start of the next one reliably. Empty
   * documents (a lone {@code ---}, comments only) are skipped.
   */
  static List<Document> documents(String text) {
    List<Document> out = new ArrayList<>();
    int number = 0;
    try {
      for (Node node : yaml().composeAll(new StringReader(text))) {
        number++;
        if (node == null) {
          continue;
        }
        try {
          Object tree = convert(node, 0);
          if (tree == null) {
            continue;
          }
          out.add(new Document(number, tree, null));
        } catch (TreeException e) {
          out.add(new Document(number, null, e.getMessage()));
        }
      }
    } catch (MarkedYAMLException e) {
      out.add(new Document(number + 1, null, describe(e)));
    } catch (YAMLException e) {
      out.add(new Document(number + 1, null, "malformed YAML: " + e.getMessage()));
    }
    return out;
  }

  /** The tree of a single trusted snippet, such as a {@link Field#defaultValue()}. */
  static @Nullable Object snippet(String text) {
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
    new Yaml(options).serialize(node(tree, new Resolver()), out);
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
            : resolver.resolve(org.yaml.snakeyaml.nodes.NodeId.scalar, scalar.text(), true);
    return new ScalarNode(tag, scalar.text(), null, null, DumperOptions.ScalarStyle.PLAIN);
  }

  private static Yaml yaml() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowRecursiveKeys(false);
    options.setMergeOnCompose(true);
    options.setMaxAliasesForCollections(50);
    options.setNestingDepthLimit(MAX_DEPTH);
    options.setCodePointLimit(4 * 1024 * 1024);
    return new Yaml(options);
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

  private static @Nullable Object convert(Node node, int depth) {
    if (depth > MAX_DEPTH) {
      throw new TreeException(node, "nesting deeper than " + MAX_DEPTH + " levels");
    }
    if (node instanceof ScalarNode scalar) {
      return scalar(scalar);
    }
    if (node instanceof SequenceNode sequence) {
      List<@Nullable Object> list = new ArrayList<>();
      for (Node item : sequence.getValue()) {
        list.add(convert(item, depth + 1));
      }
      return Collections.unmodifiableList(list);
    }
    MappingNode mapping = (MappingNode) node;
    Map<String, @Nullable Object> map = new LinkedHashMap<>();
    for (NodeTuple tuple : mapping.getValue()) {
      Node keyNode = tuple.getKeyNode();
      if (!(keyNode instanceof ScalarNode key) || scalar(key) == null) {
        throw new TreeException(keyNode, "mapping keys must be plain strings");
      }
      String name = key.getValue();
      if (map.containsKey(name)) {
        throw new TreeException(keyNode, "duplicate key " + name);
      }
      map.put(name, convert(tuple.getValueNode(), depth + 1));
    }
    return Collections.unmodifiableMap(map);
  }

  private static @Nullable Scalar scalar(ScalarNode node) {
    Tag tag = node.getTag();
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
    return new Scalar(node.getValue(), kind);
  }

  /** A structural problem found while converting; carries the node's position. */
  private static final class TreeException extends RuntimeException {
    TreeException(Node node, String message) {
      super(
          "malformed YAML at line "
              + (node.getStartMark().getLine() + 1)
              + ", column "
              + (node.getStartMark().getColumn() + 1)
              + ": "
              + message);
    }
  }
}
