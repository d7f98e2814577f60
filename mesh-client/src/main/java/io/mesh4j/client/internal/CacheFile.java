package io.mesh4j.client.internal;

import io.mesh4j.wire.v1.Snapshot;
import io.mesh4j.wire.v1.Snapshots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last good snapshot on disk, so a restarting application can start from it before (or
 * without) reaching the controller. Written to a temporary file and moved into place, so a crash
 * mid-write leaves the previous copy intact; a copy that cannot be read is ignored, never fatal.
 *
 * <p>Not thread-safe: the stream client uses it from its one thread (and from {@code start}
 * before that thread runs).
 */
final class CacheFile {

  private static final Logger log = LoggerFactory.getLogger(CacheFile.class);

  private final Path file;

  CacheFile(Path file) {
    this.file = file;
  }

  Optional<Snapshot> read() {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Snapshot.parseFrom(Files.readAllBytes(file)));
    } catch (IOException e) {
      log.warn("Ignoring the cached snapshot {}: it cannot be read ({})", file, e.toString());
      return Optional.empty();
    }
  }

  void write(Snapshot snapshot) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      Path tmp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
      try {
        Files.write(tmp, snapshot.toByteArray());
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      // The cache only speeds up a restart; failing to write it must not fail the update.
      log.warn("Could not cache snapshot {} in {}: {}", Snapshots.describe(snapshot.getVersion()), file, e.toString());
    }
  }

  @Override
  public String toString() {
    return file.toString();
  }
}
