package io.mesh4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ModelTable} is generated from the model's annotations, and this test keeps it so. */
class ModelTableTest {

  private static final Path SOURCE = Path.of("src/main/java/io/mesh4j/core/policy/ModelTable.java");

  @Test
  void theTableSaysWhatTheAnnotationsSay() throws IOException {
    String generated = source();
    String current = Files.exists(SOURCE) ? Files.readString(SOURCE, StandardCharsets.UTF_8) : "";
    if (current.equals(generated)) {
      return;
    }
    if (Boolean.getBoolean("mesh4j.regenerate")) {
      Files.writeString(SOURCE, generated, StandardCharsets.UTF_8);
      return;
    }
    fail(
        "ModelTable.java is out of date with the model's @Field and @ServiceName annotations."
            + " Regenerate it with\n"
            + "  mvn -pl mesh-core test -Dtest=ModelTableTest -Dmesh4j.regenerate=true\n"
            + "and commit it.");
  }

  @Test
  void theReaderKnowsEveryKindTheModelPermitsInItsOrder() {
    assertThat(List.<Class<?>>copyOf(PolicyReader.kindClasses()))
        .containsExactly(MeshResource.class.getPermittedSubclasses());
  }

  @Test
  void everyModelRecordIsInTheTable() {
    for (Class<?> type : modelRecords()) {
      assertThat(Binder.components(type)).as(type.getName()).isNotEmpty();
    }
  }

  @Test
  void everyDefaultReadsAsTheParserReadsIt() {
    int words = 0;
    for (Class<?> type : modelRecords()) {
      for (ModelTable.Component c : Objects.requireNonNull(ModelTable.components(type.getName()))) {
        String dflt = c.defaultValue();
        if (dflt != null) {
          words += YamlTree.isPlainWord(dflt) ? 1 : 0;
          assertThat(YamlTree.snippet(dflt)).as("%s.%s: %s", type.getName(), c.name(), dflt)
              .isEqualTo(YamlTree.parsedSnippet(dflt));
        }
      }
    }
    assertThat(words).as("defaults read without the parser").isGreaterThan(40);
    // Words whose implicit type YAML decides, and texts that are not plain words.
    for (String text : List.of("null", "Null", "true", "yes", "off", "0x1F", "0o17", "010", "1e3",
        "1_000", "NaN", "a/b", "/", "10s", "PEAK_EWMA", "x.y", "_x")) {
      assertThat(YamlTree.isPlainWord(text)).as(text).isTrue();
      assertThat(YamlTree.snippet(text)).as(text).isEqualTo(YamlTree.parsedSnippet(text));
    }
    for (String text : List.of("", "...", ".inf", "~", "-1", "''", "{}", "a b", "a:b", "a#b")) {
      assertThat(YamlTree.isPlainWord(text)).as(text).isFalse();
    }
    for (String text : List.of("''", "{}")) {
      assertThat(YamlTree.snippet(text)).as(text).isEqualTo(YamlTree.parsedSnippet(text));
    }
  }

  /** Every record the binder can meet, from the kinds down, sorted by name. */
  private static List<Class<?>> modelRecords() {
    Set<Class<?>> seen = new LinkedHashSet<>();
    for (Class<?> kind : PolicyReader.kindClasses()) {
      collect(kind, seen);
    }
    return seen.stream().sorted(Comparator.comparing(Class::getName)).toList();
  }

  private static void collect(Type type, Set<Class<?>> seen) {
    if (type instanceof ParameterizedType p) {
      for (Type argument : p.getActualTypeArguments()) {
        collect(argument, seen);
      }
    } else if (type instanceof Class<?> c && c.isRecord() && seen.add(c)) {
      for (RecordComponent rc : c.getRecordComponents()) {
        collect(rc.getGenericType(), seen);
      }
    }
  }

  private static String source() {
    StringBuilder cases = new StringBuilder();
    for (Class<?> type : modelRecords()) {
      cases.append("      case \"").append(type.getName()).append("\" ->\n");
      cases.append("          new Component[] {\n");
      for (RecordComponent rc : type.getRecordComponents()) {
        Field f = rc.getAnnotation(Field.class);
        assertThat(f).as("%s.%s has @Field", type.getName(), rc.getName()).isNotNull();
        String dflt = f.defaultValue().isEmpty() ? "null" : literal(f.defaultValue());
        boolean bounded = f.min() != Double.NEGATIVE_INFINITY || f.max() != Double.POSITIVE_INFINITY;
        boolean serviceName = rc.isAnnotationPresent(ServiceName.class);
        cases.append("            c(\"").append(rc.getName()).append("\", ").append(f.required());
        cases.append(", ").append(dflt);
        if (bounded || serviceName) {
          cases.append(", ").append(number(f.min())).append(", ").append(number(f.max()));
          cases.append(", ").append(serviceName);
        }
        cases.append("),\n");
      }
      cases.append("          };\n");
    }
    return """
        package io.mesh4j.core.policy;

        import org.jspecify.annotations.Nullable;

        /**
         * What the {@link Field} and {@link ServiceName} annotations of the model's records say, as
         * code: reading annotations costs a fresh JVM tens of milliseconds of reflection on its way to
         * the first call. Generated by {@code ModelTableTest}, which fails when this file and the
         * annotations differ; do not edit.
         */
        final class ModelTable {

          private ModelTable() {}

          /** One record component's binding rules, as its annotations give them. */
          record Component(
              String name,
              boolean required,
              @Nullable String defaultValue,
              double min,
              double max,
              boolean serviceName) {}

          private static final double LOW = Double.NEGATIVE_INFINITY;
          private static final double HIGH = Double.POSITIVE_INFINITY;

          private static Component c(String name, boolean required, @Nullable String defaultValue) {
            return new Component(name, required, defaultValue, LOW, HIGH, false);
          }

          private static Component c(
              String name, boolean required, @Nullable String defaultValue, double min, double max,
              boolean serviceName) {
            return new Component(name, required, defaultValue, min, max, serviceName);
          }

          /** The components of the record named {@code type}, in order; null if it is not a model record. */
          @SuppressWarnings("MethodLength") // one case per record, run once per record
          static Component @Nullable [] components(String type) {
            return switch (type) {
        %s      default -> null;
            };
          }
        }
        """
        .formatted(cases);
  }

  private static String literal(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> out.append(ch);
      }
    }
    return out.append('"').toString();
  }

  private static String number(double v) {
    if (v == Double.NEGATIVE_INFINITY) {
      return "LOW";
    }
    if (v == Double.POSITIVE_INFINITY) {
      return "HIGH";
    }
    return Double.toString(v);
  }
}
