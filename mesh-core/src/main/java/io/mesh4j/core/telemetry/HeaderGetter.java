package io.mesh4j.core.telemetry;

import org.jspecify.annotations.Nullable;

/** Reads a request header (gRPC metadata entry) of an incoming call, for propagation. */
@FunctionalInterface
public interface HeaderGetter {

  /** The first value of header {@code name} (lower case), or null when it is absent. */
  @Nullable String get(String name);
}
