package io.mesh4j.core.policy;

import io.mesh4j.core.policy.YamlTree.Scalar;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The one reflective binder between plain YAML trees and the model records, driven by {@link
 * Field} (read from {@link ModelTable}, its generated copy): required fields, defaults (a default
 * is a YAML snippet bound exactly like user input), numeric bounds, enums, durations, lists, string
 * maps and nested records. It also renders records back into trees, so code-built records are
 * normalized by the same rules as YAML.
 *
 * <p>An instance binds one resource and collects every problem it meets instead of stopping at
 * the first. Problems come in two strengths, so that semantic checks can still judge a refused
 * resource: an <em>unbound</em> problem leaves no value, so its parents bind to null; a
 * <em>refused</em> problem is reported but leaves a value the checks can read: an out-of-bounds
 * number keeps its value, an unknown field is ignored, and an unreadable enum or duration in an
 * optional field without a default is absent. Either way the resource as a whole is refused. Not
 * thread-safe; the per-class model it reads is shared and immutable.
 */
final class Binder {

  static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
  static final String SERVICE_NAME_EXPECTED =
      "must be a service name `name` or `name.namespace` (lowercase letters, digits and '-')";
  private static final Pattern SERVICE_NAME = Pattern.compile(DNS_LABEL + "(\\." + DNS_LABEL + ")?");

  /** Keys that Kubernetes manages in object metadata; accepted so applied CRs read back as-is. */
  private static final Set<String> KUBERNETES_METADATA =
      Set.of(
          "uid",
          "resourceVersion",
          "generation",
          "creationTimestamp",
          "managedFields",
          "ownerReferences",
          "finalizers",
          "deletionTimestamp",
          "deletionGracePeriodSeconds",
          "selfLink");

  private static final ClassValue<Model> MODELS =
      new ClassValue<>() {
        @Override
        protected Model computeValue(Class<?> type) {
          return new Model(type);
        }
      };

  private final String resource;
  private final String namespace;
  private final List<Problem> problems;
  /** How many of {@link #problems} left no value; the others left the record buildable. */
  private int unbound;

  /**
   * @param resource how problems name the resource being bound
   * @param namespace the namespace bare service names are qualified with
   * @param problems where problems are appended
   */
  Binder(String resource, String namespace, List<Problem> problems) {
    this.resource = resource;
    this.namespace = namespace;
    this.problems = problems;
  }

  /**
   * Binds a resource document's fields (everything but apiVersion, kind and status); null when a
   * problem left no value. A non-null result may still have refused problems.
   */
  <T> @Nullable T bindResource(Map<String, @Nullable Object> document, Class<T> type) {
    return type.cast(bindFields(document, MODELS.get(type), ""));
  }

  private @Nullable Object bind(@Nullable Object node, Type type, String path) {
    Class<?> raw = rawClass(type);
    if (raw.isRecord()) {
      if (!(node instanceof Map<?, ?> map)) {
        return fail(path, "must be a mapping", node);
      }
      @SuppressWarnings("unchecked")
      Map<String, @Nullable Object> fields = (Map<String, @Nullable Object>) map;
      return bindFields(fields, MODELS.get(raw), path);
    }
    if (raw == List.class) {
      return bindList(node, ((ParameterizedType) type).getActualTypeArguments()[0], path);
    }
    if (raw == Map.class) {
      return bindStringMap(node, path);
    }
    if (!(node instanceof Scalar scalar)) {
      return fail(path, scalarExpectation(raw), node);
    }
    return bindScalar(scalar, raw, path);
  }

  private @Nullable Object bindFields(Map<String, @Nullable Object> fields, Model model, String path) {
    int before = unbound;
    for (String key : fields.keySet()) {
      if (!model.accepts(key)) {
        String allowed = String.join(", ", model.allowedNames());
        refuse(join(path, key), "unknown field; allowed fields: " + allowed, null);
      }
    }
    Object[] args = new Object[model.components.length];
    for (int i = 0; i < args.length; i++) {
      args[i] = bindComponent(fields, model.components[i], path);
    }
    return unbound > before ? null : model.construct(args);
  }

