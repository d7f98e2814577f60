package io.mesh4j.core.call;

import java.util.List;
import java.util.Locale;

/**
 * Changes a route makes to a call's request or response headers (gRPC metadata): Gateway API's
 * {@code RequestHeaderModifier} and {@code ResponseHeaderModifier}, or a {@code TrafficRoute}
 * rule's {@code requestHeaders} / {@code responseHeaders}. Adapters apply them through an {@link
 * Editor} over their own header type, in the order set, add, remove. Names are lower case.
 *
 * <p>Immutable and thread-safe; compiled once per policy version, so applying them allocates
 * only what the transport's headers do.
 */
public final class HeaderEdits {

  /** No change. */
  public static final HeaderEdits NONE = new HeaderEdits(new String[0], new String[0], new String[0]);

  /** Writes one transport's headers. */
  public interface Editor {
    /** Replaces every value of {@code name} with {@code value}. */
    void set(String name, String value);

    /** Adds {@code value} to {@code name}, keeping its other values. */
    void add(String name, String value);

    /** Removes every value of {@code name}. */
    void remove(String name);
  }

  // name, value pairs
  private final String[] set;
  private final String[] add;
  private final String[] remove;

  private HeaderEdits(String[] set, String[] add, String[] remove) {
    this.set = set;
    this.add = add;
    this.remove = remove;
  }

  /**
   * Edits from name-value pairs to set and to add, and names to remove; names are lower-cased.
   *
   * @param set {@code [name, value]} pairs
   * @param add {@code [name, value]} pairs
   */
  public static HeaderEdits of(List<String[]> set, List<String[]> add, List<String> remove) {
    if (set.isEmpty() && add.isEmpty() && remove.isEmpty()) {
      return NONE;
    }
    String[] removed = new String[remove.size()];
    for (int i = 0; i < removed.length; i++) {
      removed[i] = lower(remove.get(i));
    }
    return new HeaderEdits(pairs(set), pairs(add), removed);
  }

  /** These edits, then {@code later}'s, which win where both set one header. */
  public HeaderEdits then(HeaderEdits later) {
    if (later.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return later;
    }
    return new HeaderEdits(concat(set, later.set), concat(add, later.add), concat(remove, later.remove));
  }

  public boolean isEmpty() {
    return this == NONE || (set.length == 0 && add.length == 0 && remove.length == 0);
  }

  /** Applies the edits: every set, then every add, then every remove. */
  public void applyTo(Editor editor) {
    for (int i = 0; i < set.length; i += 2) {
      editor.set(set[i], set[i + 1]);
    }
    for (int i = 0; i < add.length; i += 2) {
      editor.add(add[i], add[i + 1]);
    }
    for (String name : remove) {
      editor.remove(name);
    }
  }

  private static String[] pairs(List<String[]> pairs) {
    String[] out = new String[pairs.size() * 2];
    for (int i = 0; i < pairs.size(); i++) {
      out[2 * i] = lower(pairs.get(i)[0]);
      out[2 * i + 1] = pairs.get(i)[1];
    }
    return out;
  }

  private static String lower(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Override
  public String toString() {
    return "HeaderEdits{set=" + java.util.Arrays.toString(set) + ", add=" + java.util.Arrays.toString(add)
        + ", remove=" + java.util.Arrays.toString(remove) + "}";
  }
}
