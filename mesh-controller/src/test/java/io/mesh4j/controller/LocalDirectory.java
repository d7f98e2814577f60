package io.mesh4j.controller;

import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.TrafficRoute;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

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

  /** The catalog's route: subsets v1 and v2 split by the given weights. */
  static String catalogRoute(int v1, int v2) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: catalog, namespace: shop}
        spec:
          destination: catalog
          subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
          rules:
            - backends:
                - {subset: v1, weight: %d}
                - {subset: v2, weight: %d}
        """
        .formatted(v1, v2);
  }

  /** The backend weights of the catalog route's first rule in {@code set}. */
  static List<Integer> weights(PolicySet set) {
    return set.routes().stream()
        .filter(r -> r.spec().destination().equals("catalog.shop"))
        .flatMap(r -> r.spec().rules().get(0).backends().stream())
        .map(TrafficRoute.Backend::weight)
        .toList();
  }
}
