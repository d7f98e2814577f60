package io.mesh4j.spring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes policy files the way an operator would, so the directory watcher never sees half. */
final class Policies {

  private Policies() {}

  /** Writes {@code yaml} to {@code dir/name} through a file beside it and an atomic move. */
  static void write(Path dir, String name, String yaml) {
    try {
      Path tmp = Files.createTempFile(dir.getParent(), name, ".tmp");
      Files.writeString(tmp, yaml);
      Files.move(
          tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One endpoint of {@code service} on loopback. */
  static String endpoint(String name, String namespace, int port) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: ServiceEndpoints
        metadata: {name: %1$s, namespace: %2$s}
        spec:
          service: %1$s.%2$s
          endpoints:
            - {address: 127.0.0.1, port: %3$d, labels: {version: v1}}
        """
        .formatted(name, namespace, port);
  }
}
