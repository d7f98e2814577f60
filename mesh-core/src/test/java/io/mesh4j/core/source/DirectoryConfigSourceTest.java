package io.mesh4j.core.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mesh4j.core.policy.MeshConfig;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
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

  /** Throws each queued error from the matching callback once, then behaves like its delegate. */
  private static final class ThrowingListener implements ConfigSource.Listener {
    final RecordingListener recorded = new RecordingListener();
    final Queue<Error> onUpdate = new ConcurrentLinkedQueue<>();
    final Queue<Error> onRejected = new ConcurrentLinkedQueue<>();

    @Override
    public ApplyResult onUpdate(PolicySet policies) {
      Error e = onUpdate.poll();
      if (e != null) {
        throw e;
      }
      return recorded.onUpdate(policies);
    }

    @Override
    public void onRejected(List<Problem> problems) {
      Error e = onRejected.poll();
      if (e != null) {
        throw e;
      }
      recorded.onRejected(problems);
    }
  }

  private static boolean watchThreadAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals(DirectoryConfigSource.THREAD_NAME) && t.isAlive());
  }

  @Test
  void stackOverflowInTheListenerIsCountedAndTheNextGoodEditApplies() throws IOException {
    ThrowingListener throwing = new ThrowingListener();
    Path dir = root.resolve("mesh");
    write(dir.resolve("mesh.yaml"), mesh("STRICT"));
    source = DirectoryConfigSource.watching(dir);
    source.start(throwing);
    assertThat(source.status()).isEqualTo(new DirectoryConfigSource.Status(1, 0, 0));

    throwing.onUpdate.add(new StackOverflowError("from the test listener"));
    write(dir.resolve("mesh.yaml"), mesh("DISABLED"));
    await().atMost(WITHIN).until(() -> source.status().failures() == 1);
    assertThat(watchThreadAlive()).isTrue();
    assertThat(throwing.recorded.updates).hasSize(1);

    write(dir.resolve("mesh.yaml"), mesh("PERMISSIVE"));
    await().atMost(WITHIN).until(() -> throwing.recorded.updates.size() == 2);
    assertThat(mtls(throwing.recorded.last())).isEqualTo(MeshConfig.MtlsMode.PERMISSIVE);
    assertThat(source.status()).isEqualTo(new DirectoryConfigSource.Status(3, 0, 1));
  }

  @Test
  void outOfMemoryWhileRejectingIsCountedAndTheNextGoodEditApplies() throws IOException {
    ThrowingListener throwing = new ThrowingListener();
    Path dir = root.resolve("mesh");
    write(dir.resolve("mesh.yaml"), mesh("STRICT"));
    source = DirectoryConfigSource.watching(dir);
    source.start(throwing);

    throwing.onRejected.add(new OutOfMemoryError("from the test listener"));
    write(dir.resolve("mesh.yaml"), mesh("SOMETIMES"));
    await().atMost(WITHIN).until(() -> source.status().failures() == 1);
    assertThat(source.status().rejections()).isEqualTo(1);
    assertThat(watchThreadAlive()).isTrue();

    write(dir.resolve("mesh.yaml"), mesh("DISABLED"));
    await().atMost(WITHIN).until(() -> throwing.recorded.updates.size() == 2);
    assertThat(mtls(throwing.recorded.last())).isEqualTo(MeshConfig.MtlsMode.DISABLED);
    assertThat(throwing.recorded.last().version()).isEqualTo(2);
  }

  @Test
  void aliasBombEditIsRefusedQuicklyAndKeepsLastGoodPolicy() throws IOException {
    Path dir = startWith("mesh.yaml", mesh("STRICT"));
    StringBuilder bomb = new StringBuilder("x0: &x0 [lol, lol]\n");
    for (int i = 1; i < 25; i++) {
      bomb.append("x").append(i).append(": &x").append(i).append(" [*x").append(i - 1).append(", *x").append(i - 1).append("]\n");
    }
    write(dir.resolve("bomb.yaml"), bomb.toString());
    await().atMost(WITHIN).until(() -> listener.rejections.size() == 1);
    assertThat(listener.lastRejection())
        .containsExactly(
            "bomb.yaml (document 1): YAML at line 18, column 6: must have at most 1000000 nodes once aliases are"
                + " expanded, got 1048573 with the alias of the node at line 17, column 6 (262143 nodes)");

    Files.delete(dir.resolve("bomb.yaml"));
    write(dir.resolve("mesh.yaml"), mesh("DISABLED"));
    await().atMost(WITHIN).until(() -> mtls(listener.last()) == MeshConfig.MtlsMode.DISABLED);
    assertThat(source.status().failures()).isZero();
  }

  @Test
  void oversizedFileIsRefusedBySize() throws IOException {
    Path dir = startWith("mesh.yaml", mesh("STRICT"));
    Path big = dir.resolve("big.yaml");
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(5L << 20);
    }
    await().atMost(WITHIN).until(() -> listener.rejections.size() == 1);
    assertThat(listener.lastRejection()).containsExactly("big.yaml: must be at most 1048576 bytes, got 5242880 bytes");
    assertThat(mtls(listener.last())).isEqualTo(MeshConfig.MtlsMode.STRICT);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
