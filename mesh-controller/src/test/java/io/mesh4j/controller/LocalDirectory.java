package io.mesh4j.controller;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Shared fixtures of the local-mode tests: the watched directory and a free loopback port. */
final class LocalDirectory {

  /** Mesh-wide settings every local-mode test starts from. */
  static final String MESH =
      """
      apiVersion: mesh4j.io/v1alpha1
      kind: MeshConfig
      metadata: {name: mesh, namespace: mesh4j-system}
      spec:
        mtls: PERMISSIVE
      """;

  private LocalDirectory() {}

  /**
   * Writes {@code yaml} to {@code dir/name} beside the target and moves it into place, as editors
   * and ConfigMap volumes do, so the watcher never reads half a file.
   */
  static void write(Path dir, String name, String yaml) throws IOException {
    Path tmp = dir.resolve("." + name + ".tmp");
    Files.writeString(tmp, yaml);
    Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** A loopback port nobody listens on right now, for a controller that must restart on it. */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
