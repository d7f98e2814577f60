package io.mesh4j.controller.ca;

import io.mesh4j.ca.CertificateAuthority;
import io.mesh4j.core.identity.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local mode's root store: a directory holding {@code ca.key} (the root's PKCS#8 private key,
 * mode 0600), {@code ca.crt} (its self-signed certificate) and optionally {@code bundle.crt}
 * (further roots to trust during a rotation, PEM). When the directory holds neither file, a root
 * is generated and both are written; when it holds only one, nothing is guessed and the
 * controller refuses to start.
 *
 * <p>Workloads that connect over TLS trust {@code ca.crt}.
 */
public final class DirectoryRootStore implements RootStore {

  private static final Logger log = LoggerFactory.getLogger(DirectoryRootStore.class);

  /** The root's private key. */
  public static final String KEY_FILE = "ca.key";
  /** The root's certificate. */
  public static final String CERT_FILE = "ca.crt";
  /** Further trusted roots. */
  public static final String BUNDLE_FILE = "bundle.crt";

  private final Path dir;
  private final Duration rootLifetime;
  private final InstantSource clock;

  /**
   * @param dir the CA directory; created when missing
   * @param rootLifetime how long a generated root is valid
   */
  public DirectoryRootStore(Path dir, Duration rootLifetime, InstantSource clock) {
    this.dir = Objects.requireNonNull(dir, "dir");
    this.rootLifetime = Objects.requireNonNull(rootLifetime, "rootLifetime");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Stored loadOrCreate(String trustDomain) {
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
        return generate(trustDomain, key, cert);
      }
      CertificateAuthority.Root root =
          CertificateAuthority.Root.fromPem(
              Files.readString(key, StandardCharsets.UTF_8),
              Files.readString(cert, StandardCharsets.UTF_8),
              "CA directory " + dir);
      List<X509Certificate> extra = List.of();
      Path bundle = dir.resolve(BUNDLE_FILE);
      if (Files.exists(bundle)) {
        extra =
            Pem.readCertificates(Files.readString(bundle, StandardCharsets.UTF_8), bundle.toString());
      }
      log.info("Loaded the CA root {} from {}", root.certificate().getSubjectX500Principal(), dir);
      return new Stored(root, extra);
    } catch (IOException e) {
      throw new IllegalStateException("CA directory " + dir + ": cannot read it (" + e + ")", e);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private Stored generate(String trustDomain, Path key, Path cert) throws IOException {
    Files.createDirectories(dir);
    CertificateAuthority.Root root = CertificateAuthority.Root.generate(trustDomain, rootLifetime, clock);
    // The key is written to a private temporary file and moved in place, so it is never readable
    // by others, and a crash never leaves half a key.
    Path tmp = dir.resolve(KEY_FILE + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp);
    }
    Files.writeString(tmp, root.keyPem(), StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    try {
      Files.move(tmp, key, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      throw new IllegalStateException("CA directory " + dir + ": " + KEY_FILE + " appeared while generating a root", e);
    }
    Files.writeString(cert, root.certificatePem(), StandardCharsets.UTF_8);
    log.info("Generated the CA root {} into {}", root.certificate().getSubjectX500Principal(), dir);
    return new Stored(root, List.of());
  }

  @Override
  public String describe() {
    return "CA directory " + dir;
  }
}