  private @Nullable Object bindComponent(
      Map<String, @Nullable Object> fields, ComponentModel component, String parent) {
    String path = join(parent, component.name());
    Object node = fields.get(component.name());
    if (node == null) {
      if (component.rules().required()) {
        return fail(path, "is required", null);
      }
      node = component.defaultTree();
      if (node == null) {
        return null;
      }
    }
    int before = unbound;
    Object value = bind(node, component.type(), path);
    if (unbound > before) {
      if (component.absentWhenUnreadable()) {
        unbound = before; // still reported; absent is a state the semantic checks know
      }
      return null;
    }
    if (value instanceof Number number) {
      checkBounds(number, component.rules(), path);
    } else if (value instanceof String text) {
      if (component.rules().required() && text.isEmpty()) {
        return fail(path, "must not be empty", null);
      }
      if (component.rules().serviceName()) {
        if (!SERVICE_NAME.matcher(text).matches()) {
          return fail(path, SERVICE_NAME_EXPECTED, text);
        }
        return text.indexOf('.') < 0 ? text + "." + namespace : text;
      }
    }
    return value;
  }

  /** Refuses a number out of its bounds but keeps it bound, so checks of its neighbours still run. */
  private void checkBounds(Number number, ModelTable.Component rules, String path) {
    double v = number.doubleValue();
    if (v < rules.min() || v > rules.max()) {
      refuse(path, boundsText(rules), render(number));
    }
  }

  /** How a field's bounds read in messages and in the reference; empty when it has none. */
  static String boundsText(ModelTable.Component rules) {
    boolean hasMin = rules.min() != Double.NEGATIVE_INFINITY;
    boolean hasMax = rules.max() != Double.POSITIVE_INFINITY;
    if (hasMin && hasMax) {
      return "must be between " + render(rules.min()) + " and " + render(rules.max());
    }
    if (hasMin) {
      return "must be >= " + render(rules.min());
    }
    if (hasMax) {
      return "must be <= " + render(rules.max());
    }
    return "";
  }

