package io.mesh4j.controller.ca;

import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.identity.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local mode's root store: a directory holding {@code ca.key} (the root's PKCS#8 private key,
 * mode 0600), {@code ca.crt} (its self-signed certificate), optionally {@code bundle.crt}
 * (further roots to trust, PEM) and, while a rotation is begun and not promoted, {@code next.pem}
 * (the next root's key and certificate, mode 0600). When the directory holds neither {@code
 * ca.key} nor {@code ca.crt}, a root is generated and both are written; when it holds only one,
 * nothing is guessed and the controller refuses to start.
 *
 * <p>Every file is written to a temporary file and moved in place, so a reader sees a file whole
 * or not at all. {@link #watch} polls the files (size, modification time, inode) rather than
 * using a file-system watch, which misses changes on many mounts; it reads a change only once two
 * polls in a row saw the same files, so a rotation step writing several files is read when it is
 * done, not half-way.
 *
 * <p>Workloads that connect over TLS trust {@code ca.crt} (and, during a rotation, the other roots).
 */
public final class DirectoryRootStore implements RootStore {

  private static final Logger log = LoggerFactory.getLogger(DirectoryRootStore.class);

  /** How often {@link #watch} looks at the files unless told otherwise. */
  public static final Duration DEFAULT_POLL = Duration.ofSeconds(2);

  private static final List<String> FILES = List.of(KEY_FILE, CERT_FILE, BUNDLE_FILE, NEXT_FILE);

  private final Path dir;
  private final Duration rootLifetime;
  private final InstantSource clock;
  private final Duration poll;

  /**
   * @param dir the CA directory; created when missing
   * @param rootLifetime how long a generated root is valid
   */
  public DirectoryRootStore(Path dir, Duration rootLifetime, InstantSource clock) {
    this(dir, rootLifetime, clock, DEFAULT_POLL);
  }

  /** @param poll how often {@link #watch} looks at the files */
  public DirectoryRootStore(Path dir, Duration rootLifetime, InstantSource clock, Duration poll) {
    this.dir = Objects.requireNonNull(dir, "dir");
    this.rootLifetime = Objects.requireNonNull(rootLifetime, "rootLifetime");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.poll = Objects.requireNonNull(poll, "poll");
    if (poll.isNegative() || poll.isZero()) {
      throw new IllegalArgumentException("CA directory " + dir + ": poll interval must be positive, got " + poll);
    }
  }

  @Override
  public Stored loadOrCreate(String trustDomain) {
    Stored stored = load();
    if (stored != null) {
      log.info("Loaded the CA root {} from {}", stored.signing().certificate().getSubjectX500Principal(), dir);
      return stored;
    }
    try {
      return generate(trustDomain, dir.resolve(KEY_FILE), dir.resolve(CERT_FILE));
    } catch (IOException e) {
      throw new IllegalStateException("CA directory " + dir + ": cannot write it (" + e + ")", e);
    }
  }

  @Override
  public @Nullable Stored load() {
    Path key = dir.resolve(KEY_FILE);
    Path cert = dir.resolve(CERT_FILE);
    try {
      boolean hasKey = Files.exists(key);
      boolean hasCert = Files.exists(cert);
      if (hasKey != hasCert) {
        throw new IllegalStateException(
            "CA directory " + dir + ": " + (hasKey ? CERT_FILE : KEY_FILE) + " is missing but "
                + (hasKey ? KEY_FILE : CERT_FILE) + " exists; expected both (to load the root) or"
                + " neither (to generate one)");
      }
      if (!hasKey) {
        return null;
      }
      CertificateAuthority.Root root =
          CertificateAuthority.Root.fromPem(
              Files.readString(key, StandardCharsets.UTF_8),
              Files.readString(cert, StandardCharsets.UTF_8),
              "CA directory " + dir);
      List<X509Certificate> extra = List.of();
      Path bundle = dir.resolve(BUNDLE_FILE);
      if (Files.exists(bundle)) {
        extra = Pem.readCertificates(Files.readString(bundle, StandardCharsets.UTF_8), bundle.toString());
      }
      CertificateAuthority.Root next = null;
      Path nextFile = dir.resolve(NEXT_FILE);
      if (Files.exists(nextFile)) {
        next = RootStore.readNext(Files.readString(nextFile, StandardCharsets.UTF_8), nextFile.toString());
      }
      return new Stored(root, extra, next);
    } catch (IOException e) {
      throw new IllegalStateException("CA directory " + dir + ": cannot read it (" + e + ")", e);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private Stored generate(String trustDomain, Path key, Path cert) throws IOException {
    Files.createDirectories(dir);
    CertificateAuthority.Root root = CertificateAuthority.Root.generate(trustDomain, rootLifetime, clock);
    Path tmp = privateTemp(KEY_FILE, root.keyPem());
    try {
      Files.move(tmp, key, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      throw new IllegalStateException("CA directory " + dir + ": " + KEY_FILE + " appeared while generating a root", e);
    }
    Files.writeString(cert, root.certificatePem(), StandardCharsets.UTF_8);
    log.info("Generated the CA root {} into {}", root.certificate().getSubjectX500Principal(), dir);
    return new Stored(root, List.of());
  }

  /**
   * A private temporary file holding {@code content}: created unreadable by others before a key
   * is written into it, so a key is never readable by others, and moved in place whole.
   */
  private Path privateTemp(String name, String content) throws IOException {
    Path tmp = dir.resolve(name + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp);
    }
    Files.writeString(tmp, content, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    return tmp;
  }

  private void replaceFile(String name, String content, boolean secret) throws IOException {
    Path tmp;
    if (secret) {
      tmp = privateTemp(name, content);
    } else {
      tmp = dir.resolve(name + ".tmp");
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
    }
    Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public synchronized void replace(Stored expected, Stored next) {
    Stored current = load();
    if (current == null || !RootStore.sameRoots(current, expected)) {
      throw new IllegalStateException(describe() + " changed while this step was prepared; run it again");
    }
    try {
      // Each intermediate state is one a reader can use: the next root is trusted before it signs,
      // and the old one stays trusted until the signing root has changed.
      if (next.next() != null && (current.next() == null || !current.next().certificate().equals(next.next().certificate()))) {
        replaceFile(NEXT_FILE, RootStore.nextPem(next.next()), true);
      }
      if (!current.alsoTrusted().equals(next.alsoTrusted())) {
        if (next.alsoTrusted().isEmpty()) {
          if (!next.signing().certificate().equals(current.signing().certificate())) {
            throw new IllegalStateException(describe() + ": the old root cannot leave the bundle in the step that replaces it");
          }
          Files.deleteIfExists(dir.resolve(BUNDLE_FILE));
        } else {
          replaceFile(BUNDLE_FILE, Pem.certificates(next.alsoTrusted()), false);
        }
      }
      if (!current.signing().certificate().equals(next.signing().certificate())) {
        replaceFile(KEY_FILE, next.signing().keyPem(), true);
        replaceFile(CERT_FILE, next.signing().certificatePem(), false);
      }
      if (next.next() == null) {
        Files.deleteIfExists(dir.resolve(NEXT_FILE));
      }
    } catch (IOException e) {
      throw new IllegalStateException(describe() + ": cannot write it (" + e + ")", e);
    }
  }

  @Override
  @SuppressWarnings("FutureReturnValueIgnored") // the poll runs until shutdownNow; it logs its own failures
  public AutoCloseable watch(Consumer<Stored> onChange) {
    ScheduledExecutorService poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "mesh4j-controller-ca-dir");
              t.setDaemon(true);
              return t;
            });
    Poll p = new Poll(onChange);
    poller.scheduleWithFixedDelay(p::run, poll.toNanos(), poll.toNanos(), TimeUnit.NANOSECONDS);
    return poller::shutdownNow;
  }

  /** One watcher's memory, confined to its poller thread. */
  private final class Poll {
    private final Consumer<Stored> onChange;
    private @Nullable List<String> seen;
    private @Nullable List<String> read;
    private @Nullable Stored delivered;

    Poll(Consumer<Stored> onChange) {
      this.onChange = onChange;
    }

    void run() {
      try {
        List<String> now = fingerprint();
        if (!now.equals(seen)) {
          seen = now;
          return;
        }
        if (now.equals(read)) {
          return;
        }
        read = now;
        Stored stored = load();
        if (stored == null || (delivered != null && RootStore.sameRoots(delivered, stored))) {
          return;
        }
        delivered = stored;
        log.info("{} changed: signing root {}, {} other trusted root(s), rotation phase {}", describe(),
            stored.signing().certificate().getSubjectX500Principal(), stored.otherTrusted().size(), stored.phase());
        onChange.accept(stored);
      } catch (IOException | RuntimeException e) {
        log.error("{} changed but cannot be used; the last good roots stay in force: {}", describe(), e.getMessage());
      }
    }
  }

  private List<String> fingerprint() throws IOException {
    List<String> out = new ArrayList<>();
    for (String name : FILES) {
      try {
        BasicFileAttributes a = Files.readAttributes(dir.resolve(name), BasicFileAttributes.class);
        out.add(name + " " + a.size() + " " + a.lastModifiedTime().toMillis() + " " + a.fileKey());
      } catch (NoSuchFileException e) {
        out.add(name + " -");
      }
    }
    return out;
  }

  @Override
  public String describe() {
    return "CA directory " + dir;
  }
}
