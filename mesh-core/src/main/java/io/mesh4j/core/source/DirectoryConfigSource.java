package io.mesh4j.core.source;

import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicyResult;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A source that reads every {@code *.yaml} and {@code *.yml} file of one directory and watches it
 * for changes. The files together form one policy set: a good edit is delivered with the next
 * version; a bad edit goes to {@link Listener#onRejected} and the last good set stays in effect;
 * deleting every file is an edit too, and delivers the empty set. When the directory itself
 * disappears, that is reported the same way and the source waits for it to come back.
 *
 * <p>Changes are picked up by one daemon thread, {@code mesh4j-config-watch}, which also calls
 * the listener (after the first delivery, which {@link #start} makes on the caller's thread).
 * Bursts of file events are debounced, so an editor's save or a ConfigMap's symlink swap is read
 * once. Thread-safe; {@link #close} stops the thread and waits for it.
 */
public final class DirectoryConfigSource implements ConfigSource {

  private static final Logger log = LoggerFactory.getLogger(DirectoryConfigSource.class);

  /** The name of the watching thread. */
  public static final String THREAD_NAME = "mesh4j-config-watch";

  /** Quiet time after the last file event before the directory is read. */
  private static final Duration DEBOUNCE = Duration.ofMillis(150);
  /** A burst of events never delays a read by more than this many debounce periods. */
  private static final int MAX_DEBOUNCE_ROUNDS = 4;
  /** How often a missing directory is looked for. */
  private static final Duration MISSING_POLL = Duration.ofMillis(200);

  private final Path directory;
  private final WatchService watchService;
  private @Nullable Thread thread;
  private volatile boolean closed;

  // Confined to the thread that calls the listener: start()'s caller, then the watch thread
  // (Thread.start() orders the hand-over).
  private @Nullable Listener listener;
  private @Nullable List<MeshResource> lastDelivered;
  private long version;
  private boolean missingReported;

  private DirectoryConfigSource(Path directory, WatchService watchService) {
    this.directory = directory;
    this.watchService = watchService;
  }

  /**
   * A source for {@code directory}, which need not exist yet.
   *
   * @throws IOException if the file system offers no watch service
   */
  public static DirectoryConfigSource watching(Path directory) throws IOException {
    return new DirectoryConfigSource(directory, directory.getFileSystem().newWatchService());
  }

  /**
   * Reads the directory and delivers (or rejects) what it holds before returning, then starts
   * the watch thread.
   */
  @Override
  public synchronized void start(Listener listener) {
    if (this.listener != null || closed) {
      throw new IllegalStateException("a directory source can be started once");
    }
    this.listener = listener;
    @Nullable WatchKey key = register();
    if (key != null) {
      reload();
    } else {
      reportMissing();
    }
    Thread t = new Thread(() -> watch(key), THREAD_NAME);
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  @Override
  public String describe() {
    return "directory " + directory;
  }

  /** Stops watching; the listener is not called after this returns (unless called from it). */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      closed = true;
      t = thread;
    }
    try {
      watchService.close();
    } catch (IOException e) {
      log.warn("Closing the watch service of {} failed", directory, e);
    }
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void watch(@Nullable WatchKey initialKey) {
    WatchKey key = initialKey;
    try {
      while (!closed) {
        if (key == null) {
          // Not watching: the directory is missing (or could not be registered); look again.
          watchService.poll(MISSING_POLL.toMillis(), TimeUnit.MILLISECONDS);
          key = register();
          if (key != null && !closed) {
            log.info("Policy directory {} is back; reading it", directory);
            reload();
          }
          continue;
        }
        WatchKey signalled = watchService.take();
        boolean valid = drain(signalled);
        // Counting quiet periods instead of reading a clock bounds the delay just as well.
        WatchKey more;
        for (int round = 0;
            valid
                && round < MAX_DEBOUNCE_ROUNDS
                && (more = watchService.poll(DEBOUNCE.toMillis(), TimeUnit.MILLISECONDS)) != null;
            round++) {
          valid = drain(more);
        }
        if (closed) {
          return;
        }
        if (!valid || !Files.isDirectory(directory)) {
          key.cancel();
          key = null;
          reportMissing();
          continue;
        }
        reload();
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // close() was called; the loop ends here by design.
    } catch (RuntimeException e) {
      log.error("Watching {} stopped unexpectedly; the last good policy stays in effect", directory, e);
    }
  }

  /** Consumes a key's events; false if the key is no longer valid (its directory went away). */
  private static boolean drain(WatchKey key) {
    key.pollEvents();
    return key.reset();
  }

  private @Nullable WatchKey register() {
    if (!Files.isDirectory(directory)) {
      return null;
    }
    try {
      return directory.register(
          watchService,
          StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
    } catch (IOException e) {
      log.warn("Cannot watch {}; will try again", directory, e);
      return null;
    } catch (ClosedWatchServiceException e) {
      return null;
    }
  }

  private void reload() {
    PolicyResult result = PolicySet.load(directory);
    if (!Files.isDirectory(directory)) {
      reportMissing();
      return;
    }
    missingReported = false;
    Listener l = listener;
    if (l == null || closed) {
      return;
    }
    if (!result.isValid()) {
      log.warn("Refused policy from {}; the last good policy stays in effect: {}", directory, result.problems());
      notifyRejected(l, result.problems());
      return;
    }
    PolicySet policies = result.orElseThrow();
    if (policies.resources().equals(lastDelivered)) {
      log.debug("Policy in {} is unchanged", directory);
      return;
    }
    PolicySet versioned = policies.withVersion(++version);
    try {
      ApplyResult applied = l.onUpdate(versioned);
      lastDelivered = policies.resources();
      if (applied.applied()) {
        log.info("Applied policy version {} from {} ({} resources)", version, directory, policies.resources().size());
      } else {
        log.warn("Policy version {} from {} was refused: {}", version, directory, applied.problems());
      }
    } catch (RuntimeException e) {
      log.error("Listener failed on policy version {} from {}", version, directory, e);
    }
  }

  private void reportMissing() {
    if (missingReported) {
      return;
    }
    missingReported = true;
    Listener l = listener;
    if (l == null || closed) {
      return;
    }
    log.warn("Policy directory {} does not exist; the last good policy stays in effect", directory);
    notifyRejected(
        l,
        List.of(
            new Problem(
                directory.toString(),
                "",
                "must be an existing directory; the last good policy stays in effect",
                null)));
  }

  private void notifyRejected(Listener l, List<Problem> problems) {
    try {
      l.onRejected(problems);
    } catch (RuntimeException e) {
      log.error("Listener failed on rejected policy from {}", directory, e);
    }
  }
}
