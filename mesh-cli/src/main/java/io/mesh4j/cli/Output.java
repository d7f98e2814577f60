package io.mesh4j.cli;

/** How a command prints its answer: {@code -o text} (for people) or {@code -o json} (for tools). */
enum Output {
  text,
  json
}