  private @Nullable Object bindList(@Nullable Object node, Type element, String path) {
    if (!(node instanceof List<?> items)) {
      return fail(path, "must be a list", node);
    }
    int before = unbound;
    List<Object> out = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      String itemPath = path + "[" + i + "]";
      Object item = items.get(i);
      Object value = item == null ? fail(itemPath, "must not be empty", null) : bind(item, element, itemPath);
      if (value != null) {
        out.add(value);
      }
    }
    return unbound > before ? null : List.copyOf(out);
  }

  private @Nullable Object bindStringMap(@Nullable Object node, String path) {
    if (!(node instanceof Map<?, ?> entries)) {
      return fail(path, "must be a mapping of strings", node);
    }
    int before = unbound;
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : entries.entrySet()) {
      String key = (String) e.getKey();
      if (e.getValue() instanceof Scalar scalar) {
        out.put(key, scalar.text());
      } else {
        fail(join(path, key), "must be a string", e.getValue());
      }
    }
    return unbound > before ? null : Collections.unmodifiableMap(out);
  }

  private @Nullable Object bindScalar(Scalar scalar, Class<?> type, String path) {
    String text = scalar.text();
    if (type == String.class) {
      return text;
    }
    if (type == Integer.class) {
      if (scalar.kind() == Scalar.Kind.INT) {
        try {
          return new BigInteger(text).intValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
          // falls through to the message below
        }
      }
      return fail(path, "must be an integer", scalar);
    }
    if (type == Double.class) {
      if (scalar.kind() == Scalar.Kind.INT || scalar.kind() == Scalar.Kind.FLOAT) {
        try {
          double d = Double.parseDouble(text);
          if (Double.isFinite(d)) {
            return d;
          }
        } catch (NumberFormatException e) {
          // falls through to the message below
        }
      }
      return fail(path, "must be a number", scalar);
    }
    if (type == Boolean.class) {
      if (scalar.kind() == Scalar.Kind.BOOL
          && (text.equals("true") || text.equals("false"))) {
        return Boolean.valueOf(text);
      }
      return fail(path, "must be true or false", scalar);
    }
    if (type == Duration.class) {
      return Durations.parse(text).map(Object.class::cast).orElseGet(() -> fail(path, Durations.EXPECTED, scalar));
    }
    if (type.isEnum()) {
      for (Object constant : type.getEnumConstants()) {
        if (((Enum<?>) constant).name().equals(text)) {
          return constant;
        }
      }
      return fail(path, "must be one of " + enumNames(type), scalar);
    }
    throw new IllegalStateException("unsupported field type " + type.getName() + " at " + path);
  }

  private static String scalarExpectation(Class<?> type) {
    if (type == String.class) {
      return "must be a string";
    }
    if (type == Integer.class) {
      return "must be an integer";
    }
    if (type == Double.class) {
      return "must be a number";
    }
    if (type == Boolean.class) {
      return "must be true or false";
    }
    if (type == Duration.class) {
      return Durations.EXPECTED;
    }
    if (type.isEnum()) {
      return "must be one of " + enumNames(type);
    }
    throw new IllegalStateException("unsupported field type " + type.getName());
  }

  static String enumNames(Class<?> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(c -> ((Enum<?>) c).name())
        .collect(Collectors.joining(", "));
  }

  /** A problem that leaves no value at {@code path}; returns that (null) value. */
  private @Nullable Object fail(String path, String expected, @Nullable Object actual) {
    refuse(path, expected, actual == null ? null : describeNode(actual));
    unbound++;
    return null;
  }

  /** A problem that refuses the resource but leaves the value at {@code path} usable. */
  private void refuse(String path, String expected, @Nullable String actual) {
    problems.add(new Problem(resource, path, expected, actual));
  }

  /** How a tree node appears after "got" in a message. */
  static String describeNode(Object node) {
    if (node instanceof Map<?, ?>) {
      return "a mapping";
    }
    if (node instanceof List<?>) {
      return "a list";
    }
    String text = node.toString();
    return text.isEmpty() ? "\"\"" : text;
  }

  private static String join(String parent, String name) {
    return parent.isEmpty() ? name : parent + "." + name;
  }

  /** Numbers as people write them: {@code 5}, {@code 0.5}, never {@code 5.0} or {@code 5E-1}. */
  static String render(Number number) {
    if (number instanceof Double d) {
      return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
    return number.toString();
  }

  private static Class<?> rawClass(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    return (Class<?>) ((ParameterizedType) type).getRawType();
  }

  /** The reverse of binding: a record (or any model value) as a plain tree, nulls left out. */
  static @Nullable Object toTree(@Nullable Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Record record) {
      Map<String, @Nullable Object> map = new LinkedHashMap<>();
      for (ComponentModel component : MODELS.get(record.getClass()).components) {
        Object child = toTree(component.get(record));
        if (child != null) {
          map.put(component.name(), child);
        }
      }
      return map;
    }
    if (value instanceof List<?> list) {
      List<@Nullable Object> out = new ArrayList<>(list.size());
      for (Object item : list) {
        out.add(toTree(item));
      }
      return out;
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, @Nullable Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), toTree(v)));
      return out;
    }
    if (value instanceof Integer || value instanceof Long) {
      return new Scalar(value.toString(), Scalar.Kind.INT);
    }
    if (value instanceof Double d) {
      return new Scalar(render(d), Scalar.Kind.FLOAT);
    }
    if (value instanceof Boolean) {
      return new Scalar(value.toString(), Scalar.Kind.BOOL);
    }
    if (value instanceof Duration d) {
      return Scalar.string(Durations.format(d));
    }
    if (value instanceof Enum<?> e) {
      return Scalar.string(e.name());
    }
    return Scalar.string(value.toString());
  }

  /** The default of {@code component} of the record {@code type}, as its tree. */
  static @Nullable Object defaultTree(Class<? extends Record> type, String component) {
    for (ComponentModel c : MODELS.get(type).components) {
      if (c.name().equals(component)) {
        return c.defaultTree();
      }
    }
    throw new IllegalArgumentException(type.getName() + " has no component " + component);
  }

  /** The components of a model record, in declaration order, with what binding needs of each. */
  static List<ComponentModel> components(Class<?> recordType) {
    return List.of(MODELS.get(recordType).components);
  }

  /** What the binder knows about one record component. */
  record ComponentModel(
      RecordComponent component, ModelTable.Component rules, @Nullable Object defaultTree) {

    String name() {
      return component.getName();
    }

    Type type() {
      return component.getGenericType();
    }

    /**
     * Whether an unreadable value is reported and then treated as absent. Only for optional enums
     * and durations without a default: absent is a state every check of them already handles,
     * whereas a default could make a sibling check complain about a value nobody wrote.
     */
    boolean absentWhenUnreadable() {
      Class<?> raw = component.getType();
      return !rules.required() && defaultTree == null && (raw == Duration.class || raw.isEnum());
    }

    @Nullable Object get(Record record) {
      try {
        return component.getAccessor().invoke(record);
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new IllegalStateException("cannot read " + name() + " of " + record.getClass(), e);
      }
    }
  }

  /** The reflective view of one record type, computed once per class. */
  private static final class Model {
    final ComponentModel[] components;
    final Constructor<?> constructor;
    final Set<String> ignored;
    final List<String> extraAllowed;

    Model(Class<?> type) {
      RecordComponent[] rc = type.getRecordComponents();
      ModelTable.Component[] rules = ModelTable.components(type.getName());
      components = new ComponentModel[rc.length];
      Class<?>[] types = new Class<?>[rc.length];
      for (int i = 0; i < rc.length; i++) {
        if (rules == null || rules.length != rc.length || !rules[i].name().equals(rc[i].getName())) {
          throw new IllegalStateException(
              "ModelTable does not describe " + type.getName() + " as it is; regenerate it (ModelTableTest)");
        }
        String dflt = rules[i].defaultValue();
        Object defaultTree = dflt == null ? null : YamlTree.snippet(dflt);
        components[i] = new ComponentModel(rc[i], rules[i], defaultTree);
        types[i] = rc[i].getType();
      }
      try {
        constructor = type.getDeclaredConstructor(types);
      } catch (NoSuchMethodException e) {
        throw new IllegalStateException("no canonical constructor in " + type.getName(), e);
      }
      if (type == Metadata.class) {
        ignored = KUBERNETES_METADATA;
        extraAllowed = List.of();
      } else if (MeshResource.class.isAssignableFrom(type)) {
        ignored = Set.of("apiVersion", "kind", "status");
        extraAllowed = List.of("apiVersion", "kind");
      } else {
        ignored = Set.of();
        extraAllowed = List.of();
      }
    }

    boolean accepts(String key) {
      if (ignored.contains(key)) {
        return true;
      }
      for (ComponentModel c : components) {
        if (c.name().equals(key)) {
          return true;
        }
      }
      return false;
    }

    List<String> allowedNames() {
      List<String> names = new ArrayList<>(extraAllowed);
      for (ComponentModel c : components) {
        names.add(c.name());
      }
      return names;
    }

    Object construct(Object[] args) {
      try {
        return constructor.newInstance(args);
      } catch (InstantiationException | IllegalAccessException e) {
        throw new IllegalStateException("cannot construct " + constructor.getDeclaringClass(), e);
      } catch (InvocationTargetException e) {
        throw new IllegalStateException(
            "constructor of " + constructor.getDeclaringClass() + " refused bound values", e.getCause());
      }
    }
  }
}
