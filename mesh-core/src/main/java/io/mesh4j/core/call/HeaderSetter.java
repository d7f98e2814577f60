package io.mesh4j.core.call;

/** Writes a request header (gRPC metadata entry) of an outgoing attempt, for propagation. */
@FunctionalInterface
public interface HeaderSetter {

  /** Writes nothing: for attempts whose headers cannot be written. */
  HeaderSetter NONE = (name, value) -> {};

  /** Sets header {@code name} (lower case) to {@code value}, replacing any earlier value. */
  void set(String name, String value);
}
