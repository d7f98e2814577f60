package io.mesh4j.core.source;

import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicyAssembler;
import io.mesh4j.core.policy.PolicyReader;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A source that reads every {@code *.yaml} and {@code *.yml} file of one directory and watches it
 * for changes. The files together form one policy set, judged as the controller judges its input
 * ({@link PolicyAssembler}): each resource on its own, so a resource with a problem keeps its last
 * good version while every valid resource next to it is delivered with the next version, and the
 * problems go to {@link Listener#onRejected}; a file that cannot be read at all drops nothing that
 * was served. Deleting every file is an edit too, and delivers the empty set. When the directory
 * itself disappears, that is reported the same way and the source waits for it to come back.
 *
 * <p>Changes are picked up by one daemon thread, {@code mesh4j-config-watch}, which also calls
 * the listener (after the first delivery, which {@link #start} makes on the caller's thread).
 * Bursts of file events are debounced, so an editor's save or a ConfigMap's symlink swap is read
 * once. Files larger than {@link PolicyReader#MAX_FILE_BYTES} are refused by their size without
 * being read. Whatever a read or the listener throws, the thread logs it, counts it in {@link
 * #status()} and goes on watching with the last good policy in effect. Thread-safe; {@link
 * #close} stops the thread and waits for it.
 */
public final class DirectoryConfigSource implements ConfigSource {

  /**
   * What the source has done so far, for readiness checks and admin pages.
   *
   * @param version the number of the last version delivered, 0 before any
   * @param rejections how many times input was refused through {@link Listener#onRejected}
   * @param failures how many times reading the directory or calling the listener threw instead of
   *     returning; each was logged, and the last good policy stayed in effect
   */
  public record Status(long version, long rejections, long failures) {}

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
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong rejections = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();

  // Confined to the thread that calls the listener: start()'s caller, then the watch thread
  // (Thread.start() orders the hand-over).
  private @Nullable Listener listener;
  private @Nullable List<MeshResource> lastDelivered;
  // The resources served, by reference: what a resource with a problem falls back to.
  private Map<String, MeshResource> lastGood = Map.of();
  private boolean hadProblems;
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

  /** What the source has done so far; callable from any thread. */
  public Status status() {
    return new Status(delivered.get(), rejections.get(), failures.get());
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
    @Nullable WatchKey key = initialKey;
    while (!closed) {
      try {
        key = watchOnce(key);
      } catch (ClosedWatchServiceException | InterruptedException e) {
        // close() was called; the loop ends here by design.
        return;
      } catch (Throwable t) {
        survive(t, "Watching " + directory + " failed");
        try {
          // Should the same failure come back at once, this keeps it from spinning a core.
          Thread.sleep(MISSING_POLL.toMillis());
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** Waits for one change (or one look for a missing directory) and acts on it; the next key. */
  private @Nullable WatchKey watchOnce(@Nullable WatchKey key) throws InterruptedException {
    if (key == null) {
      // Not watching: the directory is missing (or could not be registered); look again.
      watchService.poll(MISSING_POLL.toMillis(), TimeUnit.MILLISECONDS);
      WatchKey registered = register();
      if (registered != null && !closed) {
        log.info("Policy directory {} is back; reading it", directory);
        reload();
      }
      return registered;
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
      return key;
    }
    if (!valid || !Files.isDirectory(directory)) {
      key.cancel();
      reportMissing();
      return null;
    }
    reload();
    return key;
  }

  /**
   * Logs and counts {@code t} so that watching goes on, unless it says the JVM itself is broken.
   * Of the {@link VirtualMachineError}s, an {@link OutOfMemoryError} has freed what failed to be
   * allocated by the time it reaches here (the reader's limits make one unlikely anyway) and a
   * {@link StackOverflowError} has unwound its stack; both leave the JVM working, and dying would
   * stop every later update silently. An {@link InternalError} or {@link UnknownError} means the
   * JVM cannot be trusted to go on; those propagate and end the thread, as they should end others.
   */
  private void survive(Throwable t, String what) {
    if (t instanceof VirtualMachineError fatal
        && !(t instanceof OutOfMemoryError || t instanceof StackOverflowError)) {
      throw fatal;
    }
    failures.incrementAndGet();
    log.error("{}; the last good policy stays in effect and watching goes on", what, t);
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
    PolicyAssembler.Assembly result;
    try {
      result =
          PolicyAssembler.assemble(
              List.of(new PolicyAssembler.Document(directory.toString(), PolicyReader.read(directory))),
              List.of(),
              lastGood);
    } catch (Throwable t) {
      survive(t, "Reading " + directory + " failed");
      Listener l = listener;
      if (l != null && !closed) {
        notifyRejected(
            l,
            List.of(
                new Problem(
                    directory.toString(),
                    "",
                    "could not be read; the last good policy stays in effect",
                    t.toString())));
      }
      return;
    }
    if (!Files.isDirectory(directory)) {
      reportMissing();
      return;
    }
    missingReported = false;
    Listener l = listener;
    if (l == null || closed) {
      return;
    }
    PolicySet policies = result.world();
    lastGood = result.byRef();
    // Delivered first, so that a listener hears the problems of the set now in effect; a set
    // that is unchanged but no longer has problems is delivered again to clear them.
    boolean clean = result.problems().isEmpty();
    if (!policies.resources().equals(lastDelivered) || (clean && hadProblems)) {
      deliver(l, policies);
    } else {
      log.debug("Policy in {} is unchanged", directory);
    }
    hadProblems = !clean;
    if (!clean) {
      log.warn(
          "Refused resources from {}; their last good versions stay in effect: {}",
          directory,
          result.problems());
      notifyRejected(l, result.problems());
    }
  }

  private void deliver(Listener l, PolicySet policies) {
    PolicySet versioned = policies.withVersion(++version);
    delivered.set(version);
    try {
      ApplyResult applied = l.onUpdate(versioned);
      lastDelivered = policies.resources();
      if (applied.applied()) {
        log.info(
            "Applied policy version {} from {} ({} resources)",
            version,
            directory,
            policies.resources().size());
      } else {
        log.warn("Policy version {} from {} was refused: {}", version, directory, applied.problems());
      }
    } catch (Throwable t) {
      survive(t, "Listener failed on policy version " + version + " from " + directory);
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
    rejections.incrementAndGet();
    try {
      l.onRejected(problems);
    } catch (Throwable t) {
      survive(t, "Listener failed on rejected policy from " + directory);
    }
  }
}
