package io.mesh4j.core.telemetry;

/** Writes a request header (gRPC metadata entry) of an outgoing attempt, for propagation. */
@FunctionalInterface
public interface HeaderSetter {

  /** Sets header {@code name} (lower case) to {@code value}, replacing any earlier value. */
  void set(String name, String value);
}
