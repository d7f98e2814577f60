package io.mesh4j.cli;

import io.mesh4j.core.base.JsonText;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * How a command prints its answer: {@code -o text} (for people), {@code -o json} or {@code -o
 * yaml} (for tools; the same document in either notation).
 */
enum Output {
  text,
  json,
  yaml;

  /** {@code document} (maps, lists, strings, numbers, booleans, nulls) in this notation. */
  String write(Object document) {
    if (this == yaml) {
      DumperOptions options = new DumperOptions();
      options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
      options.setDefaultScalarStyle(DumperOptions.ScalarStyle.PLAIN);
      options.setWidth(120);
      return new Yaml(options).dump(document);
    }
    return JsonText.write(document) + "\n";
  }
}
