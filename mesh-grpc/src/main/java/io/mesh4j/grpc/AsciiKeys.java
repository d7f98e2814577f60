package io.mesh4j.grpc;

import io.grpc.Metadata;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Text metadata keys, made once per name, because route rules and observers look headers up by
 * name on every call and {@link Metadata.Key#of} validates and allocates each time. The names
 * come from configuration and from listeners, but the cache is bounded all the same. Thread-safe.
 */
final class AsciiKeys {

  private static final int MAX_CACHED = 1024;
  private static final ConcurrentHashMap<String, Metadata.Key<String>> KEYS =
      new ConcurrentHashMap<>();

  private AsciiKeys() {}

  static Metadata.Key<String> of(String name) {
    Metadata.Key<String> key = KEYS.get(name);
    if (key == null) {
      key = Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
      if (KEYS.size() < MAX_CACHED) {
        KEYS.putIfAbsent(name, key);
      }
    }
    return key;
  }
}
