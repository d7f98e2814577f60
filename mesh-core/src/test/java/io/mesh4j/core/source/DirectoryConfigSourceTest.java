package io.mesh4j.core.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.PolicySet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(20)
class DirectoryConfigSourceTest {

  private static final Duration WITHIN = Duration.ofSeconds(5);

  @TempDir Path root;

  private final RecordingListener listener = new RecordingListener();
  private DirectoryConfigSource source;

  @AfterEach
  void closeSource() {
    if (source != null) {
      source.close();
    }
  }

  private static String mesh(String mtls) {
    return "apiVersion: mesh4j.io/v1alpha1\nkind: MeshConfig\nmetadata: {name: mesh}\nspec: {mtls: " + mtls + "}\n";
  }

  private static String route(String name) {
    return "apiVersion: mesh4j.io/v1alpha1\nkind: TrafficRoute\nmetadata: {name: " + name + ", namespace: shop}\n"
        + "spec: {destination: " + name + ", rules: [{backends: [{}]}]}\n";
  }

  /** Writes the whole file at once, as editors and ConfigMap updates do, so no half file is read. */
  private static void write(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Path staging = file.resolveSibling(file.getFileName() + ".staging");
    Files.writeString(staging, content);
    Files.move(staging, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static MeshConfig.MtlsMode mtls(PolicySet set) {
    return set.meshConfig().orElseThrow().spec().mtls();
  }

  private Path startWith(String fileName, String content) throws IOException {
    Path dir = root.resolve("mesh");
    write(dir.resolve(fileName), content);
    source = DirectoryConfigSource.watching(dir);
    source.start(listener);
    assertThat(listener.updates).hasSize(1);
    return dir;
  }

  @Test
  void startDeliversWhatTheDirectoryHolds() throws IOException {
    startWith("mesh.yaml", mesh("STRICT"));
    assertThat(listener.last().version()).isEqualTo(1);
    assertThat(mtls(listener.last())).isEqualTo(MeshConfig.MtlsMode.STRICT);
    assertThat(Thread.getAllStackTraces().keySet())
        .anySatisfy(
            t -> {
              assertThat(t.getName()).isEqualTo("mesh4j-config-watch");
              assertThat(t.isDaemon()).isTrue();
            });
  }

  @Test
  void goodEditIsAppliedWithinOneSecond() throws IOException {
    Path dir = startWith("mesh.yaml", mesh("STRICT"));
    write(dir.resolve("mesh.yaml"), mesh("DISABLED"));
    await().atMost(Duration.ofSeconds(1)).until(() -> listener.updates.size() == 2);
    assertThat(listener.last().version()).isEqualTo(2);
    assertThat(mtls(listener.last())).isEqualTo(MeshConfig.MtlsMode.DISABLED);
    assertThat(listener.rejections).isEmpty();
  }

  @Test
  void newFileIsAddedToTheSet() throws IOException {
    Path dir = startWith("00-mesh.yaml", mesh("STRICT"));
    write(dir.resolve("10-catalog.yaml"), route("catalog"));
    await().atMost(WITHIN).until(() -> listener.updates.size() == 2);
    assertThat(listener.last().routes()).hasSize(1);
    assertThat(listener.last().meshConfig()).isPresent();
  }

  @Test
  void brokenEditIsRejectedAndKeepsLastGoodPolicy() throws IOException {
    Path dir = startWith("mesh.yaml", mesh("STRICT"));
    write(dir.resolve("mesh.yaml"), mesh("SOMETIMES") + "---\n" + route("Catalog"));
    await().atMost(WITHIN).until(() -> listener.rejections.size() == 1);
    assertThat(listener.lastRejection())
        .containsExactly(
            "MeshConfig default/mesh: spec.mtls: must be one of STRICT, PERMISSIVE, DISABLED, got SOMETIMES",
            "TrafficRoute shop/Catalog: spec.destination: must be a service name `name` or `name.namespace`"
                + " (lowercase letters, digits and '-'), got Catalog");
    assertThat(listener.updates).hasSize(1);
    assertThat(mtls(listener.last())).isEqualTo(MeshConfig.MtlsMode.STRICT);
  }

  @Test
  void fixAfterBrokenEditIsApplied() throws IOException {
    Path dir = startWith("mesh.yaml", mesh("STRICT"));
    write(dir.resolve("mesh.yaml"), "kind: [MeshConfig\n");
    await().atMost(WITHIN).until(() -> listener.rejections.size() == 1);
    assertThat(listener.lastRejection())
        .containsExactly(
            "mesh.yaml (document 1): malformed YAML at line 2, column 1: expected ',' or ']', but got <stream end>"
                + " (while parsing a flow sequence that starts at line 1, column 7)");

    write(dir.resolve("mesh.yaml"), mesh("PERMISSIVE"));
    await().atMost(WITHIN).until(() -> listener.updates.size() == 2);
    assertThat(listener.last().version()).isEqualTo(2);
    assertThat(mtls(listener.last())).isEqualTo(MeshConfig.MtlsMode.PERMISSIVE);
  }

  @Test
  void emptiedDirectoryDeliversTheEmptySet() throws IOException {
    Path dir = startWith("mesh.yaml", mesh("STRICT"));
    Files.delete(dir.resolve("mesh.yaml"));
    await().atMost(WITHIN).until(() -> listener.updates.size() == 2);
    assertThat(listener.last().resources()).isEmpty();
    assertThat(listener.last().version()).isEqualTo(2);
    assertThat(listener.rejections).isEmpty();
  }

  @Test
  void vanishedDirectoryIsReportedAndWatchingResumesWhenItReturns() throws IOException {
    Path dir = startWith("mesh.yaml", mesh("STRICT"));
    deleteTree(dir);
    await().atMost(WITHIN).until(() -> !listener.rejections.isEmpty());
    assertThat(listener.lastRejection())
        .containsExactly(dir + ": must be an existing directory; the last good policy stays in effect");

    write(dir.resolve("mesh.yaml"), mesh("DISABLED"));
    await().atMost(WITHIN).until(() -> mtls(listener.last()) == MeshConfig.MtlsMode.DISABLED);
    assertThat(listener.updates).extracting(PolicySet::version).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void directoryThatAppearsLaterIsRead() throws IOException {
    Path dir = root.resolve("later");
    source = DirectoryConfigSource.watching(dir);
    source.start(listener);
    assertThat(listener.updates).isEmpty();
    assertThat(listener.lastRejection())
        .containsExactly(dir + ": must be an existing directory; the last good policy stays in effect");

    write(dir.resolve("mesh.yaml"), mesh("STRICT"));
    await().atMost(WITHIN).until(() -> listener.updates.size() == 1);
    assertThat(listener.last().version()).isEqualTo(1);
  }

  @Test
  void closeStopsTheWatchThread() throws IOException {
    startWith("mesh.yaml", mesh("STRICT"));
    source.close();
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().equals("mesh4j-config-watch") && t.isAlive());
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
