package io.mesh4j.core.call;

import org.jspecify.annotations.Nullable;

/** Reads a request header (gRPC metadata entry) of an incoming call, for propagation. */
@FunctionalInterface
public interface HeaderGetter {

  /**
   * The first value of header {@code name}, or null when it is absent. Names are matched without
   * regard to case, as HTTP and gRPC do.
   */
  @Nullable String get(String name);
}
